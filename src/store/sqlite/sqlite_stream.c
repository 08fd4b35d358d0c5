/* SQLite store: reading the durable event stream back (API §7) — the event hub, SSE replay and
 * the webhook dispatcher. Appending is sq_event_append (sqlite_events.c). */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

int sq_event_list_after(store_conn *sc, const char *org_id, int64_t after_seq, int64_t limit, arena *a,
                        crm_event **out, size_t *n)
{
    sq_conn *c = sq_of(sc);
    /* Without an org the rowid range is the whole plan; with one, events_by_org. */
    sq_stmt_id id = org_id && *org_id ? SQ_EVENT_LIST_AFTER_ORG : SQ_EVENT_LIST_AFTER;
    sqlite3_stmt *st = sq_stmt(c, id);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sqlite3_bind_int64(st, 1, after_seq);
    sqlite3_bind_int64(st, 2, limit);   /* negative: no limit */
    if (id == SQ_EVENT_LIST_AFTER_ORG)
        sq_bind_text(st, 3, org_id);
    int rc;
    while ((rc = sq_step(c, id)) == 1) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        crm_event *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        e->seq = sqlite3_column_int64(st, 0);
        sq_col_id(st, 1, e->org_id);
        e->name = sq_col_str(a, st, 2);
        e->payload_json = sq_col_str(a, st, 3);
        e->created_at = sqlite3_column_int64(st, 4);
    }
    sq_done(st);
    if (rc < 0) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

int sq_event_last_seq(store_conn *sc, int64_t *seq)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_EVENT_LAST_SEQ);
    *seq = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sq_step(c, SQ_EVENT_LAST_SEQ);
    if (rc == 1) {
        *seq = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_UNAVAILABLE;   /* an aggregate always answers a row */
    }
    sq_done(st);
    return rc;
}
