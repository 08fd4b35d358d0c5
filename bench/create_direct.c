/* Contact creation below HTTP: T threads call the service's contact_create (the same rules,
 * unit of work, group commit and durable SQLite file as POST /api/contact) for a fixed number
 * of contacts, and the program prints creates per second and the CPU time spent per create,
 * in all and on the writer thread. Without wrk and sockets in the way, these figures are steady
 * enough to compare one change of the write path with the next.
 * Usage: build/bench-create-direct [contacts, default 20000] [threads, default 32] */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/log.h"
#include "service/app.h"
#include "service/contacts.h"
#include "service/orgs.h"

static crm_app app;
static crm_user admin;
static int total, per_thread;
static int failures;
static pthread_mutex_t failures_mu = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of one thread of this process, found by name; 0 when there is none. */
static double thread_cpu_s(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    double cpu = 0;
    long tick = sysconf(_SC_CLK_TCK);
    while (d && (e = readdir(d))) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
        if (strcmp(comm, name) != 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        if ((f = fopen(path, "r"))) {
            unsigned long ut = 0, st = 0;
            /* fields 14 and 15; comm (field 2) has no spaces here */
            if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
                cpu = (double)(ut + st) / (double)tick;
            fclose(f);
        }
    }
    if (d)
        closedir(d);
    return cpu;
}

static double process_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static void *creator(void *arg)
{
    int t = (int)(intptr_t)arg;
    arena *a = arena_new();
    for (int i = 0; i < per_thread; i++) {
        char phone[32], last[32];
        int n = t * per_thread + i;
        /* NANP: exchange 200-999 and a line number, unique per n */
        snprintf(phone, sizeof phone, "(212) %03d-%04d", 200 + n / 10000, n % 10000);
        snprintf(last, sizeof last, "User%d", n);
        contact_value_input pv = {.value = phone, .is_primary = -1, .field = "phoneNumber"};
        contact_input in = {.given = CK_PHONES | CK_FIRST_NAME | CK_LAST_NAME, .phones = &pv, .nphones = 1,
                            .first_name = "Bench", .last_name = last};
        crm_err err = {0};
        int status = 0;
        char *body = NULL;
        if (contact_create(&app, &admin, &in, a, &status, &body, &err) != 0 || status != 201) {
            pthread_mutex_lock(&failures_mu);
            if (failures++ == 0)
                fprintf(stderr, "create failed: %s\n", err.message[0] ? err.message : crm_error_code(err.code));
            pthread_mutex_unlock(&failures_mu);
        }
        arena_reset(a);
    }
    arena_destroy(a);
    return NULL;
}

int main(int argc, char **argv)
{
    total = argc > 1 ? atoi(argv[1]) : 20000;
    int threads = argc > 2 ? atoi(argv[2]) : 32;
    if (total <= 0 || threads <= 0 || threads > 1024 || total / threads > 790000) {
        fprintf(stderr, "usage: %s [contacts] [threads]\n", argv[0]);
        return 2;
    }
    per_thread = total / threads;
    log_set_quiet(1);

    char dir[] = "/tmp/crmd-bench-XXXXXX", url[256], err[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
    if (app_open(&app, url, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    crm_user root = {.role = ROLE_SUPERADMIN};
    org_input oi = {.name = "Bench", .timezone = "UTC", .default_country = "US",
                    .admin = {.full_name = "Bench Admin", .email = "admin@bench.test", .password = "bench-password"}};
    crm_org org;
    crm_err cerr = {0};
    arena *a = arena_new();
    if (org_create(&app, &root, &oi, a, &org, &admin, &cerr) != 0) {
        fprintf(stderr, "org_create: %s\n", cerr.message);
        return 1;
    }

    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    double w0 = thread_cpu_s("db-writer"), c0 = process_cpu_s(), t0 = now_s();
    for (int t = 0; t < threads; t++)
        pthread_create(&tids[t], NULL, creator, (void *)(intptr_t)t);
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    double secs = now_s() - t0, cpu = process_cpu_s() - c0, wcpu = thread_cpu_s("db-writer") - w0;
    int made = per_thread * threads;
    printf("%d creates by %d threads in %.2f s: %.0f creates/s; CPU per create %.0f us (writer thread %.0f us); "
           "%d failed\n",
           made, threads, secs, made / secs, cpu / made * 1e6, wcpu / made * 1e6, failures);

    free(tids);
    arena_destroy(a);
    app_close(&app);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return failures ? 1 : 0;
}
