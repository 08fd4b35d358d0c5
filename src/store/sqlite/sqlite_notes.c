/* SQLite store: notes on contacts (store version 7). A note belongs to its contact: the foreign
 * key refuses a note on a contact that is not there, and sq_contact_delete deletes the notes. */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

static void read_note(sqlite3_stmt *st, arena *a, crm_note *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->id);
    sq_col_id(st, 1, out->org_id);
    sq_col_id(st, 2, out->contact_id);
    sq_col_id(st, 3, out->user_id);
    out->note = sq_col_str(a, st, 4);
    out->mentions_json = sq_col_str(a, st, 5);
    out->attachments_json = sq_col_str(a, st, 6);
    out->created_at = sqlite3_column_int64(st, 7);
    out->updated_at = sqlite3_column_int64(st, 8);
}

int sq_note_insert(store_conn *sc, const crm_note *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_NOTE_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, n->id);
    sq_bind_text(st, 2, n->org_id);
    sq_bind_text(st, 3, n->contact_id);
    sq_bind_text(st, 4, n->user_id);
    sq_bind_text(st, 5, n->note);
    sq_bind_text(st, 6, n->mentions_json);
    sq_bind_text(st, 7, n->attachments_json);
    sqlite3_bind_int64(st, 8, n->created_at);
    sqlite3_bind_int64(st, 9, n->updated_at);
    int rc = sq_step(c, SQ_NOTE_INSERT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

int sq_note_get(store_conn *sc, const char *org_id, const char *note_id, arena *a, crm_note *out)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_NOTE_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, note_id);
    int rc = sq_step(c, SQ_NOTE_GET);
    if (rc == 1) {
        read_note(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc;
}

int sq_note_update(store_conn *sc, const crm_note *n)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_NOTE_UPDATE);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, n->org_id);
    sq_bind_text(st, 2, n->id);
    sq_bind_text(st, 3, n->note);
    sq_bind_text(st, 4, n->mentions_json);
    sq_bind_text(st, 5, n->attachments_json);
    sqlite3_bind_int64(st, 6, n->updated_at);
    int rc = sq_step(c, SQ_NOTE_UPDATE);
    sq_done(st);
    if (rc < 0)
        return rc;
    return sqlite3_changes(c->db) ? 0 : -CRM_E_NOT_FOUND;
}

int sq_note_delete(store_conn *sc, const char *org_id, const char *note_id)
{
    int rc = sq_run_for_contact(sq_of(sc), SQ_NOTE_DELETE, org_id, note_id, -1);
    return rc < 0 ? rc : rc ? 0 : -CRM_E_NOT_FOUND;
}

int sq_note_list(store_conn *sc, const char *org_id, const char *contact_id, const note_cursor *after,
                 int64_t limit, arena *a, crm_note **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    sq_stmt_id id = after ? SQ_NOTE_LIST_AFTER : SQ_NOTE_LIST;
    sqlite3_stmt *st = sq_stmt(c, id);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, contact_id);
    if (after) {
        sqlite3_bind_int64(st, 3, after->created_at);
        sq_bind_text(st, 4, after->id);
    }
    sqlite3_bind_int64(st, 5, limit);
    int rc;
    while ((rc = sq_step(c, id)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        read_note(st, a, &(*out)[(*n)++]);
    }
    sq_done(st);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}
