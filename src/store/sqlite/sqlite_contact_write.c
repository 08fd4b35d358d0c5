/* SQLite store: changing and deleting contacts, and the ids a pipeline change moves. An update
 * replaces the contact's row and every child row (phones, emails, assignees), then rebuilds its
 * derived indexes; the phone rows' primary key still refuses a number another contact holds. */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

static int delete_children(sq_conn *c, const char *org_id, const char *contact_id)
{
    static const sq_stmt_id children[] = {SQ_CONTACT_PHONES_DELETE, SQ_CONTACT_EMAILS_DELETE,
                                          SQ_CONTACT_ASSIGNEES_DELETE, SQ_CONTACT_METHODS_DELETE};
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) {
        int rc = sq_run_for_contact(c, children[i], org_id, contact_id, -1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Why an update matched no row: NOT_FOUND, or PRECONDITION_FAILED when the version moved on. */
static int no_match(sq_conn *c, const char *org_id, const char *contact_id)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_VERSION);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, contact_id);
    int rc = sq_step(c, SQ_CONTACT_VERSION);
    sq_done(st);
    if (rc < 0)
        return rc;
    return rc == 1 ? -CRM_E_PRECONDITION_FAILED : -CRM_E_NOT_FOUND;
}

/* Runs in the caller's unit of work, which rolls back a half-done update (e.g. PHONE_TAKEN on
 * the second number). created_at is kept: the derived indexes are ordered by it. */
int sq_contact_update(store_conn *sc, const crm_contact *ct, int64_t expected_version)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_UPDATE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, ct->org_id);
    sq_bind_text(st, 2, ct->id);
    sq_bind_text(st, 3, ct->user_id);
    sq_bind_text(st, 4, ct->created_by);
    sq_bind_text(st, 5, ct->first_name);
    sq_bind_text(st, 6, ct->last_name);
    sq_bind_text(st, 7, ct->status);
    sq_bind_text(st, 8, ct->process);
    sq_bind_text(st, 9, ct->source);
    sq_bind_text(st, 10, ct->pipeline_id);
    sq_bind_text(st, 11, ct->stage_id);
    sqlite3_bind_int64(st, 12, ct->updated_at);
    sqlite3_bind_int64(st, 13, ct->version);
    sqlite3_bind_int64(st, 14, expected_version);
    sq_bind_verification(st, 15, &ct->verified);
    int rc = sq_step(c, SQ_CONTACT_UPDATE);
    sq_done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(c->db) == 0)
        return no_match(c, ct->org_id, ct->id);
    if ((rc = delete_children(c, ct->org_id, ct->id)) || (rc = sq_contact_insert_children(c, ct)))
        return rc;
    return sq_contact_index_sync(c, ct->org_id, ct->id);
}

/* The child rows and the notes go explicitly (the foreign keys would cascade too); the
 * contacts_index_delete trigger drops the search document and the access rows. */
int sq_contact_delete(store_conn *sc, const char *org_id, const char *contact_id)
{
    sq_conn *c = sq_of(sc);
    int rc = delete_children(c, org_id, contact_id);
    if (rc == 0 && (rc = sq_run_for_contact(c, SQ_CONTACT_NOTES_DELETE, org_id, contact_id, -1)) >= 0 &&
        (rc = sq_run_for_contact(c, SQ_CONTACT_DELETE, org_id, contact_id, -1)) == 0)
        return -CRM_E_NOT_FOUND;
    return rc < 0 ? rc : 0;
}

int sq_contact_ids_in(store_conn *sc, const char *org_id, const char *pipeline_id, const char *stage_id,
                      arena *a, objectid **ids, size_t *n)
{
    sq_conn *c = sq_of(sc);
    bool by_stage = stage_id && *stage_id;
    sq_stmt_id id = by_stage ? SQ_CONTACT_IDS_IN_STAGE : SQ_CONTACT_IDS_IN_PIPELINE;
    sqlite3_stmt *st = sq_stmt(c, id);
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, by_stage ? stage_id : pipeline_id);
    int rc;
    while ((rc = sq_step(c, id)) == 1) {
        *ids = sq_grow(a, *ids, &cap, *n, sizeof **ids);
        sq_col_id(st, 0, (*ids)[(*n)++]);
    }
    sq_done(st);
    if (rc < 0) {
        *ids = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}
