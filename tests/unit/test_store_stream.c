/* The durable event stream under concurrent writers, through store_ops only, on SQLite in a temp
 * dir and on PostgreSQL when CRMD_TEST_PG_URL names a database: a reader that polls the stream
 * while units commit in an order of their own must see every committed event exactly once, in
 * strictly increasing numbers, and never an event numbered below one it has already seen (SSE
 * resume and the webhook dispatcher keep only the last number they saw). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

#define WRITERS 8
#define PER_WRITER 150

struct slow_append { struct append_arg e; unsigned seed; };

/* Appends, then lingers a random while inside the unit: commits land out of the order in
 * which units began and appended. */
static int u_slow_append(store_conn *c, void *arg)
{
    struct slow_append *s = arg;
    int rc = c->ops->event_append(c, s->e.org_id, s->e.name, s->e.payload, &s->e.seq);
    struct timespec ts = {0, (long)(rand_r(&s->seed) % 400) * 1000};
    nanosleep(&ts, NULL);
    return rc;
}

struct writer { store *s; const char *org_id; int id; int committed; };

static void *write_events(void *arg)
{
    struct writer *w = arg;
    char payload[64];
    struct slow_append a = {.seed = (unsigned)w->id * 7919u + 1};
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(payload, sizeof payload, "{\"w\":%d,\"i\":%d}", w->id, i);
        a.e = (struct append_arg){w->org_id, "contact_created", payload, 0};
        if (w->s->ops->write(w->s, u_slow_append, &a) == 0)
            w->committed++;
    }
    return NULL;
}

static atomic_int writers_done;

struct reader {
    store *s;
    int64_t start;
    int seen, backwards, duplicates, errors;
    unsigned char *got;          /* got[w * PER_WRITER + i]: payload (w, i) seen */
};

/* Reads the stream after the last number seen until the writers are done and nothing is left. */
static void *read_events(void *arg)
{
    struct reader *r = arg;
    store_conn *c = r->s->ops->reader(r->s);
    int64_t last = r->start;
    for (;;) {
        bool done = atomic_load(&writers_done) == WRITERS;
        arena *a = arena_new();
        crm_event *ev;
        size_t n = 0;
        if (!c || c->ops->event_list_after(c, NULL, last, 64, a, &ev, &n) != 0)
            r->errors++;
        for (size_t i = 0; i < n; i++) {
            int w, k;
            if (ev[i].seq <= last)
                r->backwards++;
            last = ev[i].seq;
            if (sscanf(ev[i].payload_json, "{\"w\":%d,\"i\":%d}", &w, &k) == 2 && w >= 0 && w < WRITERS &&
                k >= 0 && k < PER_WRITER) {
                if (r->got[w * PER_WRITER + k]++)
                    r->duplicates++;
                r->seen++;
            }
        }
        arena_destroy(a);
        if (done && n == 0)
            return NULL;
        if (n == 0)
            usleep(200);
    }
}

static void run_contract(const char *url)
{
    char err[512] = "";
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "store_open %s", url)) {
        fprintf(stderr, "# %s\n", err);
        return;
    }
    is_int(s->ops->migrate(s), 0, "migrate");
    crm_org o = {.name = "Stream", .timezone = "UTC", .default_country = "US",
                 .created_at = 1700000000000, .updated_at = 1700000000000};
    objectid_new(o.id);
    is_int(s->ops->write(s, u_org_insert, &o), 0, "an organization");
    store_conn *c = s->ops->reader(s);
    struct reader rd = {.s = s, .got = calloc(WRITERS * PER_WRITER, 1)};
    is_int(c ? c->ops->event_last_seq(c, &rd.start) : -1, 0, "the newest number before the writers");

    pthread_t wt[WRITERS], rt;
    struct writer w[WRITERS];
    atomic_store(&writers_done, 0);
    pthread_create(&rt, NULL, read_events, &rd);
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){s, o.id, i, 0};
        pthread_create(&wt[i], NULL, write_events, &w[i]);
    }
    int committed = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(wt[i], NULL);
        committed += w[i].committed;
        atomic_fetch_add(&writers_done, 1);
    }
    pthread_join(rt, NULL);

    is_int(committed, WRITERS * PER_WRITER, "every append committed");
    is_int(rd.errors, 0, "every read answered");
    is_int(rd.backwards, 0, "numbers only ever grew for the reader");
    is_int(rd.duplicates, 0, "no event twice");
    is_int(rd.seen, committed, "the reader saw every committed event");

    /* And a reader starting over from the same point reads the same, in one pass. */
    arena *a = arena_new();
    crm_event *ev;
    size_t n = 0;
    is_int(c->ops->event_list_after(c, o.id, rd.start, WRITERS * PER_WRITER + 10, a, &ev, &n), 0,
           "the organization's events again");
    int ordered = 1;
    for (size_t i = 1; i < n; i++)
        ordered &= ev[i].seq > ev[i - 1].seq;
    is_int(n, committed, "all of them");
    ok(ordered, "in increasing numbers");
    arena_destroy(a);
    free(rd.got);
    s->ops->close(s);
}

int main(void)
{
    char dir[] = "/tmp/crmd-test-stream-XXXXXX", url[1100];
    log_set_quiet(1);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(url, sizeof url, "sqlite:%s/crm.db", dir);
    run_contract(url);
    const char *pg = getenv("CRMD_TEST_PG_URL");
    if (pg && *pg)
        run_contract(pg);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", dir);
    return tap_done();
}
