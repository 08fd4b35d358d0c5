/* Commands on a database's data: check and backup (store/store_tools.h), migrate (store/copy.h),
 * export (service/contact_export.h) and import (service/imports.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "lib/objectid.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"
#include "api/api.h"
#include "service/contact_export.h"
#include "service/imports.h"
#include "service/orgs.h"
#include "store/copy.h"
#include "store/store_tools.h"

/* check's report: each violation on a line of stdout, at most CHECK_SHOWN of each kind. */
#define CHECK_SHOWN 20

struct check_report {
    int64_t total;
    const char *kinds[64];
    int64_t counts[64];
    size_t nkinds;
};

static void print_violation(void *ctx, const store_violation *v)
{
    struct check_report *r = ctx;
    size_t i = 0;
    while (i < r->nkinds && strcmp(r->kinds[i], v->kind) != 0)
        i++;
    if (i == r->nkinds && r->nkinds < sizeof r->kinds / sizeof r->kinds[0])
        r->kinds[r->nkinds++] = v->kind;   /* kinds are static strings of the store */
    r->total++;
    if (i < r->nkinds && ++r->counts[i] > CHECK_SHOWN)
        return;
    printf("violation %s: org %s: %s: %s\n", v->kind, v->org_id ? v->org_id : "-", v->subject ? v->subject : "-",
           v->rule);
}

/* Exit status: 0 sound, 3 violations found (listed on stdout), 1 the check could not run. */
int cli_check(const struct cli_options *o)
{
    struct check_report r = { 0 };
    store_check_stats stats;
    char err[512];
    if (store_check(o->db, print_violation, &r, &stats, err, sizeof err) != 0) {
        fprintf(stderr, "crmd: check: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < r.nkinds; i++)
        if (r.counts[i] > CHECK_SHOWN)
            printf("violation %s: ... and %lld more\n", r.kinds[i], (long long)(r.counts[i] - CHECK_SHOWN));
    printf("crmd check: %s: %lld organizations, %lld users, %lld contacts, %lld events",
           r.total ? "VIOLATIONS" : "ok", (long long)stats.orgs, (long long)stats.users, (long long)stats.contacts,
           (long long)stats.events);
    if (stats.unnumbered)
        printf(" (%lld awaiting a number)", (long long)stats.unnumbered);
    if (r.total)
        printf("; %lld violations of %zu kinds\n", (long long)r.total, r.nkinds);
    else
        printf("\n");
    return r.total ? 3 : 0;
}

static volatile sig_atomic_t backup_stop;

static void on_backup_signal(int sig)
{
    (void)sig;
    backup_stop = 1;
}

int cli_backup(const struct cli_options *o)
{
    store_backup_stats stats;
    struct sigaction sa = { .sa_handler = on_backup_signal };
    char err[1024];
    if (!o->to)
        return cli_usage_error("%s", "backup needs --to FILE");
    /* Ctrl-C or SIGTERM abandon the copy between two steps and remove the temporary file. */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t started = time_now_ms();
    if (store_backup(o->db, o->to, &backup_stop, &stats, err, sizeof err) != 0) {
        fprintf(stderr, "crmd: backup: %s\n", err);
        return 1;
    }
    printf("crmd backup: %s written (%lld bytes, %lld pages, %lld contacts, events up to %lld) in %lld ms\n",
           o->to, (long long)stats.bytes, (long long)stats.pages, (long long)stats.contacts,
           (long long)stats.last_event_seq, (long long)(time_now_ms() - started));
    return 0;
}

/* Copies an installation into an empty database; prints the rows of each table on both sides. */
int cli_migrate(const struct cli_options *o)
{
    if (!o->from || !o->to)
        return cli_usage_error("%s", "migrate needs --from URL and --to URL");
    if (strcmp(o->from, o->to) == 0)
        return cli_usage_error("%s", "--from and --to name the same database");
    char err[512];
    store *from = store_open(o->from, err, sizeof err), *to = NULL;
    if (!from) {
        fprintf(stderr, "crmd: source: %s\n", err);
        return 1;
    }
    if (!(to = store_open(o->to, err, sizeof err))) {
        fprintf(stderr, "crmd: target: %s\n", err);
        from->ops->close(from);
        return 1;
    }
    store_copy_report rep;
    int rc = store_copy(from, to, &rep, err, sizeof err);
    to->ops->close(to);
    from->ops->close(from);
    for (size_t i = 0; i < rep.n; i++)
        printf("  %-20s %10lld\n", rep.counts[i].table, (long long)rep.counts[i].target);
    if (rc) {
        fprintf(stderr, "crmd: migrate: %s\n", err);
        return 1;
    }
    printf("crmd: migrated; every table holds as many rows as in the source\n");
    return 0;
}

/* Progress on stderr: a bar redrawn in place on a terminal, else a line at every tenth. */
static void progress(const char *what, int64_t done, int64_t total, bool tty, int *shown)
{
    int tenth = total > 0 ? (int)(done * 10 / total) : 10;
    if (tty) {
        char bar[21];
        int fill = total > 0 ? (int)(done * 20 / total) : 20;
        for (int i = 0; i < 20; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[20] = '\0';
        fprintf(stderr, "\r%s [%s] %lld of %lld", what, bar, (long long)done, (long long)total);
    } else if (tenth > *shown) {
        fprintf(stderr, "%s: %lld of %lld\n", what, (long long)done, (long long)total);
    }
    *shown = tenth;
}

/* The organization's contacts as CSV, as an ADMIN of it would export them with ownerFilter=all. */
int cli_export(const struct cli_options *o)
{
    if (!o->org || !objectid_valid(o->org))
        return cli_usage_error("%s", "export needs --org with an organization id (24 hex characters)");
    crm_app app;
    if (cli_open_app(&app, o))
        return 1;
    crm_user admin = {.role = ROLE_ADMIN};
    snprintf(admin.org_id, sizeof admin.org_id, "%s", o->org);
    contact_list_input in = {.page = 1, .size = 1, .owner_filter = "all"};
    crm_err err = { 0 };
    arena *a = arena_new();
    crm_org org;
    crm_contact *first;
    size_t n;
    int64_t total = 0;
    char *next;
    contact_export *x = NULL;
    FILE *out = stdout;
    int rc = 1;
    if (org_read(&app, &admin, o->org, a, &org, &err) || contact_list(&app, &admin, &in, a, &first, &n, &total, &next, &err) ||
        contact_export_open(&app, &admin, &in, &x, &err)) {
        cli_print_err("export", &err);
        goto done;
    }
    if (o->file && !(out = fopen(o->file, "w"))) {
        fprintf(stderr, "crmd: export: cannot write %s: %s\n", o->file, strerror(errno));
        out = stdout;
        goto done;
    }
    bool tty = isatty(STDERR_FILENO);
    int shown = -1;
    char buf[64 * 1024];
    long got;
    while ((got = contact_export_read(x, buf, sizeof buf)) > 0) {
        if (fwrite(buf, 1, (size_t)got, out) != (size_t)got)
            break;
        progress("exporting", contact_export_rows(x), total, tty, &shown);
    }
    if (tty)
        fputc('\n', stderr);
    bool unwritten = ferror(out) != 0;
    unwritten |= (out == stdout ? fflush(out) : fclose(out)) != 0;
    out = stdout;
    if (got < 0 || unwritten) {
        fprintf(stderr, "crmd: export failed after %lld contacts%s\n", (long long)contact_export_rows(x),
                got < 0 ? ": the database could not be read" : ": the output could not be written");
        if (o->file)
            unlink(o->file);
        goto done;
    }
    fprintf(stderr, "crmd: exported %lld contacts of %s\n", (long long)contact_export_rows(x), org.name);
    rc = 0;
done:
    if (out != stdout)
        fclose(out);
    contact_export_close(x);
    arena_destroy(a);
    app_close(&app);
    return rc;
}


/* The whole file in memory (an import reads it whole), at most IMPORT_MAX_BYTES. NULL after
 * printing why. */
static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f) {
        fprintf(stderr, "crmd: import: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = xrealloc(buf, cap + 1);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0 && n <= IMPORT_MAX_BYTES);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > IMPORT_MAX_BYTES) {
        fprintf(stderr, "crmd: import: %s %s\n", path,
                bad ? "could not be read" : "is larger than the import limit of 50 MiB");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Imports FILE as --user of --org, through the same job and worker as the server's. */
int cli_import(const struct cli_options *o)
{
    if (!o->org || !objectid_valid(o->org))
        return cli_usage_error("%s", "import needs --org with an organization id (24 hex characters)");
    if (!o->user || !o->file)
        return cli_usage_error("%s", "import needs --user EMAIL and a FILE");
    size_t len;
    char *data = read_whole(o->file, &len);
    if (!data)
        return 1;
    crm_app app;
    if (cli_open_app(&app, o)) {
        free(data);
        return 1;
    }
    arena *a = arena_new();
    crm_err err = { 0 };
    crm_user me;
    crm_import imp;
    const char *slash = strrchr(o->file, '/');
    import_options opt = { .file_name = slash ? slash + 1 : o->file };
    import_worker *w = NULL;
    char why[256];
    int rc = 1;
    if (import_caller(&app, o->org, o->user, a, &me, &err) ||
        import_start(&app, &me, &opt, data, len, a, &imp, &err)) {
        cli_print_err("import", &err);
        goto done;
    }
    int runners = atoi(cli_env_or("CRMD_IMPORT_RUNNERS", "16"));
    if (runners < 1 || runners > 256)
        runners = 16;
    if (!(w = import_worker_start(&app, api_import_row_read, (unsigned)runners, why, sizeof why))) {
        fprintf(stderr, "crmd: import: %s\n", why);
        goto done;
    }
    bool tty = isatty(STDERR_FILENO);
    int shown = -1;
    for (;;) {
        arena_reset(a);
        if (import_read(&app, &me, imp.id, a, &imp, &err)) {
            cli_print_err("import", &err);
            goto done;
        }
        progress("importing", imp.processed, imp.total, tty, &shown);
        if (strcmp(imp.state, "running") != 0)
            break;
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (tty)
        fputc('\n', stderr);
    fprintf(stderr, "crmd: import %s %s: %lld rows: %lld created, %lld updated, %lld skipped, %lld failed%s%s\n",
            imp.id, imp.state, (long long)imp.total, (long long)imp.created, (long long)imp.updated,
            (long long)imp.skipped, (long long)imp.failed, imp.error ? ": " : "", imp.error ? imp.error : "");
    crm_import_row *rows;
    size_t n;
    int64_t total;
    if (imp.failed && import_rows(&app, &me, imp.id, "failed", 1, 20, a, &rows, &n, &total, &err) == 0)
        for (size_t i = 0; i < n; i++)
            printf("row %lld: %s%s%s: %s\n", (long long)rows[i].row, rows[i].error, rows[i].field ? " " : "",
                   rows[i].field ? rows[i].field : "", rows[i].message ? rows[i].message : "");
    rc = strcmp(imp.state, "done") != 0 ? 1 : imp.failed ? 3 : 0;
done:
    import_worker_stop(w);
    arena_destroy(a);
    app_close(&app);
    free(data);
    return rc;
}
