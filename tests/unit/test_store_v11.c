/* The storage contract, versions 11 and 12: CSV imports (insert with rows, get with counts by
 * status, pending rows independent or after an earlier row, a row's result written once, rows
 * listed by status, finish, claim and renew under a lease) and their purge (rows in batches,
 * then the imports they emptied; running imports and recent ones kept). Through store_ops
 * only, against SQLite in a fresh temp dir and PostgreSQL when CRMD_TEST_PG_URL names a
 * database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

static const char *label;
static objectid org, user;

struct new_import { crm_import imp; crm_import_row rows[4]; size_t n; };

static int u_new_import(store_conn *c, void *arg)
{
    struct new_import *ni = arg;
    int rc = c->ops->import_insert(c, &ni->imp);
    return rc ? rc : c->ops->import_rows_insert(c, org, ni->imp.id, ni->rows, ni->n);
}

static void new_import(store *s, crm_import *imp, int64_t created_at, size_t nrows)
{
    struct new_import ni = {0};
    objectid_new(ni.imp.id);
    memcpy(ni.imp.org_id, org, sizeof org);
    memcpy(ni.imp.user_id, user, sizeof user);
    ni.imp.state = "running";
    ni.imp.on_duplicate = "skip";
    ni.imp.file_name = "leads.csv";
    ni.imp.total = (int64_t)nrows;
    ni.imp.created_at = created_at;
    for (size_t i = 0; i < nrows; i++) {
        ni.rows[i].row = (int64_t)i + 2;
        ni.rows[i].after_row = i == 2 ? 2 : 0;   /* the third row repeats a number of the first */
        ni.rows[i].input_json = "{\"phoneNumber\":[\"+14165550100\"]}";
    }
    ni.n = nrows;
    ok(s->ops->write(s, u_new_import, &ni) == 0, "%s: an import with %zu rows", label, nrows);
    *imp = ni.imp;
}

struct row_done { const char *id; crm_import_row r; };

static int u_row_done(store_conn *c, void *arg)
{
    struct row_done *d = arg;
    return c->ops->import_row_done(c, org, d->id, &d->r);
}

struct finish { const char *id, *state; int64_t at; };

static int u_finish(store_conn *c, void *arg)
{
    struct finish *f = arg;
    return c->ops->import_finish(c, org, f->id, f->state, NULL, f->at);
}

struct claim { int64_t now, until; arena *a; crm_import out; };

static int u_claim(store_conn *c, void *arg)
{
    struct claim *k = arg;
    return c->ops->import_claim(c, k->now, k->until, k->a, &k->out);
}

static int u_renew(store_conn *c, void *arg)
{
    return c->ops->import_renew(c, org, arg, 90000);
}

struct purge { int64_t before, limit, deleted; };

static int u_purge(store_conn *c, void *arg)
{
    struct purge *p = arg;
    return c->ops->import_purge(c, p->before, p->limit, &p->deleted);
}

static void run_contract(const char *url)
{
    char err[256];
    store *s = store_open(url, err, sizeof err);
    label = strncmp(url, "sqlite:", 7) == 0 ? "SQLite" : "PostgreSQL";
    if (!ok(s != NULL, "%s: open (%s)", label, s ? "" : err))
        return;
    ok(s->ops->migrate(s) == 0, "%s: migrate", label);
    ok(s->ops->version >= 12, "%s: store_ops version 12", label);
    objectid_new(org);
    objectid_new(user);
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);

    crm_import imp, got;
    new_import(s, &imp, 1000, 3);
    ok(r->ops->import_get(r, org, imp.id, a, &got) == 0 && strcmp(got.state, "running") == 0 && got.total == 3 &&
           got.processed == 0 && strcmp(got.file_name, "leads.csv") == 0,
       "%s: get: running, 3 rows, none done", label);
    objectid other;
    objectid_new(other);
    is_int(r->ops->import_get(r, other, imp.id, a, &got), -CRM_E_NOT_FOUND, "%s: another org's id is not found", label);

    crm_import_row *rows;
    size_t n;
    ok(r->ops->import_rows_pending(r, org, imp.id, false, 0, 10, a, &rows, &n) == 0 && n == 2 && rows[0].row == 2 &&
           rows[1].row == 3,
       "%s: the independent rows pending, in order", label);
    ok(r->ops->import_rows_pending(r, org, imp.id, true, 0, 10, a, &rows, &n) == 0 && n == 1 && rows[0].row == 4 &&
           rows[0].after_row == 2,
       "%s: the row after another, apart", label);

    struct row_done d = {imp.id, {.row = 2, .status = "created"}};
    objectid_new(d.r.contact_id);
    ok(s->ops->write(s, u_row_done, &d) == 0, "%s: row 2 done", label);
    is_int(s->ops->write(s, u_row_done, &d), -CRM_E_NOT_FOUND, "%s: a row is done only once", label);
    struct row_done f = {imp.id, {.row = 3, .status = "failed", .error = "invalid_phone", .field = "phoneNumber",
                                  .value = "12", .message = "not a number"}};
    ok(s->ops->write(s, u_row_done, &f) == 0, "%s: row 3 failed", label);
    ok(r->ops->import_get(r, org, imp.id, a, &got) == 0 && got.processed == 2 && got.created == 1 && got.failed == 1,
       "%s: counts by status", label);
    int64_t total = 0;
    ok(r->ops->import_rows_list(r, org, imp.id, "failed", 0, 10, a, &rows, &n, &total) == 0 && n == 1 && total == 1 &&
           rows[0].row == 3 && strcmp(rows[0].error, "invalid_phone") == 0 && strcmp(rows[0].value, "12") == 0,
       "%s: the failed rows with their error", label);
    ok(r->ops->import_rows_list(r, org, imp.id, NULL, 0, 10, a, &rows, &n, &total) == 0 && n == 2 && total == 2,
       "%s: every row done, none pending", label);

    /* Leases: a running import is claimed once until its lease ends, and renewed by its holder. */
    struct claim k = {.now = 5000, .until = 20000, .a = a};
    ok(s->ops->write(s, u_claim, &k) == 0 && strcmp(k.out.id, imp.id) == 0, "%s: claimed", label);
    k.now = 10000;
    is_int(s->ops->write(s, u_claim, &k), -CRM_E_NOT_FOUND, "%s: not again while its lease holds", label);
    k.now = 20001;
    k.until = 40000;
    ok(s->ops->write(s, u_claim, &k) == 0, "%s: again once it ended", label);
    ok(s->ops->write(s, u_renew, (void *)imp.id) == 0, "%s: its holder renews it", label);
    k.now = 60000;
    is_int(s->ops->write(s, u_claim, &k), -CRM_E_NOT_FOUND, "%s: and keeps it past the old end", label);

    struct finish fin = {imp.id, "done", 50000};
    ok(s->ops->write(s, u_finish, &fin) == 0, "%s: finished", label);
    is_int(s->ops->write(s, u_finish, &fin), -CRM_E_NOT_FOUND, "%s: only a running import finishes", label);
    is_int(s->ops->write(s, u_renew, (void *)imp.id), -CRM_E_NOT_FOUND, "%s: an ended import is not renewed", label);

    /* Purge: the ended import's rows in batches, then the import; a running one and a recent
     * one stay. */
    crm_import running, recent;
    new_import(s, &running, 2000, 2);
    new_import(s, &recent, 3000, 1);
    struct finish fin2 = {recent.id, "failed", 900000};
    ok(s->ops->write(s, u_finish, &fin2) == 0, "%s: a recent import ended", label);
    struct purge p = {.before = 100000, .limit = 2};
    ok(s->ops->write(s, u_purge, &p) == 0 && p.deleted == 2, "%s: a batch of 2 rows (%lld)", label, (long long)p.deleted);
    ok(r->ops->import_get(r, org, imp.id, a, &got) == 0, "%s: the import stays while it has rows", label);
    ok(s->ops->write(s, u_purge, &p) == 0 && p.deleted == 2, "%s: its last row, then the import (%lld)", label,
       (long long)p.deleted);
    is_int(r->ops->import_get(r, org, imp.id, a, &got), -CRM_E_NOT_FOUND, "%s: the ended import is gone", label);
    ok(s->ops->write(s, u_purge, &p) == 0 && p.deleted == 0, "%s: nothing more to purge", label);
    ok(r->ops->import_get(r, org, running.id, a, &got) == 0 && got.total == 2, "%s: the running import stays", label);
    ok(r->ops->import_rows_pending(r, org, running.id, false, 0, 10, a, &rows, &n) == 0 && n == 2,
       "%s: with its rows", label);
    ok(r->ops->import_get(r, org, recent.id, a, &got) == 0, "%s: an import that ended after the cut stays", label);
    arena_destroy(a);
    s->ops->close(s);
}

int main(void)
{
    return run_on_each_backend(run_contract) ? 1 : tap_done();
}
