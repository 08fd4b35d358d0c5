/* Internals shared by the files of the PostgreSQL backend (the files of store/pg/); nothing else includes
 * this. A pg_conn is one libpq connection with the statements prepared on it; it is a
 * store_conn. Each thread that touches the store has its own (pg.c). */
#ifndef CRM_STORE_PG_IMPL_H
#define CRM_STORE_PG_IMPL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/arena.h"
#include "store/pg/pg_sql.h"
#include "store/store.h"

#define PG_MAX_PARAMS 32
#define PG_VARIANTS 48           /* run-time assembled statements prepared per connection */
#define PG_QUEUE_MAX 32          /* statements of a unit waiting to go with the next one */
#define PG_LOCKS_MAX 32          /* advisory locks a unit remembers having asked for */

/* A statement of a unit of work sent later, with the next statement that needs an answer or
 * with COMMIT (pg_conn.c): its parameters are copied into the unit's arena. */
typedef struct pg_queued {
    int id;                      /* a pg_stmt_id */
    int n;
    const char **v;
    PGresult **out;              /* NULL: only success matters; else gets the result */
} pg_queued;

typedef struct pg_store pg_store;

/* The append-only tables whose rows a unit holds until its COMMIT (pg_deferred.c). */
typedef enum pg_defer_kind { PG_DEFER_EVENT_LOG, PG_DEFER_EVENT, PG_DEFERRED_KINDS } pg_defer_kind;

typedef struct pg_deferred {
    const char ***rows;          /* each row's columns, copied into the unit's arena */
    size_t n, cap;
    int ncols;
} pg_deferred;

/* The state of a store's event sequencer (pg_events.c), shared by its connections. */
typedef struct pg_sequencer {
    pthread_mutex_t mu;          /* one sequencer at a time in this store */
    int64_t next_round_us;       /* guarded by mu: when the next round may start */
    _Atomic int64_t numbered_high;   /* the highest event number seen given or read */
} pg_sequencer;

typedef struct pg_conn {
    store_conn base;             /* first: a pg_conn is a store_conn */
    PGconn *db;
    pg_store *owner;
    struct pg_conn *next;        /* in the store's list of connections */
    bool prepared[PG__COUNT];
    uint32_t variants[PG_VARIANTS];   /* keys of the variants prepared as "v<key>" */
    unsigned nvariants;
    bool in_unit;                /* inside store_ops.write: reads lock what they decide on */
    /* The unit's pipeline (pg_conn.c): BEGIN is not sent until the unit's first statement, and
     * locks and writes that need no answer wait to go in one round trip with the next statement
     * that does, or with COMMIT. */
    bool begin_pending;
    arena *unit_arena;           /* copies of queued parameters and lock keys; reset by each unit */
    pg_queued queue[PG_QUEUE_MAX];
    int nqueued;
    const char *locks[PG_LOCKS_MAX];   /* "id keys" of the advisory locks asked for in this unit */
    int nlocks;
    /* A unit's check of a number reads its owner too (pg_org.c), for the phone_owner call that
     * follows it; any other statement forgets it. */
    bool number_known;
    objectid number_org;
    char number_e164[32];
    objectid number_owner;       /* "": free */
    bool number_reserved;
    /* The number a unit will check after its next pipeline read (store.h number_check_ahead) */
    bool ahead;
    objectid ahead_org;
    char ahead_e164[32];
    pg_deferred deferred[PG_DEFERRED_KINDS];   /* the unit's log rows and events, sent with COMMIT */
    bool retry;                  /* this unit hit a deadlock or serialization failure */
    bool appended;               /* this unit appended events */
    bool accounts;               /* this unit wrote a user or an organization */
    bool broken;                 /* the server went away: reconnect before the next use */
    int64_t failed_connect_at;   /* ms: this connection's last failed attempt to reconnect */
} pg_conn;

static inline pg_conn *pg_of(store_conn *c) { return (pg_conn *)c; }

/* Parameters of one statement, as text (libpq's text format); NULL is SQL NULL. */
typedef struct pg_params {
    int n;
    const char *v[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][24];
} pg_params;

/* pg_deferred.c: pg_defer_row adds a row (its columns in the table's order) to the unit's rows
 * of that kind; pg_defer_send, at COMMIT, queues them as INSERTs to go with it, or sends a long
 * unit's with COPY; pg_defer_reset forgets them (a unit's start and end); pg_defer_free when the
 * connection goes. */
void pg_defer_row(pg_conn *c, pg_defer_kind kind, const pg_params *p);
int pg_defer_send(pg_conn *c);
void pg_defer_reset(pg_conn *c);
void pg_defer_free(pg_conn *c);

void pg_p_text(pg_params *p, const char *s);      /* NULL binds NULL */
void pg_p_id(pg_params *p, const char *id);       /* NULL or "" binds NULL */
void pg_p_int(pg_params *p, int64_t v);
void pg_p_bool(pg_params *p, bool v);
/* An array literal of n strings (each quoted and escaped; NULL is NULL) for a $n::text[]
 * parameter; get(i) gives element i. Allocated in a. */
typedef const char *(*pg_elem_fn)(const void *arr, size_t i);
void pg_p_array(pg_params *p, arena *a, const void *arr, size_t n, pg_elem_fn get);
/* An array literal of n flags (t/f) or ints for $n::bool[] / $n::int[]. */
typedef int64_t (*pg_int_fn)(const void *arr, size_t i);
void pg_p_bools(pg_params *p, arena *a, const void *arr, size_t n, pg_int_fn get);
void pg_p_ints(pg_params *p, arena *a, const void *arr, size_t n, pg_int_fn get);

/* pg_conn.c — connections and statements. */

/* Connects with crmd's defaults (connect_timeout 5 s, keepalives) under the URL's own settings. On
 * failure returns NULL with a line in err (libpq's reason, without the URL). */
PGconn *pg_connect(const char *url, char *err, size_t errlen);
pg_conn *pg_conn_new(pg_store *owner, PGconn *db, const store_ops *ops);
pg_sequencer *pg_store_sequencer(pg_store *s);
/* Events were numbered, by another server or by any reader here: the commit hook's owner (the
 * event hub) reads the stream as after a commit here. A server's own notification does not come
 * back to it (pg_listen.c), so a number given here by a reader other than the hub (the webhook
 * dispatcher) would otherwise reach this server's live streams only with the next commit. */
void pg_store_events_numbered(pg_store *s);
void pg_conn_close(pg_conn *c);                  /* NULL is fine */
/* Makes the connection usable: reconnects a broken one (at most every PG_RECONNECT_MS, sooner
 * once *connected_at, the store's last successful reconnect, is newer). 0 or UNAVAILABLE. */
int pg_conn_ready(pg_conn *c, const char *url, _Atomic int64_t *connected_at);
/* pg.c: reconnects c now (its connection was found dead); 0 or UNAVAILABLE. */
int pg_reconnect(pg_conn *c);
/* Runs the prepared statement id (prepared on first use) with p (NULL: none). On success returns
 * 0 and, when res is not NULL, the result (the caller PQclears it). On failure the pg_fail code. */
int pg_exec(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **res);
/* The same for a statement assembled at run time: key must determine the text, which build
 * writes into buf (len bytes) when the variant is not yet prepared on this connection. */
typedef void (*pg_build_fn)(uint32_t key, char *buf, size_t len);
/* types: the type of each of p's parameters, so that a variant need not use them all. */
int pg_exec_typed(pg_conn *c, uint32_t key, const char *name, pg_build_fn build, const pg_params *p,
                  const Oid *types, PGresult **res);
/* A statement without parameters through the simple protocol (BEGIN, COMMIT, DDL). */
int pg_exec_simple(pg_conn *c, const char *sql, const char *what);

/* Units of work, pipelined. pg_unit_begin starts a unit without a round trip: BEGIN goes with the
 * unit's first statement. Inside a unit, pg_exec_later queues a statement whose caller needs no
 * answer but success (an insert of a log row, an advisory lock): it is sent, in order, in the
 * same round trip as the next pg_exec or as COMMIT, and its failure becomes the result of that
 * call (the whole transaction fails with it, so nothing after it commits). Outside a unit it
 * runs at once. p's strings are copied. */
void pg_unit_begin(pg_conn *c);
int pg_exec_later(pg_conn *c, pg_stmt_id id, const pg_params *p);
/* The same, for a statement whose result the caller reads after the flush that sends it: *out
 * is set then (the caller PQclears it; it stays NULL if the statement did not run). */
int pg_exec_later_result(pg_conn *c, pg_stmt_id id, const pg_params *p, PGresult **out);
/* Sends what is queued and COMMIT (or, for a unit that sent nothing, nothing at all). On failure
 * the transaction is rolled back and the fail code returned. */
int pg_unit_commit(pg_conn *c);
/* Sends what the unit has waiting (BEGIN, queued statements), if anything: before a statement
 * that goes to libpq directly (COPY) inside a unit. 0 or the fail code. */
int pg_unit_flush(pg_conn *c);
/* Forgets what is queued and rolls back what was sent. */
void pg_unit_rollback(pg_conn *c);
/* true the first time a unit asks for this lock key (later asks are no-ops: the lock is held to
 * the end of the transaction). */
bool pg_unit_first_lock(pg_conn *c, pg_stmt_id lock, const char *k1, const char *k2, const char *k3);
/* Maps a failed result to a store code: a unique violation of the phone, email or pipeline name
 * indexes gives PHONE_TAKEN / EMAIL_TAKEN / NAME_TAKEN; a deadlock or serialization failure
 * marks the unit for a retry; a lost connection marks it broken; everything else is logged with
 * `what`; all of those give UNAVAILABLE. */
int pg_fail(pg_conn *c, PGresult *res, const char *what);
/* The number of rows a command changed (its command tag). */
int64_t pg_changed(PGresult *res);

/* Result readers: NULL column → NULL / "" / 0. */
char *pg_col_str(arena *a, const PGresult *r, int row, int col);
void pg_col_copy(const PGresult *r, int row, int col, char *out, size_t outlen);
#define pg_col_id(r, row, col, out) pg_col_copy((r), (row), (col), (out), sizeof(objectid))
int64_t pg_col_int(const PGresult *r, int row, int col);
bool pg_col_bool(const PGresult *r, int row, int col);

/* Runs a statement of ($1 org, $2 id) parameters; its number of changed rows, or the fail code. */
int64_t pg_run2(pg_conn *c, pg_stmt_id id, const char *org_id, const char *id2);

/* pg_schema.c — migrations, each in its own transaction under an advisory lock. */
int pg_schema_latest(void);
int pg_schema_version(pg_conn *c, int *version);   /* 0 for an empty database */
int pg_schema_migrate(pg_conn *c);
int pg_schema_migrate_to(pg_conn *c, int version);   /* a test hook: up to that version only */

/* pg_listen.c — what other servers commit: on_events when new events were numbered, on_accounts
 * when users or organizations changed (and both after a lost connection; on_events also when
 * events wait for a number nobody gave), on the listener's own thread. */
typedef struct pg_listener pg_listener;
typedef void (*pg_listen_fn)(void *ctx);
/* heard: stamped (CLOCK_MONOTONIC ms) whenever the thread knows it is listening, 0 once it stops;
 * the store trusts its caches only while the stamp is younger than PG_LISTEN_TRUST_MS. */
#define PG_LISTEN_TRUST_MS 25000
pg_listener *pg_listener_start(const char *url, pg_listen_fn on_events, pg_listen_fn on_accounts, void *ctx,
                               _Atomic int64_t *heard);
/* This process's id in the notifications it sends (their payload), so that it ignores its own. */
const char *pg_instance_id(void);
void pg_listener_stop(pg_listener *l);   /* NULL is fine */

/* pg_copy.c — copying an installation (store/copy.c) */
/* Store version 10: pg_imports.c. */
int pg_import_insert(store_conn *c, const crm_import *imp);
int pg_import_rows_insert(store_conn *c, const char *org_id, const char *import_id, const crm_import_row *rows,
                          size_t n);
int pg_import_get(store_conn *c, const char *org_id, const char *import_id, arena *a, crm_import *out);
int pg_import_rows_pending(store_conn *c, const char *org_id, const char *import_id, bool dependent,
                           int64_t after_row, int64_t limit, arena *a, crm_import_row **out, size_t *n);
int pg_import_row_done(store_conn *c, const char *org_id, const char *import_id, const crm_import_row *r);
int pg_import_rows_list(store_conn *c, const char *org_id, const char *import_id, const char *status,
                        int64_t offset, int64_t limit, arena *a, crm_import_row **out, size_t *n, int64_t *total);
int pg_import_finish(store_conn *c, const char *org_id, const char *import_id, const char *state, const char *error,
                     int64_t finished_at);
int pg_import_claim(store_conn *c, int64_t now, int64_t until, arena *a, crm_import *out);
int pg_import_renew(store_conn *c, const char *org_id, const char *import_id, int64_t until);
int pg_import_purge(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);
int pg_contact_widths(store_conn *c, const char *org_id, int64_t *phones, int64_t *emails);
int pg_delivery_claim(store_conn *c, const char *org_id, const char *delivery_id, int64_t now, int64_t until);
int pg_dump(store_conn *c, const store_table *tables, size_t n, store_row_fn fn, void *ctx);
int pg_load_begin(store_conn *c, const store_table *t);
int pg_load_row(store_conn *c, const store_table *t, const char *const *values);
int pg_load_end(store_conn *c, const store_table *t, bool keep);
int pg_rebuild_derived(store_conn *c);
int pg_count_rows(store_conn *c, const store_table *t, int64_t *n);

/* pg.c — the unit of work in progress on c (in_unit), the locks of pg.c's rules. */
int pg_lock(pg_conn *c, pg_stmt_id lock, const char *k1, const char *k2, const char *k3);
/* Numbers the committed events that have no seq yet (pg_events.c); 0 or a fail code. */
int pg_events_sequence(pg_conn *c);

/* The record operations; see store.h for their contracts. */
int pg_meta_get(store_conn *c, const char *key, arena *a, char **value);
int pg_meta_set(store_conn *c, const char *key, const char *value);
int pg_org_insert(store_conn *c, const crm_org *o);
int pg_org_get(store_conn *c, const char *org_id, arena *a, crm_org *out);
int pg_org_update(store_conn *c, const crm_org *o);
int pg_org_phone_list(store_conn *c, const char *org_id, arena *a, crm_org_phone **out, size_t *n);
int pg_org_phone_insert(store_conn *c, const char *org_id, const crm_org_phone *p);
int pg_org_phone_delete(store_conn *c, const char *org_id, const char *e164);
int pg_org_phone_reserved(store_conn *c, const char *org_id, const char *e164);
void pg_number_check_ahead(store_conn *c, const char *org_id, const char *e164);
/* A unit's check of a number under its lock (pg_org.c): 1 reserved, 0 not, <0 an error; its
 * answers stay known until the unit's next statement. */
int pg_number_check(pg_conn *c, const char *org_id, const char *e164);

int pg_user_insert(store_conn *c, const crm_user *u);
int pg_user_get(store_conn *c, const char *user_id, arena *a, crm_user *out);
int pg_user_get_for_update(store_conn *c, const char *user_id, arena *a, crm_user *out);
int pg_user_get_by_email(store_conn *c, const char *email, arena *a, crm_user *out);
int pg_user_get_by_apikey(store_conn *c, const char *apikey_hash, arena *a, crm_user *out);
int pg_user_list(store_conn *c, const char *org_id, arena *a, crm_user **out, size_t *n);
int pg_user_update(store_conn *c, const crm_user *u);
int pg_user_set_apikey(store_conn *c, const char *user_id, const char *apikey_hash);
int pg_user_count_role(store_conn *c, crm_role role, int64_t *n);

int pg_pipeline_insert(store_conn *c, const crm_pipeline *p);
int pg_pipeline_get(store_conn *c, const char *org_id, const char *pipeline_id, arena *a, crm_pipeline *out);
int pg_pipeline_get_default(store_conn *c, const char *org_id, const char *type, arena *a, crm_pipeline *out);
int pg_pipeline_get_by_stage(store_conn *c, const char *org_id, const char *stage_id, arena *a, crm_pipeline *out);
int pg_pipeline_list(store_conn *c, const char *org_id, const char *type, arena *a, crm_pipeline **out, size_t *n);
int pg_pipeline_clear_default(store_conn *c, const char *org_id, const char *type);
int pg_pipeline_update(store_conn *c, const crm_pipeline *p);
int pg_pipeline_delete(store_conn *c, const char *org_id, const char *pipeline_id);

int pg_contact_insert(store_conn *c, const crm_contact *ct);
int pg_contact_get(store_conn *c, const char *org_id, const char *contact_id, arena *a, crm_contact *out);
int pg_phone_owner(store_conn *c, const char *org_id, const char *e164, objectid owner);
int pg_contact_update(store_conn *c, const crm_contact *ct, int64_t expected_version);
int pg_contact_delete(store_conn *c, const char *org_id, const char *contact_id);
int pg_contact_ids_in(store_conn *c, const char *org_id, const char *pipeline_id, const char *stage_id,
                      arena *a, objectid **ids, size_t *n);
int pg_contact_list(store_conn *c, const char *org_id, const contact_query *q, arena *a,
                    crm_contact **out, size_t *n, int64_t *total);
/* A row of PG_CONTACT_SELECT_OF at column col0 into out. */
void pg_contact_read(const PGresult *r, int row, int col0, arena *a, crm_contact *out);
int pg_contact_list_plan(pg_conn *c, const char *org_id, const contact_query *q, bool count, char *out,
                         size_t outlen);
/* Test hooks: an EXPLAIN's result (consumed) as one plan line per line into out; the plan that a
 * prepared statement (PG_<name>, which must have run on c) is executing with now. */
int pg_plan_text(pg_conn *c, PGresult *explain, const char *what, char *out, size_t outlen);
int pg_statement_plan(pg_conn *c, const char *name, char *out, size_t outlen);

int pg_idempotency_get(store_conn *c, const char *org_id, const char *user_id, const char *key,
                       int64_t since_ms, arena *a, char **request_hash, int *status, char **body);
int pg_idempotency_put(store_conn *c, const char *org_id, const char *user_id, const char *key,
                       const char *request_hash, int status, const char *body, int64_t created_at);
int pg_idempotency_purge(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);

int pg_event_log_insert(store_conn *c, const crm_event_log *e);
int pg_event_log_list(store_conn *c, const char *org_id, const event_log_filter *f, arena *a,
                      crm_event_log **out, size_t *n, int64_t *total);
int pg_event_append(store_conn *c, const char *org_id, const char *name, const char *payload_json,
                    int64_t *seq);
int pg_event_list_after(store_conn *c, const char *org_id, int64_t after_seq, int64_t limit, arena *a,
                        crm_event **out, size_t *n);
int pg_event_last_seq(store_conn *c, int64_t *seq);

int pg_webhook_insert(store_conn *c, const crm_webhook *w);
int pg_webhook_list(store_conn *c, const char *org_id, arena *a, crm_webhook **out, size_t *n);
int pg_webhook_get(store_conn *c, const char *org_id, const char *webhook_id, arena *a, crm_webhook *out);
int pg_webhook_delete(store_conn *c, const char *org_id, const char *webhook_id);
int pg_webhook_subscribers(store_conn *c, const char *org_id, const char *event_name, arena *a,
                           crm_webhook **out, size_t *n);
int pg_delivery_insert(store_conn *c, const crm_delivery *d);
int pg_delivery_update(store_conn *c, const crm_delivery *d);
int pg_delivery_get(store_conn *c, const char *org_id, const char *delivery_id, arena *a, crm_delivery *out);
int pg_delivery_list(store_conn *c, const char *org_id, const char *webhook_id, int64_t offset, int64_t limit,
                     arena *a, crm_delivery **out, size_t *n, int64_t *total);
int pg_delivery_due(store_conn *c, int64_t now, int64_t limit, arena *a, crm_delivery **out, size_t *n);

int pg_note_insert(store_conn *c, const crm_note *n);
int pg_note_get(store_conn *c, const char *org_id, const char *note_id, arena *a, crm_note *out);
int pg_note_update(store_conn *c, const crm_note *n);
int pg_note_delete(store_conn *c, const char *org_id, const char *note_id);
int pg_note_list(store_conn *c, const char *org_id, const char *contact_id, const note_cursor *after,
                 int64_t limit, arena *a, crm_note **out, size_t *n);

/* pg_bulk.c (store version 10) */
int pg_bulk_job_insert(store_conn *c, const crm_bulk_job *j, const objectid *items, size_t n);
int pg_bulk_job_get(store_conn *c, const char *org_id, const char *job_id, arena *a, crm_bulk_job *out);
int pg_bulk_job_claim(store_conn *c, int64_t now, int64_t until, arena *a, crm_bulk_job *out);
int pg_bulk_job_items(store_conn *c, const char *org_id, const char *job_id, int64_t limit, arena *a,
                      objectid **items, size_t *n);
int pg_bulk_job_advance(store_conn *c, const crm_bulk_job *j, const objectid *done, size_t n, int64_t *processed);
int pg_bulk_job_purge(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);
int pg_contact_move_many(store_conn *c, const char *org_id, const crm_contact *cts, size_t n, const char *pipeline_id,
                         const char *stage_id, const char *status, int64_t updated_at, bool *moved);

#endif
