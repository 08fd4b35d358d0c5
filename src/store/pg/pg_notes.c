/* PostgreSQL store: notes on contacts (store version 7). A unit reads a note to change it, so
 * the row stays its own until the unit ends; the notes go with their contact (ON DELETE CASCADE). */
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

static void read_note(const PGresult *r, int row, arena *a, crm_note *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, 0, out->id);
    pg_col_id(r, row, 1, out->org_id);
    pg_col_id(r, row, 2, out->contact_id);
    pg_col_id(r, row, 3, out->user_id);
    out->note = pg_col_str(a, r, row, 4);
    out->mentions_json = pg_col_str(a, r, row, 5);
    out->attachments_json = pg_col_str(a, r, row, 6);
    out->created_at = pg_col_int(r, row, 7);
    out->updated_at = pg_col_int(r, row, 8);
}

int pg_note_insert(store_conn *sc, const crm_note *n)
{
    pg_params p = {0};
    pg_p_text(&p, n->id);
    pg_p_text(&p, n->org_id);
    pg_p_text(&p, n->contact_id);
    pg_p_text(&p, n->user_id);
    pg_p_text(&p, n->note);
    pg_p_text(&p, n->mentions_json);
    pg_p_text(&p, n->attachments_json);
    pg_p_int(&p, n->created_at);
    pg_p_int(&p, n->updated_at);
    return pg_exec(pg_of(sc), PG_NOTE_INSERT, &p, NULL);
}

int pg_note_get(store_conn *sc, const char *org_id, const char *note_id, arena *a, crm_note *out)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, note_id);
    int rc = pg_exec(c, c->in_unit ? PG_NOTE_GET_FOR_UPDATE : PG_NOTE_GET, &p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        read_note(r, 0, a, out);
    PQclear(r);
    return rc;
}

int pg_note_update(store_conn *sc, const crm_note *n)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, n->org_id);
    pg_p_text(&p, n->id);
    pg_p_text(&p, n->note);
    pg_p_text(&p, n->mentions_json);
    pg_p_text(&p, n->attachments_json);
    pg_p_int(&p, n->updated_at);
    int rc = pg_exec(pg_of(sc), PG_NOTE_UPDATE, &p, &r);
    if (rc)
        return rc;
    rc = pg_changed(r) ? 0 : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_note_delete(store_conn *sc, const char *org_id, const char *note_id)
{
    int64_t n = pg_run2(pg_of(sc), PG_NOTE_DELETE, org_id, note_id);
    return n < 0 ? (int)n : n ? 0 : -CRM_E_NOT_FOUND;
}

int pg_note_list(store_conn *sc, const char *org_id, const char *contact_id, const note_cursor *after,
                 int64_t limit, arena *a, crm_note **out, size_t *n)
{
    pg_params p = {0};
    PGresult *r;
    *out = NULL;
    *n = 0;
    pg_p_text(&p, org_id);
    pg_p_text(&p, contact_id);
    pg_p_int(&p, limit);
    if (after) {
        pg_p_int(&p, after->created_at);
        pg_p_text(&p, after->id);
    }
    int rc = pg_exec(pg_of(sc), after ? PG_NOTE_LIST_AFTER : PG_NOTE_LIST, &p, &r);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++)
        read_note(r, i, a, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}
