/* Rows of the append-only tables that a unit of work writes (the event log and the durable
 * events), held in the connection until the unit commits. Nothing reads them before the commit,
 * so the unit behaves as if it had written them at once. A unit of a few rows (a create, an
 * edit) sends them as their INSERTs in the pipeline with COMMIT, as before. A long unit (a bulk
 * move of 50,000 contacts) sends them with COPY just before COMMIT: one statement instead of
 * 100,000, and no longer thousands of uncommitted, unnumbered events sitting in the index that
 * every server's sequencer walks (pg_events.c) for as long as the unit runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/pg/pg_impl.h"

/* Above this many rows of a kind, COPY (two more round trips) beats queued INSERTs. */
#define COPY_FROM 64
#define COPY_CHUNK (1u << 20)

static const struct {
    pg_stmt_id insert;           /* one row: its parameters are the table's columns below */
    const char *copy;
} kinds[PG_DEFERRED_KINDS] = {
    [PG_DEFER_EVENT_LOG] = {PG_EVENT_LOG_INSERT, "COPY event_logs (" PG_EVENT_LOG_COLS ") FROM STDIN"},
    [PG_DEFER_EVENT] = {PG_EVENT_APPEND, "COPY events (organization_id, name, payload, created_at) FROM STDIN"},
};

void pg_defer_row(pg_conn *c, pg_defer_kind kind, const pg_params *p)
{
    pg_deferred *d = &c->deferred[kind];
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->rows = xrealloc(d->rows, d->cap * sizeof *d->rows);
    }
    if (!c->unit_arena)
        c->unit_arena = arena_new();
    const char **v = arena_alloc(c->unit_arena, (size_t)p->n * sizeof *v);
    for (int i = 0; i < p->n; i++)
        v[i] = p->v[i] ? arena_strdup(c->unit_arena, p->v[i]) : NULL;
    d->rows[d->n++] = v;
    d->ncols = p->n;
}

/* Appends s to the COPY text in buf (grown as needed): tab, newline, carriage return and
 * backslash escaped; NULL as \N. */
static void copy_field(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + (s ? 2 * strlen(s) : 2) + 2;
    if (need > *cap) {
        while (*cap < need)
            *cap = *cap ? 2 * *cap : 65536;
        *buf = xrealloc(*buf, *cap);
    }
    char *o = *buf + *len;
    if (!s) {
        memcpy(o, "\\N", 2);
        o += 2;
    }
    for (; s && *s; s++) {
        switch (*s) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        default: *o++ = *s;
        }
    }
    *len = (size_t)(o - *buf);
}

static int copy_rows(pg_conn *c, pg_defer_kind kind)
{
    pg_deferred *d = &c->deferred[kind];
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t r = 0; r < d->n; r++)
        for (int i = 0; i < d->ncols; i++) {
            copy_field(&buf, &len, &cap, d->rows[r][i]);
            buf[len++] = i + 1 < d->ncols ? '\t' : '\n';
        }
    int rc = pg_unit_flush(c);   /* BEGIN and what waits before it, in order */
    if (rc == 0) {
        PGresult *r = PQexec(c->db, kinds[kind].copy);
        bool in = r && PQresultStatus(r) == PGRES_COPY_IN;
        if (!in)
            rc = pg_fail(c, r, kinds[kind].copy);
        PQclear(r);
        if (in) {
            bool sent = true;
            for (size_t at = 0; sent && at < len; at += COPY_CHUNK)
                sent = PQputCopyData(c->db, buf + at, (int)(len - at < COPY_CHUNK ? len - at : COPY_CHUNK)) == 1;
            sent = sent && PQputCopyEnd(c->db, NULL) == 1;
            r = PQgetResult(c->db);
            rc = sent && r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(c, r, kinds[kind].copy);
            PQclear(r);
            while ((r = PQgetResult(c->db)))
                PQclear(r);
        }
    }
    free(buf);
    return rc;
}

int pg_defer_send(pg_conn *c)
{
    int rc = 0;
    pg_deferred *log = &c->deferred[PG_DEFER_EVENT_LOG], *ev = &c->deferred[PG_DEFER_EVENT];
    if (log->n == 1 && ev->n == 1) {
        /* A create or an edit: its log row and its event in one statement. */
        pg_params p = {0};
        for (int i = 0; i < log->ncols; i++)
            pg_p_text(&p, log->rows[0][i]);
        for (int i = 0; i < ev->ncols; i++)
            pg_p_text(&p, ev->rows[0][i]);
        rc = pg_exec_later(c, PG_EVENT_LOG_AND_APPEND, &p);
        pg_defer_reset(c);
        return rc;
    }
    for (int k = 0; k < PG_DEFERRED_KINDS && rc == 0; k++) {
        pg_deferred *d = &c->deferred[k];
        if (d->n > COPY_FROM) {
            rc = copy_rows(c, (pg_defer_kind)k);
            continue;
        }
        for (size_t r = 0; r < d->n && rc == 0; r++) {
            pg_params p = {0};
            for (int i = 0; i < d->ncols; i++)
                pg_p_text(&p, d->rows[r][i]);
            rc = pg_exec_later(c, kinds[k].insert, &p);
        }
    }
    pg_defer_reset(c);
    return rc;
}

/* A connection keeps up to this many row slots between units: a bulk move's go. */
#define KEEP_ROWS 1024

void pg_defer_reset(pg_conn *c)
{
    for (int k = 0; k < PG_DEFERRED_KINDS; k++) {
        pg_deferred *d = &c->deferred[k];
        if (d->cap > KEEP_ROWS) {
            free(d->rows);
            d->rows = NULL;
            d->cap = 0;
        }
        d->n = 0;
    }
}

void pg_defer_free(pg_conn *c)
{
    for (int k = 0; k < PG_DEFERRED_KINDS; k++)
        free(c->deferred[k].rows);
    memset(c->deferred, 0, sizeof c->deferred);
}
