/* SQLite store: the event log of contact writes (API §6) and the durable event stream (§7). */
#include <string.h>

#include "lib/errors.h"
#include "lib/timefmt.h"
#include "store/sqlite/sqlite_impl.h"

int sq_event_log_insert(store_conn *sc, const crm_event_log *e)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_EVENT_LOG_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, e->id);
    sq_bind_text(st, 2, e->org_id);
    sq_bind_id(st, 3, e->user_id);
    sq_bind_id(st, 4, e->contact_id);
    sq_bind_text(st, 5, e->type);
    sq_bind_text(st, 6, e->source);
    sq_bind_text(st, 7, e->changes_json);
    sqlite3_bind_int64(st, 8, e->created_at);
    int rc = sq_step(c, SQ_EVENT_LOG_INSERT);
    sq_done(st);
    return rc < 0 ? rc : 0;
}

/* Binds the filter parameters shared by the list and count statements (?1..?4). */
static void bind_filter(sqlite3_stmt *st, const char *org_id, const event_log_filter *f)
{
    sq_bind_text(st, 1, org_id);
    if (f->user_id && *f->user_id)
        sq_bind_text(st, 2, f->user_id);
    if (f->contact_id && *f->contact_id)
        sq_bind_text(st, 3, f->contact_id);
    sqlite3_bind_int64(st, 4, f->since_ms > 0 ? f->since_ms : INT64_MIN);
}

static int list_rows(sq_conn *c, sq_stmt_id id, const char *org_id, const event_log_filter *f,
                     arena *a, crm_event_log **out, size_t *n)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    size_t cap = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    bind_filter(st, org_id, f);
    sqlite3_bind_int64(st, 5, f->limit);     /* negative: no limit */
    sqlite3_bind_int64(st, 6, f->offset > 0 ? f->offset : 0);
    int rc;
    while ((rc = sq_step(c, id)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        crm_event_log *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        sq_col_id(st, 0, e->id);
        sq_col_id(st, 1, e->org_id);
        sq_col_id(st, 2, e->user_id);
        sq_col_id(st, 3, e->contact_id);
        e->type = sq_col_str(a, st, 4);
        e->source = sq_col_str(a, st, 5);
        e->changes_json = sq_col_str(a, st, 6);
        e->created_at = sqlite3_column_int64(st, 7);
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

static int count_rows(sq_conn *c, sq_stmt_id id, const char *org_id, const event_log_filter *f,
                      int64_t *total)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    bind_filter(st, org_id, f);
    int rc = sq_step(c, id);
    if (rc == 1) {
        *total = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_UNAVAILABLE;
    }
    sq_done(st);
    return rc;
}

int sq_event_log_list(store_conn *sc, const char *org_id, const event_log_filter *f, arena *a,
                      crm_event_log **out, size_t *n, int64_t *total)
{
    static const sq_stmt_id lists[4] = {SQ_EVENT_LOG_LIST, SQ_EVENT_LOG_LIST_USER,
                                        SQ_EVENT_LOG_LIST_CONTACT, SQ_EVENT_LOG_LIST_USER_CONTACT};
    static const sq_stmt_id counts[4] = {SQ_EVENT_LOG_COUNT, SQ_EVENT_LOG_COUNT_USER,
                                         SQ_EVENT_LOG_COUNT_CONTACT, SQ_EVENT_LOG_COUNT_USER_CONTACT};
    sq_conn *c = sq_of(sc);
    int which = (f->user_id && *f->user_id ? 1 : 0) | (f->contact_id && *f->contact_id ? 2 : 0);
    *out = NULL;
    *n = 0;
    *total = 0;
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    if (!(rc = list_rows(c, lists[which], org_id, f, a, out, n)))
        rc = count_rows(c, counts[which], org_id, f, total);
    sq_read_end(c);
    if (rc) {
        *out = NULL;
        *n = 0;
        *total = 0;
    }
    return rc;
}

int sq_event_append(store_conn *sc, const char *org_id, const char *name, const char *payload_json,
                    int64_t *seq)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_EVENT_APPEND);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, name);
    sq_bind_text(st, 3, payload_json ? payload_json : "{}");
    sqlite3_bind_int64(st, 4, time_now_ms());
    int rc = sq_step(c, SQ_EVENT_APPEND);
    sq_done(st);
    if (rc < 0)
        return rc;
    if (seq)
        *seq = sqlite3_last_insert_rowid(c->db);
    c->appended = true;   /* the writer calls the commit hook after this group commits */
    return 0;
}
