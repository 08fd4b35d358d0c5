/* Internals shared by the files of the SQLite backend (sqlite*.c); nothing else includes this.
 * A sq_conn is one SQLite connection with its prepared statements; it is a store_conn. */
#ifndef CRM_STORE_SQLITE_IMPL_H
#define CRM_STORE_SQLITE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/arena.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/store.h"

#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_GROUP_MAX 64          /* units of work per group commit */
#define SQ_VARIANTS 48           /* run-time assembled statements cached per connection */

typedef struct sq_variant {
    uint32_t key;
    sqlite3_stmt *st;
} sq_variant;

typedef struct sq_conn {
    store_conn base;             /* first: a sq_conn is a store_conn */
    sqlite3 *db;
    bool writer;
    void *owner;                 /* the store that keeps this connection (readers) */
    struct sq_conn *next;        /* in the store's list of readers */
    sqlite3_stmt *stmt[SQ__COUNT];   /* prepared lazily, kept for the connection's life */
    sq_variant variants[SQ_VARIANTS];
    unsigned nvariants, evict;   /* slots in use; the slot to reuse next once all are */
    bool appended;               /* writer: an event was appended since the writer last cleared it */
    bool search_deferred;        /* writer: in a group, whose search documents sq_search_flush writes */
    bool search_queued;          /* writer: a unit of this group queued one (maybe rolled back since) */
    bool accounts_touched;          /* writer: it wrote a users or organizations row (maybe rolled back) */
    sqlite3_stmt *load;          /* writer: the INSERT of the table being loaded (sqlite_copy.c) */
} sq_conn;

static inline sq_conn *sq_of(store_conn *c) { return (sq_conn *)c; }

/* sqlite_conn.c — one connection. */

/* Opens path with the durability pragmas. The writer may create the file and sets WAL; a reader
 * is query_only. On failure returns NULL with "cannot open database '<path>': <reason>" in err. */
sq_conn *sq_conn_open(const char *path, bool writer, const store_ops *ops, char *err, size_t errlen);
void sq_conn_close(sq_conn *c);               /* finalizes the statements; NULL is fine */
/* The cached statement id, prepared on first use; NULL (logged) if it cannot be prepared. */
sqlite3_stmt *sq_stmt(sq_conn *c, sq_stmt_id id);
void sq_done(sqlite3_stmt *st);               /* reset and clear bindings for the next use */
/* Maps the connection's last error to a store return code: a unique index on a phone, an email
 * or a pipeline name gives PHONE_TAKEN / EMAIL_TAKEN / NAME_TAKEN; anything else is logged with
 * `what` and gives UNAVAILABLE. */
int sq_fail(sq_conn *c, const char *what);
/* A statement assembled at run time from the fixed fragments of sqlite_sql.h (bound parameters
 * only), cached by key: the key must determine the text, which build writes into buf (len
 * bytes) on a miss. Valid until the next sq_variant_stmt call on the connection; NULL (logged
 * with name) if it cannot be prepared. The caller calls sq_done. */
typedef void (*sq_build_fn)(uint32_t key, char *buf, size_t len);
sqlite3_stmt *sq_variant_stmt(sq_conn *c, uint32_t key, const char *name, sq_build_fn build);
int sq_exec(sq_conn *c, sq_stmt_id id);       /* runs a statement without parameters or rows */
/* Steps the cached statement id (bound by the caller): 1 for a row, 0 when done, or the
 * sq_fail code. The caller still calls sq_done. */
int sq_step(sq_conn *c, sq_stmt_id id);
const char *sq_stmt_name(sq_stmt_id id);
/* Runs the cached statement id with ?1 org, ?2 contact id and, when extra >= 0, ?3 extra.
 * Returns the number of rows it changed, or the sq_fail code. */
int sq_run_for_contact(sq_conn *c, sq_stmt_id id, const char *org_id, const char *contact_id, int extra);
/* Brackets a read of several statements so that it sees one snapshot. */
int sq_read_begin(sq_conn *c);
void sq_read_end(sq_conn *c);

/* Binding and reading helpers. Strings are bound SQLITE_STATIC: they must outlive the step. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);   /* NULL binds NULL */
void sq_bind_id(sqlite3_stmt *st, int i, const char *id);    /* NULL or "" binds NULL */
char *sq_col_str(arena *a, sqlite3_stmt *st, int i);         /* NULL column → NULL */
void sq_col_copy(sqlite3_stmt *st, int i, char *out, size_t outlen);   /* NULL → "" */
#define sq_col_id(st, i, out) sq_col_copy((st), (i), (out), sizeof(objectid))
/* Makes room for element n of an arena array of capacity *cap (doubling; old elements copied). */
void *sq_grow(arena *a, void *arr, size_t *cap, size_t n, size_t elem);

/* sqlite_schema.c — migrations, on the writer connection. */
int sq_schema_latest(void);
int sq_schema_version(sq_conn *c, int *version);
int sq_schema_migrate(sq_conn *c);            /* one transaction per step; idempotent */
int sq_schema_migrate_to(sq_conn *c, int target);   /* only up to version target */

/* sqlite_checkpoint.c — the checkpoint thread. start installs the WAL hook on the writer's
 * connection (before the writer thread uses it); stop joins the thread and closes its
 * connection; free (after the writer has stopped: the hook still names it) releases it. */
typedef struct sq_checkpointer sq_checkpointer;
sq_checkpointer *sq_checkpointer_start(const char *path, sqlite3 *writer_db, char *err, size_t errlen);
void sq_checkpointer_stop(sq_checkpointer *k);
void sq_checkpointer_free(sq_checkpointer *k);   /* NULL is fine */
/* Installs the WAL hook on a writer connection (start does it for the first one). */
void sq_checkpointer_attach(sq_checkpointer *k, sqlite3 *writer_db);

/* sqlite_writer.c — the writer thread that owns the writer connection. */
typedef struct sq_writer sq_writer;
/* Takes conn, a writer connection to the database at path. After a write transaction is lost
 * to a storage error the writer replaces conn by a fresh connection (attached to k) before it
 * runs anything else; see sqlite_writer.c. */
sq_writer *sq_writer_start(sq_conn *conn, const char *path, sq_checkpointer *k, char *err, size_t errlen);
/* Runs fn in the next group commit (its own SAVEPOINT) and waits; fn's result, or UNAVAILABLE
 * when the group could not commit. */
int sq_writer_run(sq_writer *w, store_work_fn fn, void *arg);
/* Runs fn alone on the writer connection outside any transaction (fn manages its own). */
int sq_writer_run_alone(sq_writer *w, store_work_fn fn, void *arg);
void sq_writer_stop(sq_writer *w);            /* drains the queue, joins, closes the connection */
/* The function the writer thread calls after each COMMIT of a group in which a unit appended
 * events (sq_event_append sets conn->appended). Safe from any thread; once it returns, the old
 * function is no longer running nor will be called. fn must not write to the store. */
void sq_writer_set_commit_hook(sq_writer *w, void (*fn)(void *ctx), void *ctx);
/* Bumped after every COMMIT of a transaction that wrote a user or an organization
 * (store_ops.accounts_version). */
uint64_t sq_writer_accounts_version(sq_writer *w);

/* The record operations (sqlite_org.c, sqlite_user.c, sqlite_pipeline.c, sqlite_contact.c,
 * sqlite_contact_list.c, sqlite_events.c, sqlite_idempotency.c); see store.h for their
 * contracts. */
int sq_meta_get(store_conn *c, const char *key, arena *a, char **value);
int sq_meta_set(store_conn *c, const char *key, const char *value);
int sq_org_insert(store_conn *c, const crm_org *o);
int sq_org_get(store_conn *c, const char *org_id, arena *a, crm_org *out);
int sq_org_update(store_conn *c, const crm_org *o);
int sq_org_phone_list(store_conn *c, const char *org_id, arena *a, crm_org_phone **out, size_t *n);
int sq_org_phone_insert(store_conn *c, const char *org_id, const crm_org_phone *p);
int sq_org_phone_delete(store_conn *c, const char *org_id, const char *e164);
int sq_org_phone_reserved(store_conn *c, const char *org_id, const char *e164);

int sq_user_insert(store_conn *c, const crm_user *u);
int sq_user_get(store_conn *c, const char *user_id, arena *a, crm_user *out);
int sq_user_get_by_email(store_conn *c, const char *email, arena *a, crm_user *out);
int sq_user_get_by_apikey(store_conn *c, const char *apikey_hash, arena *a, crm_user *out);
int sq_user_list(store_conn *c, const char *org_id, arena *a, crm_user **out, size_t *n);
int sq_user_update(store_conn *c, const crm_user *u);
int sq_user_set_apikey(store_conn *c, const char *user_id, const char *apikey_hash);
int sq_user_count_role(store_conn *c, crm_role role, int64_t *n);

int sq_pipeline_insert(store_conn *c, const crm_pipeline *p);
int sq_pipeline_get(store_conn *c, const char *org_id, const char *pipeline_id, arena *a, crm_pipeline *out);
int sq_pipeline_get_default(store_conn *c, const char *org_id, const char *type, arena *a, crm_pipeline *out);
int sq_pipeline_get_by_stage(store_conn *c, const char *org_id, const char *stage_id, arena *a, crm_pipeline *out);

/* Inserts the stages of p, or updates those it already has (by id); a stage id of another
 * pipeline is refused (logged, UNAVAILABLE). Shared by pipeline insert and update. */
int sq_pipeline_write_stages(sq_conn *c, const crm_pipeline *p);
int sq_pipeline_list(store_conn *c, const char *org_id, const char *type, arena *a,
                     crm_pipeline **out, size_t *n);
int sq_pipeline_clear_default(store_conn *c, const char *org_id, const char *type);

int sq_contact_insert(store_conn *c, const crm_contact *ct);
int sq_contact_get(store_conn *c, const char *org_id, const char *contact_id, arena *a, crm_contact *out);
int sq_phone_owner(store_conn *c, const char *org_id, const char *e164, objectid owner);
int sq_contact_list(store_conn *c, const char *org_id, const contact_query *q, arena *a,
                    crm_contact **out, size_t *n, int64_t *total);

int sq_contact_list_plan(sq_conn *c, const contact_query *q, bool count, char *out, size_t outlen);

/* Shared by sqlite_contact.c and sqlite_contact_list.c: a row of SQ_CONTACT_COLS into out
 * (lists empty), and the phones, emails and assignees of ct (whose org_id and id are set). */
void sq_contact_read(sqlite3_stmt *st, arena *a, crm_contact *out);
int sq_contact_load_lists(sq_conn *c, arena *a, crm_contact *ct);
/* A verification as three parameters or columns from i: at, by, source (all NULL: none). */
void sq_bind_verification(sqlite3_stmt *st, int i, const crm_verification *v);
void sq_col_verification(arena *a, sqlite3_stmt *st, int i, crm_verification *v);

/* The derived indexes of a contact: its search document (contact_search, through its row in
 * contact_search_rows) and who owns, created or is assigned it (contact_access). Every write that
 * creates a contact or changes its names, emails, phones, owner or assignees calls
 * sq_contact_index_sync once, after its rows are written, in the same unit of work: it rebuilds
 * them from the rows (NOT_FOUND if there is no such contact). Deleting a contact needs nothing:
 * a trigger drops them. */
int sq_contact_index_sync(sq_conn *c, const char *org_id, const char *contact_id);
/* Writes the search documents queued by the units of the writer's group; the writer calls it
 * once, before COMMIT. */
int sq_search_flush(sq_conn *c);

int sq_idempotency_get(store_conn *c, const char *org_id, const char *user_id, const char *key,
                       int64_t since_ms, arena *a, char **request_hash, int *status, char **body);
int sq_idempotency_put(store_conn *c, const char *org_id, const char *user_id, const char *key,
                       const char *request_hash, int status, const char *body, int64_t created_at);
int sq_idempotency_purge(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);

int sq_event_log_insert(store_conn *c, const crm_event_log *e);
int sq_event_log_list(store_conn *c, const char *org_id, const event_log_filter *f, arena *a,
                      crm_event_log **out, size_t *n, int64_t *total);
int sq_event_append(store_conn *c, const char *org_id, const char *name, const char *payload_json,
                    int64_t *seq);

/* Store version 3: sqlite_stream.c, sqlite_contact_write.c, sqlite_pipeline_write.c,
 * sqlite_webhooks.c; see store.h for their contracts. */
int sq_event_list_after(store_conn *c, const char *org_id, int64_t after_seq, int64_t limit, arena *a,
                        crm_event **out, size_t *n);
int sq_event_last_seq(store_conn *c, int64_t *seq);

int sq_contact_update(store_conn *c, const crm_contact *ct, int64_t expected_version);
int sq_contact_delete(store_conn *c, const char *org_id, const char *contact_id);
int sq_contact_ids_in(store_conn *c, const char *org_id, const char *pipeline_id, const char *stage_id,
                      arena *a, objectid **ids, size_t *n);
/* sqlite_contact.c: the phone, email and assignee rows of ct (after its contacts row). */
int sq_contact_insert_children(sq_conn *c, const crm_contact *ct);

int sq_pipeline_update(store_conn *c, const crm_pipeline *p);
int sq_pipeline_delete(store_conn *c, const char *org_id, const char *pipeline_id);

int sq_webhook_insert(store_conn *c, const crm_webhook *w);
int sq_webhook_list(store_conn *c, const char *org_id, arena *a, crm_webhook **out, size_t *n);
int sq_webhook_get(store_conn *c, const char *org_id, const char *webhook_id, arena *a, crm_webhook *out);
int sq_webhook_delete(store_conn *c, const char *org_id, const char *webhook_id);
int sq_webhook_subscribers(store_conn *c, const char *org_id, const char *event_name, arena *a,
                           crm_webhook **out, size_t *n);
int sq_delivery_insert(store_conn *c, const crm_delivery *d);
int sq_delivery_update(store_conn *c, const crm_delivery *d);
int sq_delivery_get(store_conn *c, const char *org_id, const char *delivery_id, arena *a, crm_delivery *out);
int sq_delivery_list(store_conn *c, const char *org_id, const char *webhook_id, int64_t offset, int64_t limit,
                     arena *a, crm_delivery **out, size_t *n, int64_t *total);
int sq_delivery_due(store_conn *c, int64_t now, int64_t limit, arena *a, crm_delivery **out, size_t *n);

/* sqlite_copy.c — copying an installation (store/copy.c) */
int sq_contact_widths(store_conn *c, const char *org_id, int64_t *phones, int64_t *emails);
int sq_delivery_claim(store_conn *c, const char *org_id, const char *delivery_id, int64_t now, int64_t until);
int sq_dump(store_conn *c, const store_table *tables, size_t n, store_row_fn fn, void *ctx);
int sq_load_begin(store_conn *c, const store_table *t);
int sq_load_row(store_conn *c, const store_table *t, const char *const *values);
int sq_load_end(store_conn *c, const store_table *t, bool keep);
int sq_rebuild_derived(store_conn *c);
int sq_count_rows(store_conn *c, const store_table *t, int64_t *n);

/* Store version 10: sqlite_imports.c. */
int sq_import_insert(store_conn *c, const crm_import *imp);
int sq_import_rows_insert(store_conn *c, const char *org_id, const char *import_id, const crm_import_row *rows,
                          size_t n);
int sq_import_get(store_conn *c, const char *org_id, const char *import_id, arena *a, crm_import *out);
int sq_import_rows_pending(store_conn *c, const char *org_id, const char *import_id, bool dependent,
                           int64_t after_row, int64_t limit, arena *a, crm_import_row **out, size_t *n);
int sq_import_row_done(store_conn *c, const char *org_id, const char *import_id, const crm_import_row *r);
int sq_import_rows_list(store_conn *c, const char *org_id, const char *import_id, const char *status,
                        int64_t offset, int64_t limit, arena *a, crm_import_row **out, size_t *n, int64_t *total);
int sq_import_finish(store_conn *c, const char *org_id, const char *import_id, const char *state, const char *error,
                     int64_t finished_at);
int sq_import_claim(store_conn *c, int64_t now, int64_t until, arena *a, crm_import *out);
int sq_import_renew(store_conn *c, const char *org_id, const char *import_id, int64_t until);
int sq_import_purge(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);
int sq_savepoint(store_conn *c, int step);

/* Store version 9: sqlite_notes.c. */
int sq_note_insert(store_conn *c, const crm_note *n);
int sq_note_get(store_conn *c, const char *org_id, const char *note_id, arena *a, crm_note *out);
int sq_note_update(store_conn *c, const crm_note *n);
int sq_note_delete(store_conn *c, const char *org_id, const char *note_id);
int sq_note_list(store_conn *c, const char *org_id, const char *contact_id, const note_cursor *after,
                 int64_t limit, arena *a, crm_note **out, size_t *n);

/* sqlite_bulk.c (store version 10) */
int sq_bulk_job_insert(store_conn *c, const crm_bulk_job *j, const objectid *items, size_t n);
int sq_bulk_job_get(store_conn *c, const char *org_id, const char *job_id, arena *a, crm_bulk_job *out);
int sq_bulk_job_claim(store_conn *c, int64_t now, int64_t until, arena *a, crm_bulk_job *out);
int sq_bulk_job_items(store_conn *c, const char *org_id, const char *job_id, int64_t limit, arena *a,
                      objectid **items, size_t *n);
int sq_bulk_job_advance(store_conn *c, const crm_bulk_job *j, const objectid *done, size_t n, int64_t *processed);
int sq_bulk_job_purge(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);
int sq_contact_move_many(store_conn *c, const char *org_id, const crm_contact *cts, size_t n, const char *pipeline_id,
                         const char *stage_id, const char *status, int64_t updated_at, bool *moved);

#endif
