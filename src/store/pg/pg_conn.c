/* PostgreSQL store: one libpq connection, its prepared statements, parameters and results, and
 * how a failure maps to a store code. */
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"
#include "store/pg/pg_impl.h"

#define PG_RECONNECT_MS 250

static const char *const stmt_sql[PG__COUNT] = {
#define PG_STMT_TEXT(id, sql) [PG_##id] = sql,
    PG_STATEMENTS(PG_STMT_TEXT)
#undef PG_STMT_TEXT
};

static const char *const stmt_name[PG__COUNT] = {
#define PG_STMT_NAME(id, sql) [PG_##id] = #id,
    PG_STATEMENTS(PG_STMT_NAME)
#undef PG_STMT_NAME
};

/* libpq's notices (NOTICE: relation already exists...) are not crmd's to print. */
static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

PGconn *pg_connect(const char *url, char *err, size_t errlen)
{
    /* Defaults first: with expand_dbname, the URL's own settings override them. */
    const char *keys[] = {"connect_timeout", "keepalives_idle", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "30", "crmd", url, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (!db)
        abort();
    if (PQstatus(db) != CONNECTION_OK) {
        const char *why = PQerrorMessage(db);
        size_t n = strcspn(why, "\n");
        snprintf(err, errlen, "cannot connect to PostgreSQL: %.*s", (int)n, why);
        PQfinish(db);
        return NULL;
    }
    PQsetNoticeProcessor(db, quiet_notices, NULL);
    /* Outside a unit of work a connection only reads (as SQLite's readers): units begin READ
     * WRITE. */
    PGresult *r = PQexec(db, "SET default_transaction_read_only = on");
    bool set = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!set) {
        snprintf(err, errlen, "cannot configure the PostgreSQL session: %.*s",
                 (int)strcspn(PQerrorMessage(db), "\n"), PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

pg_conn *pg_conn_new(pg_store *owner, PGconn *db, const store_ops *ops)
{
    pg_conn *c = xcalloc(1, sizeof *c);
    c->base.ops = ops;
    c->owner = owner;
    c->db = db;
    return c;
}

void pg_conn_close(pg_conn *c)
{
    if (!c)
        return;
    PQfinish(c->db);
    if (c->unit_arena)
        arena_destroy(c->unit_arena);
    pg_defer_free(c);
    free(c);
}

/* An idle connection whose server went away (a restart, a failover) has a readable socket: EOF
 * or the server's goodbye. Noticing it here costs one poll and saves the request a 503. */
static bool went_away(PGconn *db)
{
    struct pollfd p = {.fd = PQsocket(db), .events = POLLIN};
    if (p.fd < 0)
        return true;
    if (poll(&p, 1, 0) <= 0)
        return false;
    return !PQconsumeInput(db) || PQstatus(db) != CONNECTION_OK;
}

int pg_conn_ready(pg_conn *c, const char *url, _Atomic int64_t *connected_at)
{
    if (!c->broken && PQstatus(c->db) == CONNECTION_OK && !went_away(c->db))
        return 0;
    /* A down server fails fast: one attempt per PG_RECONNECT_MS per connection, unless another
     * connection of this process got through since, which says the server is back. */
    int64_t now = time_now_ms();
    if (now < c->failed_connect_at + PG_RECONNECT_MS && atomic_load(connected_at) < c->failed_connect_at)
        return -CRM_E_UNAVAILABLE;
    char err[256];
    PGconn *db = pg_connect(url, err, sizeof err);
    if (!db) {
        if (!c->broken)
            log_error("store: %s", err);
        c->broken = true;
        c->failed_connect_at = now;
        return -CRM_E_UNAVAILABLE;
    }
    atomic_store(connected_at, now);
    PQfinish(c->db);
    c->db = db;
    c->broken = false;
    memset(c->prepared, 0, sizeof c->prepared);
    c->nvariants = 0;
    log_info("store: reconnected to PostgreSQL");
    return 0;
}

static bool is_connection_error(const char *state)
{
    /* Class 08 (connection exception) and the shutdown states of class 57. */
    return !state || strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

int pg_fail(pg_conn *c, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "23505") == 0) {
        const char *cons = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        if (cons && (strcmp(cons, "contact_phones_pkey") == 0 || strcmp(cons, "org_phone_numbers_pkey") == 0))
            return -CRM_E_PHONE_TAKEN;
        if (cons && strcmp(cons, "users_email_key") == 0)
            return -CRM_E_EMAIL_TAKEN;
        if (cons && strcmp(cons, "pipelines_name_key") == 0)
            return -CRM_E_NAME_TAKEN;
    }
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
        c->retry = true;   /* pg.c's write runs the unit again */
        return -CRM_E_UNAVAILABLE;
    }
    /* No SQLSTATE at all: libpq's own failure, the connection is gone. */
    if (PQstatus(c->db) != CONNECTION_OK || is_connection_error(state)) {
        const char *why = PQerrorMessage(c->db);
        if (!c->broken)
            log_error("store: lost the PostgreSQL connection (%s): %.*s", what, (int)strcspn(why, "\n"),
                      *why ? why : "no answer");
        c->broken = true;
        return -CRM_E_UNAVAILABLE;
    }
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->db);
    log_error("store: %s failed: %.*s", what, (int)strcspn(msg, "\n"), msg);
    return -CRM_E_UNAVAILABLE;
}

/* Takes a result: 0 and *out (or cleared) when it succeeded, else the fail code. */
static int finish(pg_conn *c, PGresult *r, const char *what, PGresult **out)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (out)
            *out = r;
        else
            PQclear(r);
        return 0;
    }
    int rc = pg_fail(c, r, what);
    PQclear(r);
    return rc;
}

static int prepare(pg_conn *c, const char *name, const char *sql, int ntypes, const Oid *types,
                   const char *what)
{
    PGresult *r = PQprepare(c->db, name, sql, ntypes, types);
    return finish(c, r, what, NULL);
}

static const char *const *values(const pg_params *p)
{
    return p ? p->v : NULL;
}

static int run_pipeline(pg_conn *c, int last_id, const pg_params *last_p, const char *last_sql, PGresult **res);

/* Sends what a unit has waiting (BEGIN, queued statements), if anything. */
int pg_unit_flush(pg_conn *c)
{
    if (!c->in_unit || (!c->begin_pending && !c->nqueued))
        return 0;
    return run_pipeline(c, -1, NULL, NULL, NULL);
}

static int exec_once(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **res)
{
    int rc;
    if (res)
        *res = NULL;
    c->number_known = false;
    if (c->broken)
        return -CRM_E_UNAVAILABLE;
    if (c->in_unit && (c->begin_pending || c->nqueued))
        return run_pipeline(c, (int)id, p, NULL, res);
    if (!c->prepared[id]) {
        if ((rc = prepare(c, stmt_name[id], stmt_sql[id], 0, NULL, stmt_name[id])))
            return rc;
        c->prepared[id] = true;
    }
    PGresult *r = PQexecPrepared(c->db, stmt_name[id], p ? p->n : 0, values(p), NULL, NULL, 0);
    return finish(c, r, stmt_name[id], res);
}

/* A read outside a unit of work that finds its connection dead (the server restarted or failed
 * over since the connection's last use, and nothing showed it) runs once more on a new one:
 * nothing was written, so nothing can happen twice. */
static bool read_again(pg_conn *c, int rc)
{
    return rc && c->broken && !c->in_unit && pg_reconnect(c) == 0;
}

int pg_exec(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **res)
{
    int rc = exec_once(c, id, p, res);
    return read_again(c, rc) ? exec_once(c, id, p, res) : rc;
}

static int exec_typed_once(pg_conn *c, uint32_t key, const char *name, pg_build_fn build, const pg_params *p,
                           const Oid *types, PGresult **res)
{
    char stmt[16];
    int rc;
    if (res)
        *res = NULL;
    c->number_known = false;
    if (c->broken)
        return -CRM_E_UNAVAILABLE;
    if ((rc = pg_unit_flush(c)))
        return rc;
    snprintf(stmt, sizeof stmt, "v%08" PRIx32, key);
    bool known = false;
    for (unsigned i = 0; i < c->nvariants && !known; i++)
        known = c->variants[i] == key;
    if (!known) {
        char *sql = xmalloc(16384);
        sql[0] = '\0';
        build(key, sql, 16384);
        if (c->nvariants == PG_VARIANTS) {
            /* Full: forget them all (DEALLOCATE ALL) rather than track which is oldest. */
            if ((rc = pg_exec_simple(c, "DEALLOCATE ALL", "forgetting statements"))) {
                free(sql);
                return rc;
            }
            memset(c->prepared, 0, sizeof c->prepared);
            c->nvariants = 0;
        }
        rc = prepare(c, stmt, sql, p->n, types, name);
        free(sql);
        if (rc)
            return rc;
        c->variants[c->nvariants++] = key;
    }
    PGresult *r = PQexecPrepared(c->db, stmt, p ? p->n : 0, values(p), NULL, NULL, 0);
    return finish(c, r, name, res);
}

int pg_exec_typed(pg_conn *c, uint32_t key, const char *name, pg_build_fn build, const pg_params *p,
                  const Oid *types, PGresult **res)
{
    int rc = exec_typed_once(c, key, name, build, p, types, res);
    return read_again(c, rc) ? exec_typed_once(c, key, name, build, p, types, res) : rc;
}

int pg_plan_text(pg_conn *c, PGresult *explain, const char *what, char *out, size_t outlen)
{
    int rc = 0;
    out[0] = '\0';
    if (PQresultStatus(explain) == PGRES_TUPLES_OK) {
        size_t used = 0;
        for (int i = 0; i < PQntuples(explain); i++)
            used += (size_t)snprintf(out + used, used < outlen ? outlen - used : 0, "%s\n",
                                     PQgetvalue(explain, i, 0));
    } else {
        rc = pg_fail(c, explain, what);
    }
    PQclear(explain);
    return rc;
}

int pg_statement_plan(pg_conn *c, const char *name, char *out, size_t outlen)
{
    for (int id = 0; id < PG__COUNT; id++)
        if (strcmp(stmt_name[id], name) == 0 && c->prepared[id]) {
            char sql[128];
            snprintf(sql, sizeof sql, "EXPLAIN EXECUTE \"%s\"", name);
            return pg_plan_text(c, PQexec(c->db, sql), sql, out, outlen);
        }
    return -CRM_E_NOT_FOUND;
}

int pg_exec_simple(pg_conn *c, const char *sql, const char *what)
{
    int rc;
    c->number_known = false;
    if (c->broken)
        return -CRM_E_UNAVAILABLE;
    if ((rc = pg_unit_flush(c)))
        return rc;
    return finish(c, PQexec(c->db, sql), what, NULL);
}

/* --- units of work, pipelined ---
 *
 * A create used to wait for a dozen round trips (BEGIN, each lock, each read, each insert,
 * COMMIT), each a pair of context switches on both sides. Here a unit's statements that need no
 * answer wait in c->queue and travel in one libpq pipeline with the next statement that does:
 * BEGIN and the pipeline lock with the pipeline read, a number's lock with its check, the log
 * row and the event with COMMIT. The server runs them in order, so a lock is held before the
 * read after it takes its snapshot, as when each went alone; and after a failed statement it
 * skips the rest up to the pipeline's end (COMMIT included), so a failed write never commits. */

void pg_unit_begin(pg_conn *c)
{
    c->begin_pending = true;
    c->nqueued = 0;
    c->nlocks = 0;
    c->number_known = false;
    c->ahead = false;
    if (c->unit_arena)
        arena_reset(c->unit_arena);
    pg_defer_reset(c);
    c->in_unit = true;
}

static void unit_end(pg_conn *c)
{
    c->in_unit = false;
    c->begin_pending = false;
    c->nqueued = 0;
    c->nlocks = 0;
    c->number_known = false;
    c->ahead = false;
    pg_defer_reset(c);
}

static int queue(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **out)
{
    int rc;
    if (out)
        *out = NULL;
    if (!c->in_unit)
        return pg_exec(c, id, p, out);
    c->number_known = false;
    if (c->broken)
        return -CRM_E_UNAVAILABLE;
    if (c->nqueued == PG_QUEUE_MAX && (rc = pg_unit_flush(c)))
        return rc;
    if (!c->unit_arena)
        c->unit_arena = arena_new();
    pg_queued *q = &c->queue[c->nqueued++];
    q->id = (int)id;
    q->n = p ? p->n : 0;
    q->out = out;
    q->v = arena_alloc(c->unit_arena, (size_t)(q->n ? q->n : 1) * sizeof *q->v);
    for (int i = 0; i < q->n; i++)
        q->v[i] = arena_strdup(c->unit_arena, p->v[i]);
    return 0;
}

int pg_exec_later(pg_conn *c, pg_stmt_id id, const pg_params *p)
{
    return queue(c, id, p, NULL);
}

int pg_exec_later_result(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **out)
{
    return queue(c, id, p, out);
}

bool pg_unit_first_lock(pg_conn *c, pg_stmt_id lock, const char *k1, const char *k2, const char *k3)
{
    if (!c->unit_arena)
        c->unit_arena = arena_new();
    /* The unit separator cannot occur in an id, a number or a key the API accepts as one. */
    const char *key = arena_printf(c->unit_arena, "%d\x1f%s\x1f%s\x1f%s", (int)lock, k1 ? k1 : "",
                                   k2 ? k2 : "", k3 ? k3 : "");
    for (int i = 0; i < c->nlocks; i++)
        if (strcmp(c->locks[i], key) == 0)
            return false;
    if (c->nlocks < PG_LOCKS_MAX)
        c->locks[c->nlocks++] = key;
    return true;
}

/* One command sent in a pipeline: what to call it in a log line, and the statement it prepares
 * (-1: it runs one). */
typedef struct sent {
    const char *what;
    int prepares;
    PGresult **out;
} sent;

#define PIPELINE_MAX (2 * PG_QUEUE_MAX + 4)

static bool send_stmt(pg_conn *c, int id, int n, const char *const *v, PGresult **out, sent *cmds, int *ncmds)
{
    if (!c->prepared[id]) {
        if (!PQsendPrepare(c->db, stmt_name[id], stmt_sql[id], 0, NULL))
            return false;
        c->prepared[id] = true;   /* taken back below if the server refuses it */
        cmds[(*ncmds)++] = (sent){stmt_name[id], id, NULL};
    }
    if (!PQsendQueryPrepared(c->db, stmt_name[id], n, v, NULL, NULL, 0))
        return false;
    cmds[(*ncmds)++] = (sent){stmt_name[id], -1, out};
    return true;
}

/* Sends, in one round trip, BEGIN if the unit has not sent it yet, the queued statements, then
 * the statement last_id with last_p (or the text last_sql, or nothing), and reads every answer:
 * the last statement's result goes to *res; the first failure is returned. */
static int run_pipeline(pg_conn *c, int last_id, const pg_params *last_p, const char *last_sql, PGresult **res)
{
    PGconn *db = c->db;
    sent cmds[PIPELINE_MAX];
    int ncmds = 0, rc = 0;
    bool ok = PQenterPipelineMode(db) == 1;
    if (ok && c->begin_pending) {
        ok = PQsendQueryParams(db, "BEGIN READ WRITE", 0, NULL, NULL, NULL, NULL, 0) == 1;
        cmds[ncmds++] = (sent){"BEGIN", -1, NULL};
    }
    for (int i = 0; ok && i < c->nqueued; i++) {
        pg_queued *q = &c->queue[i];
        ok = send_stmt(c, q->id, q->n, q->v, q->out, cmds, &ncmds);
    }
    if (ok && last_id >= 0)
        ok = send_stmt(c, last_id, last_p ? last_p->n : 0, values(last_p), res, cmds, &ncmds);
    else if (ok && last_sql) {
        ok = PQsendQueryParams(db, last_sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
        cmds[ncmds++] = (sent){last_sql, -1, NULL};
    }
    c->begin_pending = false;
    c->nqueued = 0;
    if (!ok || !PQpipelineSync(db)) {
        rc = pg_fail(c, NULL, "sending statements");
        c->broken = true;   /* the pipeline is in an unknown state: start over on a new connection */
        return rc;
    }
    for (int i = 0; i < ncmds; i++) {
        PGresult *r;
        while ((r = PQgetResult(db))) {
            ExecStatusType st = PQresultStatus(r);
            if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                if (cmds[i].out && rc == 0) {
                    *cmds[i].out = r;
                    r = NULL;
                } else if (last_sql && i == ncmds - 1 && strcmp(last_sql, "COMMIT") == 0 &&
                           strcmp(PQcmdStatus(r), "COMMIT") != 0 && rc == 0) {
                    /* COMMIT of a transaction that an earlier failure aborted answers ROLLBACK:
                     * the unit did not commit, whatever it did with that failure. */
                    log_error("store: a unit of work reached COMMIT after a failed statement");
                    rc = -CRM_E_UNAVAILABLE;
                }
            } else {
                /* A prepare the server refused, or skipped after an earlier failure, did not
                 * happen (prepared statements outlive a rollback, but not a skip). */
                if (cmds[i].prepares >= 0)
                    c->prepared[cmds[i].prepares] = false;
                if (rc == 0 && st != PGRES_PIPELINE_ABORTED)
                    rc = pg_fail(c, r, cmds[i].what);
            }
            PQclear(r);
        }
        if (PQstatus(db) != CONNECTION_OK) {
            if (rc == 0)
                rc = pg_fail(c, NULL, cmds[i].what);
            c->broken = true;
            break;
        }
    }
    if (!c->broken) {
        PGresult *r = PQgetResult(db);
        bool synced = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        while (synced && !PQexitPipelineMode(db) && (r = PQgetResult(db)))
            PQclear(r);
        if (!synced || PQpipelineStatus(db) != PQ_PIPELINE_OFF) {
            if (rc == 0)
                rc = pg_fail(c, NULL, "ending a pipeline");
            c->broken = true;
        }
    }
    if (rc) {
        /* Results handed out before the failure are of no use to the caller. */
        for (int i = 0; i < ncmds; i++)
            if (cmds[i].out && *cmds[i].out) {
                PQclear(*cmds[i].out);
                *cmds[i].out = NULL;
            }
    }
    return rc;
}

int pg_unit_commit(pg_conn *c)
{
    int rc = 0;
    if (!c->broken)
        rc = pg_defer_send(c);
    /* A unit that sent and queued nothing has no transaction to end. */
    if (rc == 0 && !c->broken && !(c->begin_pending && c->nqueued == 0))
        rc = run_pipeline(c, -1, NULL, "COMMIT", NULL);
    else if (c->broken)
        rc = -CRM_E_UNAVAILABLE;
    unit_end(c);
    if (rc && !c->broken)
        pg_exec_simple(c, "ROLLBACK", "ROLLBACK");   /* a statement before COMMIT failed */
    return rc;
}

void pg_unit_rollback(pg_conn *c)
{
    bool sent_begin = !c->begin_pending;
    unit_end(c);
    if (sent_begin && !c->broken)
        pg_exec_simple(c, "ROLLBACK", "ROLLBACK");
}

int64_t pg_changed(PGresult *res)
{
    const char *n = PQcmdTuples(res);
    return n && *n ? strtoll(n, NULL, 10) : 0;
}

int64_t pg_run2(pg_conn *c, pg_stmt_id id, const char *org_id, const char *id2)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, id2);
    int rc = pg_exec(c, id, &p, &r);
    if (rc)
        return rc;
    int64_t n = pg_changed(r);
    PQclear(r);
    return n;
}

/* --- parameters --- */

static void add(pg_params *p, const char *v)
{
    if (p->n >= PG_MAX_PARAMS)
        abort();   /* the statements are fixed: cannot happen */
    p->v[p->n++] = v;
}

void pg_p_text(pg_params *p, const char *s)
{
    add(p, s);
}

void pg_p_id(pg_params *p, const char *id)
{
    add(p, id && *id ? id : NULL);
}

void pg_p_int(pg_params *p, int64_t v)
{
    if (p->n >= PG_MAX_PARAMS)
        abort();
    snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, v);
    add(p, p->num[p->n]);
}

void pg_p_bool(pg_params *p, bool v)
{
    add(p, v ? "t" : "f");
}

void pg_p_array(pg_params *p, arena *a, const void *arr, size_t n, pg_elem_fn get)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 2 * (get(arr, i) ? strlen(get(arr, i)) : 4) + 3;
    char *s = arena_alloc(a, len), *o = s;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        if (!get(arr, i)) {
            memcpy(o, "NULL", 4);
            o += 4;
            continue;
        }
        *o++ = '"';
        for (const char *e = get(arr, i); *e; e++) {
            if (*e == '"' || *e == '\\')
                *o++ = '\\';
            *o++ = *e;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    add(p, s);
}

static void numbers(pg_params *p, arena *a, const void *arr, size_t n, pg_int_fn get, bool flags)
{
    char *s = arena_alloc(a, 3 + n * 22), *o = s;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        if (flags)
            *o++ = get(arr, i) ? 't' : 'f';
        else
            o += sprintf(o, "%" PRId64, get(arr, i));
    }
    *o++ = '}';
    *o = '\0';
    add(p, s);
}

void pg_p_bools(pg_params *p, arena *a, const void *arr, size_t n, pg_int_fn get)
{
    numbers(p, a, arr, n, get, true);
}

void pg_p_ints(pg_params *p, arena *a, const void *arr, size_t n, pg_int_fn get)
{
    numbers(p, a, arr, n, get, false);
}

/* --- results --- */

char *pg_col_str(arena *a, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return arena_strdup(a, PQgetvalue(r, row, col));
}

void pg_col_copy(const PGresult *r, int row, int col, char *out, size_t outlen)
{
    const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
    snprintf(out, outlen, "%s", v);
}

int64_t pg_col_int(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool pg_col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}
