/* Contacts: creation with every rule of API.md §5.2, and reads with role-based visibility. */
#ifndef CRM_CONTACTS_H
#define CRM_CONTACTS_H

#include "service/app.h"

#define CONTACT_MAX_PHONES 20
#define CONTACT_MAX_EMAILS 20

/* One phone or email entry as the client wrote it; `field` names it in errors. */
typedef struct contact_value_input {
    const char *value;
    int is_primary;        /* -1: not given */
    const char *field;     /* "phoneNumber[1].value", "email", "email[0]" ... */
} contact_value_input;

/* Which keys a request carried (a key sent as null is carried, with a NULL value). */
enum contact_key {
    CK_PHONES = 1 << 0, CK_SECONDARY = 1 << 1, CK_EMAILS = 1 << 2, CK_FIRST_NAME = 1 << 3,
    CK_LAST_NAME = 1 << 4, CK_PROCESS = 1 << 5, CK_SOURCE = 1 << 6, CK_STATUS = 1 << 7,
    CK_STAGE = 1 << 8, CK_PIPELINE = 1 << 9, CK_ASSIGNEES = 1 << 10,
};

typedef struct contact_input {
    unsigned given;                /* enum contact_key bits */
    contact_value_input *phones, *secondary, *emails;
    size_t nphones, nsecondary, nemails;
    const char *first_name, *last_name, *process, *source;   /* NULL: not given */
    const char *status, *stage_id, *pipeline_id;
    const char **assignees;
    size_t nassignees;
    const char *idempotency_key;   /* NULL: none */
    const char *request_hash;      /* hex SHA-256 of the request body, with a key */
    /* For imports (service/imports.c): the event log's source (NULL: "manual"); a hook that runs
     * inside the unit of work of a create or update once its checks passed (changed: the write
     * changes the contact), whose failure rolls the unit back; dry_run: a create runs every
     * check and the hook, and writes no contact. */
    const char *log_source;
    int (*unit_hook)(store_conn *c, const crm_contact *ct, bool changed, void *arg);
    void *hook_arg;
    bool dry_run;
} contact_input;

#define IDEMPOTENCY_KEY_MAX 255
#define IDEMPOTENCY_TTL_MS (24LL * 3600 * 1000)

/* Creates the contact, its CONTACT_CREATE log entry and its contact_created event in one
 * transaction, and returns the reply to send: *status and *body (JSON text in the arena).
 * With an Idempotency-Key seen before for the same body, nothing is created and the first
 * reply is returned again; for another body, IDEMPOTENCY_KEY_REUSED. */
int contact_create(crm_app *app, const crm_user *me, const contact_input *in, arena *a,
                   int *status, char **body, crm_err *err);

/* contact_create in two steps, for a caller that runs several creates in one unit of work
 * (imports): the checks that need no other record and the new contact (*out, in a), then,
 * inside the unit, the rest of the rules and the writes (no Idempotency-Key). */
int contact_create_prepare(crm_app *app, const crm_user *me, const contact_input *in, arena *a, crm_contact **out,
                           crm_err *err);
int contact_create_in_unit(store_conn *c, const crm_user *me, const contact_input *in, crm_contact *ct, arena *a,
                           crm_err *err);

typedef struct contact_list_input {
    int64_t page, size;
    const char *search, *status, *stage_id, *pipeline_id, *source;
    const char *owner_filter;          /* "my" (default), "all", "unassigned" or a user id */
    int64_t created_from, created_to;  /* 0: open */
    const char *after;                 /* an opaque cursor from nextCursor, or NULL */
} contact_list_input;

/* The store query of a list for me: filters, owner, search, SALES_REP visibility, page or
 * cursor (strings point into in and a). */
int contact_list_query(const crm_user *me, const contact_list_input *in, arena *a, contact_query *q,
                       crm_err *err);

/* ownerFilter of a list: my (NULL too), all, unassigned or a user id, into q's owner criteria. */
int contact_owner_filter(const crm_user *me, const char *filter, contact_query *q, crm_err *err);

/* GET /api/contacts. *next_cursor (arena) is NULL when no row follows the page. */
int contact_list(crm_app *app, const crm_user *me, const contact_list_input *in, arena *a,
                 crm_contact **out, size_t *n, int64_t *total, char **next_cursor, crm_err *err);

/* POST /api/contacts/phoneNumber: the visible contact holding this number, in any format. */
int contact_find_by_phone(crm_app *app, const crm_user *me, const char *phone, arena *a,
                          crm_contact *out, crm_err *err);

/* Reads a contact the caller may see (NOT_FOUND otherwise). */
int contact_read(crm_app *app, const crm_user *me, const char *contact_id, arena *a,
                 crm_contact *out, crm_err *err);

bool contact_visible_to(const crm_contact *ct, const crm_user *me);

/* PATCH /api/contacts/{id}: the keys given replace the contact's (same rules as create).
 * if_match: the client's If-Match header or NULL. *out is the contact after the update. */
int contact_update(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in,
                   const char *if_match, arena *a, crm_contact *out, crm_err *err);

/* What a change to a contact logs: the entry's type and changes (NULL: nothing changed, so
 * nothing is written), or no entry and no event at all (quiet). */
typedef struct contact_change {
    const char *type;
    char *changes;
    bool quiet;
    const char *source;   /* the log entry's source; NULL: "manual" */
} contact_change;

/* Inside the unit of a change: makes ct (a copy of before, which the caller may see and whose
 * If-Match held) what it should become, and says in *change how to log it. */
typedef int (*contact_change_fn)(store_conn *c, const crm_user *me, const crm_contact *before, crm_contact *ct,
                                 void *arg, arena *a, contact_change *change, crm_err *err);

/* One change of one contact in a unit of work: reads it (NOT_FOUND when the caller may not see
 * it), checks if_match (PRECONDITION_FAILED), runs fn, and stores and logs what fn made, as the
 * next version. *out is the contact after the change. */
int contact_change_run(crm_app *app, const crm_user *me, const char *contact_id, const char *if_match,
                       contact_change_fn fn, void *arg, arena *a, crm_contact *out, crm_err *err);

/* {"key": {"from", "to"}} for every key of the contact object a PATCH logs that differs between
 * before and after (JSON text in a); NULL when none does. */
char *contact_changes_json(const crm_contact *before, const crm_contact *after, arena *a);
/* The same for a move (only the status, pipeline and stage differ), without rendering them. */
char *contact_move_changes_json(const crm_contact *before, const crm_contact *after, arena *a);

/* Verification (API.md §5.6). contact_set_verified: ADMIN only; verify sets the contact's
 * verifiedAt to now, verifiedBy to the caller and verificationSource to source (may be NULL);
 * !verify clears the three. */
int contact_set_verified(crm_app *app, const crm_user *me, const char *contact_id, bool verify, const char *source,
                         const char *if_match, arena *a, crm_contact *out, crm_err *err);

typedef struct contact_method_input {
    const char *type;      /* "phone" | "email" */
    const char *value;     /* as the client wrote it */
    const char *field;     /* the body key that holds it, for errors */
    int64_t at;            /* verifiedAt in ms; 0: unverify */
    const char *source;    /* verificationSource, may be NULL */
} contact_method_input;

/* Verifies (at != 0) or unverifies one number or email of the contact, matched in any format
 * (NOT_FOUND when the contact does not hold it); verifiedBy is the caller. Logs
 * CONTACT_METHOD_VERIFIED or CONTACT_METHOD_UNVERIFIED; a change of nothing writes nothing. */
int contact_verify_method(crm_app *app, const crm_user *me, const char *contact_id, const contact_method_input *in,
                          const char *if_match, arena *a, crm_contact *out, crm_err *err);

/* PUT /api/contact: Tether's stage move. quiet (fromHistoryModal) skips the log and the event. */
int contact_move_stage(crm_app *app, const crm_user *me, const char *contact_id, const contact_input *in, bool quiet,
                       arena *a, crm_contact *out, crm_err *err);

/* DELETE: removes the visible contacts among ids (others are skipped); *deleted counts them.
 * With a single id that is not visible, NOT_FOUND. */
int contact_delete(crm_app *app, const crm_user *me, const char *const *ids, size_t n, bool single,
                   int64_t *deleted, crm_err *err);

/* Inside a unit of work: moves one contact to pipeline/stage (status = the stage's name),
 * bumps its version, and logs CONTACT_UPDATE + contact_updated unless quiet. A contact already
 * there is left alone; *changed (when not NULL) says which it was. */
int contact_move_in_unit(store_conn *c, const crm_user *me, const char *org_id, const char *contact_id,
                         const crm_pipeline *pipeline, const crm_stage *stage, bool quiet, arena *a,
                         crm_contact *out, bool *changed);

/* Inside a unit of work: the same move for the contacts cts (as read in this unit), in one
 * store operation; those already there are left alone. Adds to *modified how many changed. */
int contact_move_many_in_unit(store_conn *c, const crm_user *me, const crm_contact *cts, size_t n,
                              const crm_pipeline *pipeline, const crm_stage *stage, arena *a, int64_t *modified);

/* Inside a unit of work: deletes ct (read in this unit) with its notes and child rows, freeing
 * its numbers, and logs CONTACT_DELETE + contact_removed with the contact as it was. */
int contact_delete_in_unit(store_conn *c, const crm_user *me, const crm_contact *ct);

/* The ETag of a contact version: "<id>.<__v>" with the quotes. */
void contact_etag(const crm_contact *ct, char out[48]);

#endif
