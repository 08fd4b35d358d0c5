/* Every unit of work of an import may run again: a store may run a unit a second time with the
 * same arguments (PostgreSQL's does after a deadlock or a serialization failure, store/pg/pg.c,
 * and the statement that met the deadlock answers UNAVAILABLE). Here on SQLite, whose imports
 * put many rows in one unit, a store whose write runs each unit twice: first with the unit's
 * second contact insert failing so (then rolled back), then as it is. An import must end as it
 * does on a plain store, and no second run may fail with the first run's UNAVAILABLE: a unit of
 * rows kept it, failed again, and its rows waited for the worker's next pass. */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "lib/errors.h"
#include "service/imports.h"
#include "service/orgs.h"
#include "service/users.h"
#include "tap.h"
#include "temp_app.h"

#define ROWS 10

static const store_ops *real_ops;
static store_ops twice_ops;
static atomic_int inserts, units, second_run_failures;   /* failures: UNAVAILABLE */

static int insert_failing_second(store_conn *c, const crm_contact *ct)
{
    if (atomic_fetch_add(&inserts, 1) == 1)
        return -CRM_E_UNAVAILABLE;
    return real_ops->contact_insert(c, ct);
}

struct first_run {
    store_work_fn fn;
    void *arg;
};

/* The unit with the fault, always rolled back, as a unit that met a deadlock is (with a code
 * that SQLite's writer takes for the unit's own failure, not for a lost transaction). */
static int run_with_fault(store_conn *c, void *arg)
{
    struct first_run *f = arg;
    const store_ops *ops = c->ops;
    store_ops faulty = *ops;
    faulty.contact_insert = insert_failing_second;
    atomic_store(&inserts, 0);
    c->ops = &faulty;
    f->fn(c, f->arg);
    c->ops = ops;
    return -CRM_E_VALIDATION_FAILED;
}

static int write_twice(store *st, store_work_fn fn, void *arg)
{
    struct first_run f = {fn, arg};
    atomic_fetch_add(&units, 1);
    real_ops->write(st, run_with_fault, &f);
    int rc = real_ops->write(st, fn, arg);
    if (rc == -CRM_E_UNAVAILABLE)   /* the first run's fault, kept: no other unit fails so here */
        atomic_fetch_add(&second_run_failures, 1);
    return rc;
}

int main(void)
{
    temp_app t;
    temp_app_open(&t);
    arena *a = arena_new();
    crm_err err = {0};
    crm_user admin;
    crm_org org;
    temp_app_org(&t, "rerun-import", a, &org, &admin);

    /* ten rows with numbers of their own, and one whose number is an earlier row's */
    char csv[1024];
    size_t len = (size_t)snprintf(csv, sizeof csv, "firstName,phoneNumber\n");
    for (int i = 0; i < ROWS; i++)
        len += (size_t)snprintf(csv + len, sizeof csv - len, "Row%d,(212) 555-01%02d\n", i, i);
    len += (size_t)snprintf(csv + len, sizeof csv - len, "Again,(212) 555-0100\n");

    real_ops = t.app.st->ops;
    twice_ops = *real_ops;
    twice_ops.write = write_twice;
    t.app.st->ops = &twice_ops;

    crm_import imp;
    import_options opt = {0};
    is_int(import_start(&t.app, &admin, &opt, csv, len, a, &imp, &err), 0, "the import is stored (%s)",
           err.message ? err.message : "ok");
    char why[256];
    import_worker *w = import_worker_start(&t.app, api_import_row_read, 2, why, sizeof why);
    ok(w != NULL, "the worker starts");
    import_worker_wake(w);
    crm_import now = {0};
    for (int i = 0; i < 1000; i++) {
        if (import_read(&t.app, &admin, imp.id, a, &now, &err) == 0 && strcmp(now.state, "running") != 0)
            break;
        usleep(10 * 1000);
    }
    import_worker_stop(w);
    t.app.st->ops = real_ops;

    is_str(now.state, "done", "the import ends");
    is_int(now.created, ROWS, "every row with a number of its own created a contact");
    is_int(now.skipped, 1, "the row with an earlier row's number is skipped");
    is_int(now.failed, 0, "none failed");
    ok(atomic_load(&units) > 0, "its units ran twice each (%d units)", atomic_load(&units));
    is_int(atomic_load(&second_run_failures), 0, "no unit failed with the first run's UNAVAILABLE on its second");

    crm_import_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    is_int(import_rows(&t.app, &admin, imp.id, NULL, 1, 100, a, &rows, &n, &total, &err), 0, "its rows read back");
    is_int(total, ROWS + 1, "each row has one result");
    int with_contact = 0;
    for (size_t i = 0; i < n; i++)
        with_contact += rows[i].contact_id[0] != '\0';
    is_int(with_contact, ROWS + 1, "each names its contact (the skipped row, the holder's)");

    arena_destroy(a);
    ok(temp_app_close(&t), "the temp dir is removed");
    return tap_done();
}
