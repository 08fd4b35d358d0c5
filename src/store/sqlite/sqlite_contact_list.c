/* SQLite store: listing contacts (filters, search, paging), and keeping the derived indexes that
 * a list reads (search documents, access rows) in step with each contact. A list runs one of a
 * family of statements assembled from the fixed fragments of sqlite_sql.h, one per combination
 * of criteria, so that each combination gets the plan of its own indexes; the variants are
 * cached per connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/utf8.h"
#include "store/sqlite/sqlite_impl.h"

/* The criteria a query sets, as the bits of its variant key. */
enum {
    CL_COUNT = 1u << 0,          /* the count of every match, not a page */
    CL_SEARCH_FTS = 1u << 1,     /* search, 3 characters or more */
    CL_SEARCH_LIKE = 1u << 2,    /* search, 1 or 2 characters */
    CL_DIGITS_FTS = 1u << 3,     /* search_digits, 3 digits or more */
    CL_DIGITS_SCAN = 1u << 4,    /* search_digits, 1 or 2 digits */
    CL_STATUS = 1u << 5,
    CL_STAGE = 1u << 6,
    CL_PIPELINE = 1u << 7,
    CL_SOURCE = 1u << 8,
    CL_OWNER = 1u << 9,
    CL_UNASSIGNED = 1u << 10,
    CL_VISIBLE = 1u << 11,
    CL_FROM = 1u << 12,
    CL_TO = 1u << 13,
    CL_AFTER = 1u << 14,
    CL_ASSIGNED = 1u << 15,
    CL_AMONG = 1u << 16,
    CL_FAMILY = 1u << 24,        /* tells contact_list keys from other families of variants */
};

#define CL_FTS (CL_SEARCH_FTS | CL_DIGITS_FTS)
#define CL_SEARCH (CL_FTS | CL_SEARCH_LIKE | CL_DIGITS_SCAN)
#define CL_ROW (CL_SEARCH | CL_OWNER | CL_VISIBLE | CL_UNASSIGNED | CL_STATUS | CL_STAGE | \
                CL_PIPELINE | CL_SOURCE | CL_ASSIGNED | CL_AMONG)

/* Below this many characters (or digits) a string has no trigram to look up. */
#define CL_TRIGRAM 3

typedef struct cl_fragment {
    uint32_t bit;
    const char *sql;
} cl_fragment;

/* The parts of a search, as sets of (contact_id, created_at) and as filters on a row. */
static const cl_fragment search_sets[] = {
    {CL_SEARCH_FTS, SQ_CL_SEARCH_SET},
    {CL_SEARCH_LIKE, SQ_CL_LIKE_SET},
    {CL_DIGITS_FTS, SQ_CL_DIGITS_SET},
    {CL_DIGITS_SCAN, SQ_CL_SCAN_SET},
};
static const cl_fragment search_rows[] = {
    {CL_SEARCH_FTS, SQ_CL_SEARCH_ROW},
    {CL_SEARCH_LIKE, SQ_CL_LIKE_ROW},
    {CL_DIGITS_FTS, SQ_CL_DIGITS_ROW},
    {CL_DIGITS_SCAN, SQ_CL_SCAN_ROW},
};

/* The other filters on a contact row. */
static const cl_fragment row_filters[] = {
    {CL_OWNER, SQ_CL_OWNER},
    {CL_VISIBLE, SQ_CL_VISIBLE},
    {CL_UNASSIGNED, SQ_CL_UNASSIGNED},
    {CL_ASSIGNED, SQ_CL_ASSIGNED},
    {CL_AMONG, SQ_CL_AMONG},
    {CL_STATUS, SQ_CL_STATUS},
    {CL_STAGE, SQ_CL_STAGE},
    {CL_PIPELINE, SQ_CL_PIPELINE},
    {CL_SOURCE, SQ_CL_SOURCE},
};

/* The bounds and the order on the columns of each kind of driver. */
typedef struct cl_keys {
    const char *from, *to, *after, *order;
} cl_keys;

static const cl_keys keys_set = {SQ_CL_FROM("k"), SQ_CL_TO("k"), SQ_CL_AFTER("k", "contact_id"),
                                 SQ_CL_ORDER("hit", "contact_id")};
static const cl_keys keys_access = {SQ_CL_FROM("x"), SQ_CL_TO("x"), SQ_CL_AFTER("x", "contact_id"),
                                    SQ_CL_ORDER("x", "contact_id")};
static const cl_keys keys_contacts = {SQ_CL_FROM("c"), SQ_CL_TO("c"), SQ_CL_AFTER("c", "id"),
                                      SQ_CL_ORDER("c", "id")};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The source that drives a query of these criteria (see sqlite_sql.h). */
typedef enum cl_driver { CL_BY_SEARCH, CL_BY_OWNER, CL_BY_VISIBLE, CL_BY_CONTACTS } cl_driver;

static cl_driver driver_of(uint32_t key)
{
    bool scan = key & (CL_SEARCH_LIKE | CL_DIGITS_SCAN);
    if ((key & CL_SEARCH) && (!scan || !(key & (CL_OWNER | CL_VISIBLE))))
        return CL_BY_SEARCH;
    if (key & CL_OWNER)
        return CL_BY_OWNER;
    if (key & CL_VISIBLE)
        return CL_BY_VISIBLE;
    return CL_BY_CONTACTS;
}

/* The criteria checked on each contact row rather than by the driver. */
static uint32_t row_checks(uint32_t key)
{
    switch (driver_of(key)) {
    case CL_BY_SEARCH:
        return key & CL_ROW & ~CL_SEARCH;
    case CL_BY_OWNER:
        return key & CL_ROW & ~CL_OWNER;
    case CL_BY_VISIBLE:
        return key & CL_ROW & ~CL_VISIBLE;
    case CL_BY_CONTACTS:
        break;
    }
    return key & CL_ROW;
}

/* A page cut from the search's set alone carries the count of the whole set (the column after
 * the contact's) unless a keyset bounds the set. */
static bool page_counts(uint32_t key)
{
    return driver_of(key) == CL_BY_SEARCH && !row_checks(key) && !(key & CL_AFTER);
}

static void cat(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf), m = strlen(s);
    if (n + m >= len)
        abort();   /* the fragments are fixed and the longest variant fits: cannot happen */
    memcpy(buf + n, s, m + 1);
}

static void cat_keys(char *buf, size_t len, uint32_t key, const cl_keys *k)
{
    if (key & CL_FROM)
        cat(buf, len, k->from);
    if (key & CL_TO)
        cat(buf, len, k->to);
    if (key & CL_AFTER)
        cat(buf, len, k->after);
}

static void cat_rows(char *buf, size_t len, uint32_t rows)
{
    if (rows & CL_SEARCH) {
        const char *sep = SQ_CL_ANY_OPEN;
        for (size_t i = 0; i < COUNT_OF(search_rows); i++) {
            if (rows & search_rows[i].bit) {
                cat(buf, len, sep);
                cat(buf, len, search_rows[i].sql);
                sep = SQ_CL_ANY_OR;
            }
        }
        cat(buf, len, SQ_CL_ANY_CLOSE);
    }
    for (size_t i = 0; i < COUNT_OF(row_filters); i++)
        if (rows & row_filters[i].bit)
            cat(buf, len, row_filters[i].sql);
}

/* The matches of a search, bounded by the dates and the keyset. */
static void cat_search_set(char *buf, size_t len, uint32_t key)
{
    bool first = true;
    for (size_t i = 0; i < COUNT_OF(search_sets); i++) {
        if (key & search_sets[i].bit) {
            if (!first)
                cat(buf, len, SQ_CL_SET_OR);
            cat(buf, len, search_sets[i].sql);
            first = false;
        }
    }
    cat(buf, len, SQ_CL_KEYS_CLOSE);
    cat_keys(buf, len, key, &keys_set);
}

static void build_search(uint32_t key, char *buf, size_t len)
{
    bool page = !(key & CL_COUNT);
    uint32_t rows = row_checks(key);
    cat(buf, len, page ? SQ_CL_SELECT : SQ_CL_COUNT);
    if (page && !rows) {
        cat(buf, len, SQ_CL_PAGE_OPEN);
        cat_search_set(buf, len, key);
        cat(buf, len, SQ_CL_PAGE_CLOSE SQ_CL_JOIN_HIT SQ_CL_REORDER);
        return;
    }
    cat(buf, len, SQ_CL_HITS_OPEN SQ_CL_KEYS_OPEN);
    cat_search_set(buf, len, key);
    cat(buf, len, SQ_CL_HITS_CLOSE);
    if (!rows)
        return;   /* the count of the set alone */
    cat(buf, len, SQ_CL_JOIN_HIT);
    cat_rows(buf, len, rows);
    if (page)
        cat(buf, len, keys_set.order);
}

static void build_access(uint32_t key, char *buf, size_t len, const char *whose)
{
    bool page = !(key & CL_COUNT);
    uint32_t rows = row_checks(key);
    cat(buf, len, page ? SQ_CL_SELECT : SQ_CL_COUNT);
    cat(buf, len, page || rows ? SQ_CL_ACCESS_CONTACTS : SQ_CL_ACCESS_ROWS);
    cat(buf, len, whose);
    cat_keys(buf, len, key, &keys_access);
    cat_rows(buf, len, rows);
    if (page)
        cat(buf, len, keys_access.order);
}

static void build_contacts(uint32_t key, char *buf, size_t len)
{
    cat(buf, len, key & CL_COUNT ? SQ_CL_COUNT : SQ_CL_SELECT);
    cat(buf, len, SQ_CL_CONTACTS);
    cat_rows(buf, len, row_checks(key));
    cat_keys(buf, len, key, &keys_contacts);
    if (!(key & CL_COUNT))
        cat(buf, len, keys_contacts.order);
}

static void build_list(uint32_t key, char *buf, size_t len)
{
    switch (driver_of(key)) {
    case CL_BY_SEARCH:
        build_search(key, buf, len);
        break;
    case CL_BY_OWNER:
        build_access(key, buf, len, SQ_CL_ACCESS_OWNER);
        break;
    case CL_BY_VISIBLE:
        build_access(key, buf, len, SQ_CL_ACCESS_VISIBLE);
        break;
    case CL_BY_CONTACTS:
        build_contacts(key, buf, len);
        break;
    }
}

static bool given(const char *s)
{
    return s && *s;
}

/* The digits of s (a caller may pass them formatted), in the arena; NULL when it has none. */
static char *digits_of(arena *a, const char *s)
{
    if (!given(s))
        return NULL;
    char *d = arena_alloc(a, strlen(s) + 1), *p = d;
    for (; *s; s++)
        if (*s >= '0' && *s <= '9')
            *p++ = *s;
    return p > d ? d : NULL;
}

/* The variant key of q (without CL_COUNT and CL_AFTER, which the caller adds). */
static uint32_t criteria(const contact_query *q, const char *digits)
{
    uint32_t key = CL_FAMILY;
    if (given(q->search))
        key |= utf8_length(q->search, strlen(q->search)) >= CL_TRIGRAM ? CL_SEARCH_FTS : CL_SEARCH_LIKE;
    if (digits)
        key |= strlen(digits) >= CL_TRIGRAM ? CL_DIGITS_FTS : CL_DIGITS_SCAN;
    if (given(q->status))
        key |= CL_STATUS;
    if (given(q->stage_id))
        key |= CL_STAGE;
    if (given(q->pipeline_id))
        key |= CL_PIPELINE;
    if (given(q->source))
        key |= CL_SOURCE;
    if (q->owner_mode == CONTACT_OWNER_USER)
        key |= CL_OWNER;
    else if (q->owner_mode == CONTACT_OWNER_UNASSIGNED)
        key |= CL_UNASSIGNED;
    else if (q->owner_mode == CONTACT_OWNER_ASSIGNED)
        key |= CL_ASSIGNED;
    else if (q->owner_mode == CONTACT_OWNER_AMONG)
        key |= CL_AMONG;
    if (given(q->visible_to))
        key |= CL_VISIBLE;
    if (q->created_from)
        key |= CL_FROM;
    if (q->created_to)
        key |= CL_TO;
    return key;
}

/* Binds what the variant uses: every parameter has the same number in every variant, and a
 * variant holds only the numbers of its own criteria (and those below them). */
static void bind_text_at(sqlite3_stmt *st, int i, const char *s)
{
    if (i <= sqlite3_bind_parameter_count(st))
        sq_bind_text(st, i, s);
}

static void bind_int_at(sqlite3_stmt *st, int i, int64_t v)
{
    if (i <= sqlite3_bind_parameter_count(st))
        sqlite3_bind_int64(st, i, v);
}

/* CONTACT_OWNER_AMONG's users as a JSON array (ObjectIds need no escaping), in the arena. */
static const char *among_json(arena *a, const contact_query *q)
{
    if (q->owner_mode != CONTACT_OWNER_AMONG)
        return NULL;
    char *s = arena_alloc(a, q->nowner_ids * (OBJECTID_LEN + 3) + 3), *p = s;
    *p++ = '[';
    for (size_t i = 0; i < q->nowner_ids; i++)
        p += sprintf(p, "%s\"%s\"", i ? "," : "", q->owner_ids[i]);
    strcpy(p, "]");
    return s;
}

static void bind_query(sqlite3_stmt *st, const char *org_id, const contact_query *q, const char *digits,
                       const char *among)
{
    sq_bind_text(st, 1, org_id);
    bind_text_at(st, 2, q->search);
    bind_text_at(st, 3, digits);
    bind_text_at(st, 4, q->status);
    bind_text_at(st, 5, q->stage_id);
    bind_text_at(st, 6, q->pipeline_id);
    bind_text_at(st, 7, q->source);
    bind_text_at(st, 8, q->owner_id);
    bind_text_at(st, 9, q->visible_to);
    bind_int_at(st, 10, q->created_from);
    bind_int_at(st, 11, q->created_to);
    bind_int_at(st, 12, q->after_created_at);
    bind_text_at(st, 13, q->after ? q->after_id : NULL);
    bind_int_at(st, 14, q->limit);   /* negative: no limit */
    bind_int_at(st, 15, q->offset > 0 ? q->offset : 0);
    bind_text_at(st, 16, among);
}

/* Every contact of the org, or of one stage: the counts the triggers of migration 9 keep. */
static int count_counted(sq_conn *c, const char *stage_id, const char *org_id, int64_t *total)
{
    sq_stmt_id id = stage_id ? SQ_CONTACT_COUNT_STAGE : SQ_CONTACT_COUNT_ORG;
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    if (stage_id)
        sq_bind_text(st, 2, stage_id);
    int rc = sq_step(c, id);
    *total = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sq_done(st);
    return rc < 0 ? rc : 0;
}

static int count_matches(sq_conn *c, uint32_t key, const char *org_id, const contact_query *q,
                         const char *digits, const char *among, int64_t *total)
{
    if (key == CL_FAMILY || key == (CL_FAMILY | CL_STAGE))
        return count_counted(c, key == CL_FAMILY ? NULL : q->stage_id, org_id, total);
    sqlite3_stmt *st = sq_variant_stmt(c, key | CL_COUNT, "CONTACT_COUNT", build_list);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    bind_query(st, org_id, q, digits, among);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *total = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        rc = sq_fail(c, "CONTACT_COUNT");
    }
    sq_done(st);
    return rc;
}

/* Reads the page; *total is set (else left at -1) when the page itself carries the count. */
static int list_page(sq_conn *c, uint32_t key, const char *org_id, const contact_query *q,
                     const char *digits, const char *among, arena *a, crm_contact **out, size_t *n, int64_t *total)
{
    size_t cap = 0;
    sqlite3_stmt *st = sq_variant_stmt(c, key, "CONTACT_LIST", build_list);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    bind_query(st, org_id, q, digits, among);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sq_grow(a, *out, &cap, *n, sizeof **out);
        sq_contact_read(st, a, &(*out)[(*n)++]);
        if (page_counts(key))
            *total = sqlite3_column_int64(st, SQ_CONTACT_NCOLS);
    }
    rc = rc == SQLITE_DONE ? 0 : sq_fail(c, "CONTACT_LIST");
    sq_done(st);
    /* One indexed lookup per list per row, on cached statements: a page of 50 is ~150 short
     * steps, well under a millisecond. */
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = sq_contact_load_lists(c, a, &(*out)[i]);
    return rc;
}

int sq_contact_list(store_conn *sc, const char *org_id, const contact_query *q, arena *a,
                    crm_contact **out, size_t *n, int64_t *total)
{
    sq_conn *c = sq_of(sc);
    const char *digits = digits_of(a, q->search_digits), *among = among_json(a, q);
    uint32_t key = criteria(q, digits);
    int64_t counted = -1;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = sq_read_begin(c)))   /* the page and the total see one snapshot */
        return rc;
    if (q->limit != 0)
        rc = list_page(c, key | (q->after ? CL_AFTER : 0), org_id, q, digits, among, a, out, n, &counted);
    if (rc == 0 && total && counted < 0)
        rc = count_matches(c, key, org_id, q, digits, among, &counted);
    sq_read_end(c);
    if (rc) {
        *out = NULL;
        *n = 0;
        counted = 0;
    }
    if (total)
        *total = counted;
    return rc;
}

/* The EXPLAIN QUERY PLAN of the statement a query runs (its page, or its count), one detail
 * per line, into out (truncated to outlen). A diagnostic: prepared, run and finalized here. */
int sq_contact_list_plan(sq_conn *c, const contact_query *q, bool count, char *out, size_t outlen)
{
    char sql[8192] = "EXPLAIN QUERY PLAN ";
    sqlite3_stmt *st = NULL;
    size_t used = 0, len = strlen(sql);
    int rc = -CRM_E_UNAVAILABLE;
    arena *a = arena_new();
    uint32_t key = criteria(q, digits_of(a, q->search_digits)) | (count ? CL_COUNT : 0) |
                   (q->after && !count ? CL_AFTER : 0);
    build_list(key, sql + len, sizeof sql - len);
    out[0] = '\0';
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sq_fail(c, "CONTACT_LIST_PLAN");
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        int w = snprintf(out + used, outlen - used, "%s\n", detail ? detail : "");
        if (w < 0 || (size_t)w >= outlen - used)
            break;
        used += (size_t)w;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, "CONTACT_LIST_PLAN");
done:
    sqlite3_finalize(st);
    arena_destroy(a);
    return rc;
}

/* Rebuilds the derived indexes of one contact from its rows. A new contact gets its row number
 * first, and has nothing older to drop or refresh. Inside a group of the writer (search_deferred)
 * the search document is queued for sq_search_flush instead of written here. */
int sq_contact_index_sync(sq_conn *c, const char *org_id, const char *contact_id)
{
    int rc = sq_run_for_contact(c, SQ_CONTACT_SEARCH_ROW, org_id, contact_id, -1);
    if (rc < 0)
        return rc;
    bool fresh = rc > 0;
    if (!fresh && (rc = sq_run_for_contact(c, SQ_CONTACT_SEARCH_ROW_REFRESH, org_id, contact_id, -1)) < 0)
        return rc;
    if (c->search_deferred) {
        rc = sq_run_for_contact(c, SQ_SEARCH_PENDING_ADD, org_id, contact_id, !fresh);
        c->search_queued = true;
    } else if (fresh || (rc = sq_run_for_contact(c, SQ_CONTACT_SEARCH_DELETE, org_id, contact_id, -1)) >= 0) {
        rc = sq_run_for_contact(c, SQ_CONTACT_SEARCH_INSERT, org_id, contact_id, -1);
    }
    if (rc < 0)
        return rc;
    if (!fresh && (rc = sq_run_for_contact(c, SQ_CONTACT_ACCESS_DELETE, org_id, contact_id, -1)) < 0)
        return rc;
    rc = sq_run_for_contact(c, SQ_CONTACT_ACCESS_INSERT, org_id, contact_id, -1);
    if (rc < 0)
        return rc;
    return rc == 0 ? -CRM_E_NOT_FOUND : 0;   /* every contact has an owner: no rows, no contact */
}

int sq_search_flush(sq_conn *c)
{
    if (!c->search_queued)
        return 0;   /* also: no search tables to touch before migration 2 */
    c->search_queued = false;
    static const sq_stmt_id steps[] = {SQ_SEARCH_PENDING_DROP, SQ_SEARCH_PENDING_INSERT,
                                       SQ_SEARCH_PENDING_CLEAR};
    for (size_t i = 0; i < COUNT_OF(steps); i++) {
        int rc = sq_exec(c, steps[i]);
        if (rc)
            return rc;
    }
    return 0;
}
