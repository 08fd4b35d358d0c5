/* The storage interface: a versioned table of operations that every backend implements.
 * Only service/ calls it. A store_conn is either the calling thread's read connection or the
 * writer's connection inside a unit of work; every operation takes the organization it acts in.
 *
 * Return values: 0 on success; -CRM_E_NOT_FOUND when a single-record read finds nothing;
 * -CRM_E_PHONE_TAKEN / -CRM_E_EMAIL_TAKEN / -CRM_E_NAME_TAKEN when a unique index refuses a
 * write; -CRM_E_UNAVAILABLE for any other storage failure (logged by the backend).
 * Records read are allocated from the arena passed in. */
#ifndef CRM_STORE_H
#define CRM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/arena.h"
#include "model/model.h"

#define STORE_OPS_VERSION 13

typedef struct store store;
typedef struct store_conn store_conn;
typedef struct store_ops store_ops;

/* Backends embed these as their first member. */
struct store { const store_ops *ops; };
struct store_conn { const store_ops *ops; };

/* A unit of work: runs on the writer connection; returning non-zero rolls back only this unit. */
typedef int (*store_work_fn)(store_conn *c, void *arg);

/* A table as `crmd migrate` copies it (store/copy.c lists them, parents before children). Rows
 * travel as text: NULL is NULL, numbers are decimal, flags are "0" or "1". */
typedef enum { STORE_COL_TEXT, STORE_COL_INT, STORE_COL_BOOL } store_col_kind;
typedef struct store_column {
    const char *name;
    store_col_kind kind;
} store_column;
typedef struct store_table {
    const char *name;
    const char *key;             /* the primary key's columns: the order rows are read in */
    const store_column *cols;
    size_t ncols;
} store_table;
/* One row of tables[table]; non-zero stops the dump with that value. */
typedef int (*store_row_fn)(void *ctx, size_t table, const char *const *values);
/* Writes t's column names into buf, comma-separated, each flag column followed by flag_suffix
 * ("" or a cast, e.g. "::int" to read flags as numbers). */
void store_table_columns(const store_table *t, const char *flag_suffix, char *buf, size_t len);

typedef struct event_log_filter {
    const char *user_id, *contact_id;  /* NULL: any */
    int64_t since_ms;                  /* 0: any */
    int64_t offset, limit;
} event_log_filter;

enum contact_owner_mode {
    CONTACT_OWNER_ANY = 0,      /* every contact (still subject to visible_to) */
    CONTACT_OWNER_USER,         /* owned by owner_id (userId) or assigned to owner_id */
    CONTACT_OWNER_UNASSIGNED,   /* no assignees at all */
    /* version 10 */
    CONTACT_OWNER_ASSIGNED,     /* at least one assignee */
    CONTACT_OWNER_AMONG,        /* created by, owned by or assigned to one of owner_ids */
};

/* A page of contacts, newest first (created_at DESC, id DESC). Every criterion is optional. */
typedef struct contact_query {
    const char *search;          /* case-insensitive substring of first, last, "first last" or an email */
    const char *search_digits;   /* digits that must appear in one of the contact's E.164 numbers */
                                 /* (when both are set, a contact matching either is returned) */
    const char *status, *stage_id, *pipeline_id, *source;   /* exact matches */
    enum contact_owner_mode owner_mode;
    const char *owner_id;
    const char *visible_to;      /* SALES_REP: only contacts it owns (userId), created or is assigned to */
    int64_t created_from, created_to;   /* inclusive bounds on created_at in ms; 0: open */
    int64_t offset, limit;
    bool after;                  /* keyset: only rows strictly older than (after_created_at, after_id) */
    int64_t after_created_at;
    objectid after_id;
    /* version 10: CONTACT_OWNER_AMONG's users (valid ObjectIds, at least one) */
    const char *const *owner_ids;
    size_t nowner_ids;
} contact_query;

/* Where a page of notes resumes: only notes strictly older than (created_at, id). */
typedef struct note_cursor {
    int64_t created_at;
    objectid id;
} note_cursor;

struct store_ops {
    int version;                       /* STORE_OPS_VERSION */
    /* Every read and write waits on the calling thread's own connection to another process
     * (PostgreSQL): a server wants many request threads. false: reads are local (SQLite), and
     * only a write waits, for the writer's group commit. */
    bool remote;

    /* lifecycle */
    void (*close)(store *s);
    int (*migrate)(store *s);          /* idempotent: creates or upgrades the schema */
    store_conn *(*reader)(store *s);   /* this thread's read connection; NULL if unavailable */
    /* runs fn in a committed transaction; returns fn's result, or the failure of a write that the
     * backend sent with the COMMIT (PostgreSQL sends inserts that return nothing to read that
     * way: contact_insert, event_log_insert, event_append, idempotency_put; their failure, such
     * as PHONE_TAKEN, then fails the whole unit and is write's result) */
    int (*write)(store *s, store_work_fn fn, void *arg);
    int (*ping)(store *s);

    /* installation settings */
    int (*meta_get)(store_conn *c, const char *key, arena *a, char **value);
    int (*meta_set)(store_conn *c, const char *key, const char *value);

    /* organizations */
    int (*org_insert)(store_conn *c, const crm_org *o);
    int (*org_get)(store_conn *c, const char *org_id, arena *a, crm_org *out);
    int (*org_update)(store_conn *c, const crm_org *o);   /* every mutable column by id */

    /* provisioned numbers (org_phone_insert of an existing number: -CRM_E_PHONE_TAKEN) */
    int (*org_phone_list)(store_conn *c, const char *org_id, arena *a, crm_org_phone **out, size_t *n);
    int (*org_phone_insert)(store_conn *c, const char *org_id, const crm_org_phone *p);
    int (*org_phone_delete)(store_conn *c, const char *org_id, const char *e164);  /* NOT_FOUND if absent */
    /* 1 when e164 is provisioned to the org or is the sinchPhoneNumber of one of its users, else 0 */
    int (*org_phone_reserved)(store_conn *c, const char *org_id, const char *e164);

    /* users; email is stored lower-cased and unique across the installation */
    int (*user_insert)(store_conn *c, const crm_user *u);
    int (*user_get)(store_conn *c, const char *user_id, arena *a, crm_user *out);
    int (*user_get_by_email)(store_conn *c, const char *email, arena *a, crm_user *out);
    int (*user_get_by_apikey)(store_conn *c, const char *apikey_hash, arena *a, crm_user *out);
    int (*user_list)(store_conn *c, const char *org_id, arena *a, crm_user **out, size_t *n);
    int (*user_update)(store_conn *c, const crm_user *u);   /* every mutable column by id */
    int (*user_set_apikey)(store_conn *c, const char *user_id, const char *apikey_hash);
    int (*user_count_role)(store_conn *c, crm_role role, int64_t *n);

    /* pipelines, with their stages */
    int (*pipeline_insert)(store_conn *c, const crm_pipeline *p);
    int (*pipeline_get)(store_conn *c, const char *org_id, const char *pipeline_id, arena *a, crm_pipeline *out);
    int (*pipeline_get_default)(store_conn *c, const char *org_id, const char *type, arena *a, crm_pipeline *out);
    /* the pipeline that holds stage_id (NOT_FOUND if none in the org) */
    int (*pipeline_get_by_stage)(store_conn *c, const char *org_id, const char *stage_id, arena *a, crm_pipeline *out);

    /* contacts, with phones, emails and assignees; contact_insert maps the phone index to PHONE_TAKEN */
    int (*contact_insert)(store_conn *c, const crm_contact *ct);
    int (*contact_get)(store_conn *c, const char *org_id, const char *contact_id, arena *a, crm_contact *out);
    /* writes the id of the contact holding e164 in the org into owner; NOT_FOUND if free */
    int (*phone_owner)(store_conn *c, const char *org_id, const char *e164, objectid owner);

    /* event log (§6) and the durable event stream (§7) */
    int (*event_log_insert)(store_conn *c, const crm_event_log *e);
    int (*event_log_list)(store_conn *c, const char *org_id, const event_log_filter *f, arena *a,
                          crm_event_log **out, size_t *n, int64_t *total);
    /* *seq is the event's number, or 0 where the backend numbers events in commit order after
     * the commit (PostgreSQL: pg_events.c); readers only ever see numbered events. */
    int (*event_append)(store_conn *c, const char *org_id, const char *name, const char *payload_json,
                        int64_t *seq);

    /* --- version 2 --- */

    /* contacts of a query, fully loaded like contact_get; *total counts every match ignoring
     * offset/limit/after (NULL total: not computed). Search must use an index (FTS5 trigram). */
    int (*contact_list)(store_conn *c, const char *org_id, const contact_query *q, arena *a,
                        crm_contact **out, size_t *n, int64_t *total);

    /* pipelines of the org (type NULL: all types), default first then by created_at */
    int (*pipeline_list)(store_conn *c, const char *org_id, const char *type, arena *a,
                         crm_pipeline **out, size_t *n);
    /* unsets is_default on the org's pipelines of `type` (before inserting a new default) */
    int (*pipeline_clear_default)(store_conn *c, const char *org_id, const char *type);

    /* Idempotency-Key records of POST /api/contact, per org and user. get: NOT_FOUND when the
     * key is unknown or older than since_ms. put: one row per (org, user, key); replaces an
     * expired one. */
    int (*idempotency_get)(store_conn *c, const char *org_id, const char *user_id, const char *key,
                           int64_t since_ms, arena *a, char **request_hash, int *status, char **body);
    int (*idempotency_put)(store_conn *c, const char *org_id, const char *user_id, const char *key,
                           const char *request_hash, int status, const char *body, int64_t created_at);

    /* --- version 3 --- */

    /* Replaces every column and child row of the contact (phones, emails, assignees, search
     * index) when its stored version equals expected_version; ct->version is the new one.
     * NOT_FOUND when absent; PRECONDITION_FAILED when the version differs; PHONE_TAKEN. */
    int (*contact_update)(store_conn *c, const crm_contact *ct, int64_t expected_version);
    /* Deletes the contact and its child rows (its numbers become free). NOT_FOUND when absent. */
    int (*contact_delete)(store_conn *c, const char *org_id, const char *contact_id);
    /* Ids of the contacts on stage_id (when given) or else in pipeline_id, oldest first. */
    int (*contact_ids_in)(store_conn *c, const char *org_id, const char *pipeline_id, const char *stage_id,
                          arena *a, objectid **ids, size_t *n);

    /* Updates the pipeline's columns and upserts its stages by id (new ids inserted, known ids
     * updated); p carries every stage, deactivated ones included. NAME_TAKEN on a duplicate name. */
    int (*pipeline_update)(store_conn *c, const crm_pipeline *p);
    int (*pipeline_delete)(store_conn *c, const char *org_id, const char *pipeline_id);  /* with its stages */

    /* The durable event stream, oldest first: events with seq > after_seq (org_id NULL: every
     * organization), at most limit. */
    int (*event_list_after)(store_conn *c, const char *org_id, int64_t after_seq, int64_t limit, arena *a,
                            crm_event **out, size_t *n);
    int (*event_last_seq)(store_conn *c, int64_t *seq);   /* 0 when the log is empty */
    /* Called on the writer thread after every COMMIT that appended events (set before serving);
     * on PostgreSQL also from the listener's thread when another server's events were numbered
     * (pg_listen.c). NULL stops the calls: none comes after it returns. */
    void (*set_commit_hook)(store *s, void (*fn)(void *ctx), void *ctx);

    /* Webhooks and their deliveries (API.md §7). */
    int (*webhook_insert)(store_conn *c, const crm_webhook *w);
    int (*webhook_list)(store_conn *c, const char *org_id, arena *a, crm_webhook **out, size_t *n);
    int (*webhook_get)(store_conn *c, const char *org_id, const char *webhook_id, arena *a, crm_webhook *out);
    int (*webhook_delete)(store_conn *c, const char *org_id, const char *webhook_id);   /* and its deliveries */
    /* Every webhook of the org subscribed to event_name (for fan-out of one event). */
    int (*webhook_subscribers)(store_conn *c, const char *org_id, const char *event_name, arena *a,
                               crm_webhook **out, size_t *n);
    int (*delivery_insert)(store_conn *c, const crm_delivery *d);
    int (*delivery_update)(store_conn *c, const crm_delivery *d);   /* state, attempts, last_*, next_attempt_at, updated_at */
    int (*delivery_get)(store_conn *c, const char *org_id, const char *delivery_id, arena *a, crm_delivery *out);
    /* newest first */
    int (*delivery_list)(store_conn *c, const char *org_id, const char *webhook_id, int64_t offset, int64_t limit,
                         arena *a, crm_delivery **out, size_t *n, int64_t *total);
    /* pending deliveries with next_attempt_at <= now, oldest first, across organizations */
    int (*delivery_due)(store_conn *c, int64_t now, int64_t limit, arena *a, crm_delivery **out, size_t *n);

    /* --- version 4 --- */

    /* Deletes at most limit Idempotency-Key records made before before_ms, in any organization
     * (a unit of work); *deleted is how many went. */
    int (*idempotency_purge)(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);

    /* --- version 5 --- */

    /* A number that changes once a write that inserted or changed a user (or its API key) or
     * an organization has committed, and before that write's caller is answered: who caches
     * users or organizations compares it. Several servers on one PostgreSQL database hear each
     * other's such writes (pg_listen.c) and change it then; while a PostgreSQL store does not
     * hear them (no commit hook set, or its listener lost or silent), every call is a new number. */
    uint64_t (*accounts_version)(store *s);

    /* --- version 6 --- */

    /* user_get for a unit of work that will write the user: no other unit may change the user
     * until this one ends (SQLite's single writer gives that; PostgreSQL locks the row). */
    int (*user_get_for_update)(store_conn *c, const char *user_id, arena *a, crm_user *out);

    /* --- version 7: copying an installation to another database (store/copy.c) --- */

    /* Calls fn with every row of the n tables, table after table, each in key order, all from
     * one snapshot. Only numbered events are rows of "events". */
    int (*dump)(store_conn *c, const store_table *tables, size_t n, store_row_fn fn, void *ctx);
    /* In a unit of work: load_row inserts rows of t (as dump gives them) between load_begin and
     * load_end, which abandons the load when !keep (after a failure: call it then too). */
    int (*load_begin)(store_conn *c, const store_table *t);
    int (*load_row)(store_conn *c, const store_table *t, const char *const *values);
    int (*load_end)(store_conn *c, const store_table *t, bool keep);
    /* In the unit of work of a load: builds what the backend derives from the rows loaded
     * (search indexes, access lists, counts). */
    int (*rebuild_derived)(store_conn *c);
    int (*count_rows)(store_conn *c, const store_table *t, int64_t *n);

    /* --- version 8 --- */

    /* The most numbers (secondary ones included) and the most emails of any contact of the org:
     * the widths of a CSV export. */
    int (*contact_widths)(store_conn *c, const char *org_id, int64_t *phones, int64_t *emails);
    /* In a unit of work: takes a pending delivery due at now for one attempt, by moving its
     * next_attempt_at to until (a lease: if the attempt is never recorded, the delivery is due
     * again then). NOT_FOUND when it is not due, or another process took it first. */
    int (*delivery_claim)(store_conn *c, const char *org_id, const char *delivery_id, int64_t now, int64_t until);

    /* --- version 9 --- */

    /* A contact's verification (verified) and its numbers' and emails' (methods) are read with
     * it by contact_get and contact_list, and written whole by contact_insert and contact_update;
     * contact_delete also deletes the contact's notes. */

    /* Notes on contacts (API.md §5.7). note_insert: the contact must exist (else UNAVAILABLE,
     * logged: the service checks it first). note_update writes note, mentions_json,
     * attachments_json and updated_at by (org, id); it and note_delete answer NOT_FOUND when
     * there is no such note. note_list: the contact's notes newest first (created_at DESC,
     * id DESC), after the cursor when one is given, at most limit. */
    int (*note_insert)(store_conn *c, const crm_note *n);
    int (*note_get)(store_conn *c, const char *org_id, const char *note_id, arena *a, crm_note *out);
    int (*note_update)(store_conn *c, const crm_note *n);
    int (*note_delete)(store_conn *c, const char *org_id, const char *note_id);
    int (*note_list)(store_conn *c, const char *org_id, const char *contact_id, const note_cursor *after,
                     int64_t limit, arena *a, crm_note **out, size_t *n);

    /* --- version 10: bulk jobs (API.md §5.5); contact_query's CONTACT_OWNER_ASSIGNED/AMONG --- */

    /* A job and its items, the ids of the contacts it is to process. */
    int (*bulk_job_insert)(store_conn *c, const crm_bulk_job *j, const objectid *items, size_t n);
    int (*bulk_job_get)(store_conn *c, const char *org_id, const char *job_id, arena *a, crm_bulk_job *out);
    /* In a unit of work: takes the oldest pending job whose lease has ended (lease_until <= now,
     * in any organization) by setting lease_until to until. NOT_FOUND when there is none; on
     * PostgreSQL a job another server is taking is skipped. */
    int (*bulk_job_claim)(store_conn *c, int64_t now, int64_t until, arena *a, crm_bulk_job *out);
    /* At most limit of the job's items still to process, oldest contact first. */
    int (*bulk_job_items)(store_conn *c, const char *org_id, const char *job_id, int64_t limit, arena *a,
                          objectid **items, size_t *n);
    /* In a unit of work: deletes the n items done (those still there), adds how many went to
     * processed, and writes state, error, lease_until and updated_at of j; *processed is the job's
     * count after it. NOT_FOUND when the job is gone. */
    int (*bulk_job_advance)(store_conn *c, const crm_bulk_job *j, const objectid *done, size_t n, int64_t *processed);
    /* Deletes at most limit jobs that are no longer pending and were last updated before
     * before_ms, with their items (a unit of work); *deleted is how many went. */
    int (*bulk_job_purge)(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);
    /* A stage move of many contacts (a unit of work): each cts[i] still at version cts[i].version
     * gets pipeline_id, stage_id, status, updated_at and the next version, and moved[i] true; the
     * others (changed meanwhile, or gone) are left alone with moved[i] false. Only the contact
     * rows change: a contact's phones, emails and indexes do not depend on its stage. */
    int (*contact_move_many)(store_conn *c, const char *org_id, const crm_contact *cts, size_t n,
                             const char *pipeline_id, const char *stage_id, const char *status, int64_t updated_at,
                             bool *moved);
    /* --- version 11: CSV imports (API.md §11, service/imports.c) --- */

    /* import_insert and import_rows_insert run in the unit that registers the import. */
    int (*import_insert)(store_conn *c, const crm_import *imp);
    int (*import_rows_insert)(store_conn *c, const char *org_id, const char *import_id,
                              const crm_import_row *rows, size_t n);
    /* The import with its counts of rows done, by status. NOT_FOUND when absent. */
    int (*import_get)(store_conn *c, const char *org_id, const char *import_id, arena *a, crm_import *out);
    /* Rows without a result, row > after_row, in row order, at most limit: those whose
     * after_row is 0 (!dependent) or those whose after_row is not (dependent). */
    int (*import_rows_pending)(store_conn *c, const char *org_id, const char *import_id, bool dependent,
                               int64_t after_row, int64_t limit, arena *a, crm_import_row **out, size_t *n);
    /* Records r's result (status, contact_id, error, field, value) on row r->row. NOT_FOUND when
     * the row already has one: the unit must then roll back, so that no row is done twice. */
    int (*import_row_done)(store_conn *c, const char *org_id, const char *import_id, const crm_import_row *r);
    /* Rows with a result (of that status; NULL: any) in row order, offset/limit; *total: all of them. */
    int (*import_rows_list)(store_conn *c, const char *org_id, const char *import_id, const char *status,
                            int64_t offset, int64_t limit, arena *a, crm_import_row **out, size_t *n,
                            int64_t *total);
    /* Ends a running import: state "done" or "failed" (error: why, or NULL). NOT_FOUND when it
     * is not running. */
    int (*import_finish)(store_conn *c, const char *org_id, const char *import_id, const char *state,
                         const char *error, int64_t finished_at);
    /* In a unit of work: takes the oldest running import whose lease ended before now, holding
     * it until `until` (another server running imports skips it meanwhile). NOT_FOUND: none. */
    int (*import_claim)(store_conn *c, int64_t now, int64_t until, arena *a, crm_import *out);
    /* Extends the lease of a running import. NOT_FOUND when it is no longer running. */
    int (*import_renew)(store_conn *c, const char *org_id, const char *import_id, int64_t until);
    /* Inside a unit of work, a savepoint of its own, so that one unit can hold several rows of
     * an import each of which may fail alone: step 0 opens it, 1 keeps what was done since, 2
     * undoes that. NULL where a unit cannot take back part of itself (PostgreSQL's units send
     * their inserts with the COMMIT): each row is then a unit. */
    int (*savepoint)(store_conn *c, int step);

    /* --- version 12: the end of CSV imports --- */

    /* In a unit of work: deletes at most limit rows of the imports that ended (done or failed)
     * before before_ms, then those of them that have no row left; *deleted counts both. */
    int (*import_purge)(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);

    /* --- version 13 --- */

    /* Optional (NULL where it would gain nothing). Said in a unit just before a pipeline read
     * that is followed by the check of e164 (org_phone_reserved, then phone_owner): the backend
     * may send that check with the read, in the same round trip. The answers are the same. */
    void (*number_check_ahead)(store_conn *c, const char *org_id, const char *e164);
};

/* Opens the database named by url ("sqlite:PATH", or a postgres:// or postgresql:// URL). On failure returns NULL and writes one
 * human line into err. */
store *store_open(const char *url, char *err, size_t errlen);

#endif
