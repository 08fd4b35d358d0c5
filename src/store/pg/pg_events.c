/* PostgreSQL store: the event log (API.md §6) and the durable event stream (§7).
 *
 * The stream must never show a reader event n+1 before event n: SSE resume and the webhook
 * dispatcher keep only the last number they saw. A sequence cannot give that here, since
 * transactions commit in another order than they draw numbers. So a write appends its events
 * without a number (seq NULL), and numbers are given after the commit, in one short transaction
 * at a time (an advisory lock) that numbers every committed, unnumbered event above the highest
 * number so far. A reader sees a numbering transaction whole or not at all, and each one only
 * adds numbers above all earlier ones: what a reader has seen is never followed by a smaller
 * number. Whoever reads the stream first numbers what is waiting (pg_events_sequence), so a
 * committed event is readable at once, by any process, whatever happened to its writer. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "lib/errors.h"
#include "lib/timefmt.h"
#include "store/pg/pg_impl.h"

#define SEQUENCE_BATCH 5000

int pg_event_log_insert(store_conn *sc, const crm_event_log *e)
{
    pg_params p = {0};
    pg_p_text(&p, e->id);
    pg_p_text(&p, e->org_id);
    pg_p_id(&p, e->user_id);
    pg_p_id(&p, e->contact_id);
    pg_p_text(&p, e->type);
    pg_p_text(&p, e->source);
    pg_p_text(&p, e->changes_json);
    pg_p_int(&p, e->created_at);
    pg_conn *c = pg_of(sc);
    if (!c->in_unit)
        return pg_exec(c, PG_EVENT_LOG_INSERT, &p, NULL);
    pg_defer_row(c, PG_DEFER_EVENT_LOG, &p);   /* goes with COMMIT */
    return 0;
}

static void filter_params(pg_params *p, const char *org_id, const event_log_filter *f)
{
    pg_p_text(p, org_id);
    pg_p_id(p, f->user_id);
    pg_p_id(p, f->contact_id);
    pg_p_int(p, f->since_ms > 0 ? f->since_ms : INT64_MIN);
}

int pg_event_log_list(store_conn *sc, const char *org_id, const event_log_filter *f, arena *a,
                      crm_event_log **out, size_t *n, int64_t *total)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0}, q = {0};
    PGresult *r;
    *out = NULL;
    *n = 0;
    filter_params(&p, org_id, f);
    pg_p_int(&p, f->limit);
    pg_p_int(&p, f->offset > 0 ? f->offset : 0);
    int rc = pg_exec(c, PG_EVENT_LOG_LIST, &p, &r);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++) {
        crm_event_log *e = &(*out)[i];
        pg_col_id(r, i, 0, e->id);
        pg_col_id(r, i, 1, e->org_id);
        pg_col_id(r, i, 2, e->user_id);
        pg_col_id(r, i, 3, e->contact_id);
        e->type = pg_col_str(a, r, i, 4);
        e->source = pg_col_str(a, r, i, 5);
        e->changes_json = pg_col_str(a, r, i, 6);
        e->created_at = pg_col_int(r, i, 7);
    }
    *n = (size_t)rows;
    PQclear(r);
    if (!total)
        return 0;
    filter_params(&q, org_id, f);
    if ((rc = pg_exec(c, PG_EVENT_LOG_COUNT, &q, &r)))
        return rc;
    *total = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pg_event_append(store_conn *sc, const char *org_id, const char *name, const char *payload_json, int64_t *seq)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    pg_p_text(&p, org_id);
    pg_p_text(&p, name);
    pg_p_text(&p, payload_json);
    pg_p_int(&p, time_now_ms());
    int rc = 0;
    if (c->in_unit)
        pg_defer_row(c, PG_DEFER_EVENT, &p);   /* goes with COMMIT */
    else
        rc = pg_exec(c, PG_EVENT_APPEND, &p, NULL);
    if (rc == 0)
        c->appended = true;
    if (seq)
        *seq = 0;   /* numbered after the commit */
    return rc;
}

/* numbered_high: the highest number this store has seen given (by its own numbering or in
 * what it read). A reader with a full batch of numbered events still ahead of it need not number more first:
 * numbering only ever adds numbers above these, and the reader comes back for the rest. A
 * bulk move's 50,000 events were read 256 at a time by the hub, each read checking for waiting
 * events, while the move's transaction kept the numbered events' old index entries from being
 * cleaned: 1.8 ms a check, a thousand checks a move. (Only for a reader of the whole stream: an
 * organization's reader cannot tell how many of those numbers are its own.) */
static void saw_number(pg_conn *c, int64_t seq)
{
    _Atomic int64_t *high = &pg_store_sequencer(c->owner)->numbered_high;
    int64_t known = atomic_load(high);
    while (seq > known && !atomic_compare_exchange_weak(high, &known, seq))
        ;
}

static int sequence_pending(pg_conn *c)
{
    PGresult *r;
    int rc = pg_exec(c, PG_EVENT_PENDING, NULL, &r);
    if (rc)
        return rc;
    bool pending = PQntuples(r) > 0;
    PQclear(r);
    while (pending) {
        /* BEGIN, the lock, the numbering and COMMIT in one round trip. */
        pg_params p = {0}, np = {0};
        pg_p_int(&p, SEQUENCE_BATCH);
        pg_p_text(&np, pg_instance_id());
        pg_unit_begin(c);
        /* with the other servers' event hubs told to read what gets numbered (pg_listen.c) */
        if ((rc = pg_exec_later(c, PG_EVENT_SEQUENCE_LOCK, NULL)) ||
            (rc = pg_exec_later_result(c, PG_EVENT_SEQUENCE, &p, &r)) ||
            (rc = pg_exec_later(c, PG_NOTIFY_EVENTS, &np))) {
            pg_unit_rollback(c);
            return rc;
        }
        if ((rc = pg_unit_commit(c))) {
            PQclear(r);
            return rc;
        }
        int64_t numbered = r ? pg_col_int(r, 0, 0) : 0;
        pending = numbered == SEQUENCE_BATCH;
        if (r && !PQgetisnull(r, 0, 1))
            saw_number(c, pg_col_int(r, 0, 1));
        PQclear(r);
        if (numbered > 0)
            pg_store_events_numbered(c->owner);
    }
    return 0;
}

/* One sequencer at a time in this store (pg_sequencer.mu). The others (the event hub, the webhook dispatcher,
 * SSE readers) wait here rather than each on the advisory lock in a transaction of its own, whose
 * COMMIT, even with nothing left to number, is a WAL flush; after the wait they find the events
 * numbered. The advisory lock still orders the sequencers of different servers.
 *
 * Sequencing takes at most a fifth of the time: after a round that took d, the next waits until
 * 4d have passed (at most 50 ms), so that it numbers what committed meanwhile in one go. A round
 * is about 0.3 ms, so an event waits a millisecond or two more. But while a long transaction
 * (a bulk move of 50,000 contacts) is open, the numbered events' old index entries cannot be
 * cleaned, every round walks them, and a round takes 5-10 ms: without the pause, one per commit
 * of the other writers kept a core busy. */
#define SEQUENCE_PAUSE_MAX_US 50000

int pg_events_sequence(pg_conn *c)
{
    /* A unit of work (the webhook dispatcher's) reads what is numbered: numbering is a
     * transaction of its own. */
    if (c->in_unit)
        return 0;
    pg_sequencer *q = pg_store_sequencer(c->owner);
    pthread_mutex_lock(&q->mu);
    int64_t start = time_now_us();
    if (start < q->next_round_us) {
        int64_t wait = q->next_round_us - start;
        usleep((useconds_t)(wait < SEQUENCE_PAUSE_MAX_US ? wait : SEQUENCE_PAUSE_MAX_US));
        start = time_now_us();
    }
    int rc = sequence_pending(c);
    int64_t end = time_now_us();
    q->next_round_us = end + 4 * (end - start);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int pg_event_list_after(store_conn *sc, const char *org_id, int64_t after_seq, int64_t limit, arena *a,
                        crm_event **out, size_t *n)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    *out = NULL;
    *n = 0;
    int64_t high = atomic_load(&pg_store_sequencer(c->owner)->numbered_high);
    bool full_batch_ahead = !org_id && after_seq + limit <= high;
    int rc = full_batch_ahead ? 0 : pg_events_sequence(c);
    if (rc)
        return rc;
    pg_p_int(&p, after_seq);
    pg_p_int(&p, limit);
    if (org_id)
        pg_p_text(&p, org_id);
    if ((rc = pg_exec(c, org_id ? PG_EVENT_LIST_AFTER_ORG : PG_EVENT_LIST_AFTER, &p, &r)))
        return rc;
    int rows = PQntuples(r);
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++) {
        crm_event *e = &(*out)[i];
        e->seq = pg_col_int(r, i, 0);
        pg_col_id(r, i, 1, e->org_id);
        e->name = pg_col_str(a, r, i, 2);
        e->payload_json = pg_col_str(a, r, i, 3);
        e->created_at = pg_col_int(r, i, 4);
    }
    *n = (size_t)rows;
    if (rows > 0)
        saw_number(c, (*out)[rows - 1].seq);
    PQclear(r);
    return 0;
}

int pg_event_last_seq(store_conn *sc, int64_t *seq)
{
    pg_conn *c = pg_of(sc);
    PGresult *r;
    int rc = pg_events_sequence(c);
    if (rc || (rc = pg_exec(c, PG_EVENT_LAST_SEQ, NULL, &r)))
        return rc;
    *seq = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}
