/* PostgreSQL store: listing contacts (filters, search, paging). A list runs one of a family of
 * statements assembled from the fixed fragments below, one per combination of criteria, each
 * prepared once per connection. Search reads the trigram indexes of the contacts' search
 * documents (contact_search, pg_schema.c): a substring of 3 or more characters is an index lookup. The page and
 * the exact total come from one statement, so they see one snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

enum {
    CL_COUNT = 1u << 0,          /* the page carries the count of every match */
    CL_SEARCH = 1u << 1,
    CL_DIGITS = 1u << 2,
    CL_STATUS = 1u << 3,
    CL_STAGE = 1u << 4,
    CL_PIPELINE = 1u << 5,
    CL_SOURCE = 1u << 6,
    CL_OWNER = 1u << 7,
    CL_UNASSIGNED = 1u << 8,
    CL_VISIBLE = 1u << 9,
    CL_FROM = 1u << 10,
    CL_TO = 1u << 11,
    CL_AFTER = 1u << 12,
    CL_ASSIGNED = 1u << 13,
    CL_AMONG = 1u << 14,
    CL_FAMILY = 1u << 24,
};

/* Every variant takes the same parameters, typed here so that a variant need not use them all:
 * $1 org, $2 search pattern, $3 digits pattern, $4 status, $5 stage, $6 pipeline, $7 source,
 * $8 owner, $9 visible_to, $10 created_from, $11 created_to, $12 after created_at, $13 after
 * id, $14 limit, $15 offset, $16 the users of CONTACT_OWNER_AMONG. */
#define TEXT_OID 25
#define INT8_OID 20
#define TEXT_ARRAY_OID 1009
static const Oid param_types[16] = {
    TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID,
    INT8_OID, INT8_OID, INT8_OID, TEXT_OID, INT8_OID, INT8_OID, TEXT_ARRAY_OID,
};

static const struct {
    uint32_t bit;
    const char *sql;
} filters[] = {
    {CL_SEARCH | CL_DIGITS, " AND c.id IN (SELECT s.contact_id FROM contact_search s WHERE "
                            "s.organization_id = $1 AND (s.words LIKE lower($2) OR s.digits LIKE $3))"},
    {CL_SEARCH, " AND c.id IN (SELECT s.contact_id FROM contact_search s WHERE s.organization_id = $1 "
                "AND s.words LIKE lower($2))"},
    {CL_DIGITS, " AND c.id IN (SELECT s.contact_id FROM contact_search s WHERE s.organization_id = $1 "
                "AND s.digits LIKE $3)"},
    {CL_STATUS, " AND c.status = $4"},
    {CL_STAGE, " AND c.stage_id = $5"},
    {CL_PIPELINE, " AND c.pipeline_id = $6"},
    {CL_SOURCE, " AND c.source = $7"},
    /* "my" contacts (or a user's): owned or assigned */
    {CL_OWNER, " AND (c.user_id = $8 OR EXISTS (SELECT 1 FROM contact_assignees a "
               "WHERE a.organization_id = $1 AND a.contact_id = c.id AND a.user_id = $8))"},
    {CL_UNASSIGNED, " AND NOT EXISTS (SELECT 1 FROM contact_assignees a "
                    "WHERE a.organization_id = $1 AND a.contact_id = c.id)"},
    {CL_ASSIGNED, " AND EXISTS (SELECT 1 FROM contact_assignees a "
                  "WHERE a.organization_id = $1 AND a.contact_id = c.id)"},
    /* created by, owned by or assigned to one of $16 */
    {CL_AMONG, " AND (c.user_id = ANY ($16) OR c.created_by = ANY ($16) OR EXISTS (SELECT 1 FROM "
               "contact_assignees a WHERE a.organization_id = $1 AND a.contact_id = c.id "
               "AND a.user_id = ANY ($16)))"},
    /* a SALES_REP's: owned, created or assigned */
    {CL_VISIBLE, " AND (c.user_id = $9 OR c.created_by = $9 OR EXISTS (SELECT 1 FROM "
                 "contact_assignees a WHERE a.organization_id = $1 AND a.contact_id = c.id "
                 "AND a.user_id = $9))"},
    {CL_FROM, " AND c.created_at >= $10"},
    {CL_TO, " AND c.created_at <= $11"},
};

static void cat(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf), m = strlen(s);
    if (n + m >= len)
        abort();   /* the fragments are fixed and the longest variant fits: cannot happen */
    memcpy(buf + n, s, m + 1);
}

static void cat_where(char *buf, size_t len, uint32_t key)
{
    cat(buf, len, " FROM contacts c WHERE c.organization_id = $1");
    uint32_t done = 0;
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        if ((key & filters[i].bit) == filters[i].bit && !(done & filters[i].bit)) {
            cat(buf, len, filters[i].sql);
            done |= filters[i].bit;
        }
    }
}

static void cat_page(char *buf, size_t len, uint32_t key)
{
    cat(buf, len, PG_CONTACT_SELECT_OF("c."));
    cat_where(buf, len, key);
    if (key & CL_AFTER)
        cat(buf, len, " AND (c.created_at, c.id) < ($12, $13)");
    cat(buf, len, " ORDER BY c.created_at DESC, c.id DESC LIMIT $14 OFFSET $15");
}

static void build_list(uint32_t key, char *buf, size_t len)
{
    if (!(key & CL_COUNT)) {
        cat_page(buf, len, key);
        return;
    }
    /* The count ignores the keyset and the page; a LEFT JOIN keeps it when the page is empty. */
    cat(buf, len, "SELECT t.total, p.* FROM (SELECT count(*) AS total");
    cat_where(buf, len, key & ~CL_AFTER);
    cat(buf, len, ") AS t LEFT JOIN LATERAL (");
    cat_page(buf, len, key);
    cat(buf, len, ") AS p ON true");
}

static bool given(const char *s)
{
    return s && *s;
}

/* '%' + s with LIKE's wildcards escaped + '%', in the arena. */
static char *like_pattern(arena *a, const char *s, bool digits_only)
{
    char *p = arena_alloc(a, 2 * strlen(s) + 3), *o = p;
    *o++ = '%';
    for (; *s; s++) {
        if (digits_only) {
            if (*s >= '0' && *s <= '9')
                *o++ = *s;
            continue;
        }
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    if (digits_only && o == p + 1)
        return NULL;   /* no digits at all */
    *o++ = '%';
    *o = '\0';
    return p;
}

static uint32_t criteria(const contact_query *q, const char *digits)
{
    uint32_t key = CL_FAMILY;
    key |= given(q->search) ? CL_SEARCH : 0;
    key |= digits ? CL_DIGITS : 0;
    key |= given(q->status) ? CL_STATUS : 0;
    key |= given(q->stage_id) ? CL_STAGE : 0;
    key |= given(q->pipeline_id) ? CL_PIPELINE : 0;
    key |= given(q->source) ? CL_SOURCE : 0;
    key |= q->owner_mode == CONTACT_OWNER_USER ? CL_OWNER : 0;
    key |= q->owner_mode == CONTACT_OWNER_UNASSIGNED ? CL_UNASSIGNED : 0;
    key |= q->owner_mode == CONTACT_OWNER_ASSIGNED ? CL_ASSIGNED : 0;
    key |= q->owner_mode == CONTACT_OWNER_AMONG ? CL_AMONG : 0;
    key |= given(q->visible_to) ? CL_VISIBLE : 0;
    key |= q->created_from ? CL_FROM : 0;
    key |= q->created_to ? CL_TO : 0;
    key |= q->after ? CL_AFTER : 0;
    return key;
}

static const char *owner_at(const void *arr, size_t i)
{
    return ((const char *const *)arr)[i];
}

static void query_params(pg_params *p, arena *a, const char *org_id, const contact_query *q, const char *search,
                         const char *digits)
{
    pg_p_text(p, org_id);
    pg_p_text(p, search);
    pg_p_text(p, digits);
    pg_p_text(p, given(q->status) ? q->status : NULL);
    pg_p_text(p, given(q->stage_id) ? q->stage_id : NULL);
    pg_p_text(p, given(q->pipeline_id) ? q->pipeline_id : NULL);
    pg_p_text(p, given(q->source) ? q->source : NULL);
    pg_p_text(p, q->owner_id);
    pg_p_text(p, given(q->visible_to) ? q->visible_to : NULL);
    pg_p_int(p, q->created_from);
    pg_p_int(p, q->created_to);
    pg_p_int(p, q->after_created_at);
    pg_p_text(p, q->after ? q->after_id : NULL);
    if (q->limit >= 0)
        pg_p_int(p, q->limit);
    else
        pg_p_text(p, NULL);   /* LIMIT NULL: no limit */
    pg_p_int(p, q->offset > 0 ? q->offset : 0);
    if (q->owner_mode == CONTACT_OWNER_AMONG)
        pg_p_array(p, a, q->owner_ids, q->nowner_ids, owner_at);
    else
        pg_p_text(p, NULL);
}

int pg_contact_list(store_conn *sc, const char *org_id, const contact_query *q, arena *a,
                    crm_contact **out, size_t *n, int64_t *total)
{
    pg_conn *c = pg_of(sc);
    const char *search = given(q->search) ? like_pattern(a, q->search, false) : NULL;
    const char *digits = given(q->search_digits) ? like_pattern(a, q->search_digits, true) : NULL;
    uint32_t key = criteria(q, digits) | (total ? CL_COUNT : 0);
    pg_params p = {0};
    PGresult *r;
    *out = NULL;
    *n = 0;
    query_params(&p, a, org_id, q, search, digits);
    int rc = pg_exec_typed(c, key, "CONTACT_LIST", build_list, &p, param_types, &r);
    if (rc)
        return rc;
    int rows = PQntuples(r), c0 = total ? 1 : 0, count = 0;
    *out = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **out);
    for (int i = 0; i < rows; i++)
        if (!PQgetisnull(r, i, c0))
            pg_contact_read(r, i, c0, a, &(*out)[count++]);
    *n = (size_t)count;
    if (total)
        *total = rows ? pg_col_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

int pg_contact_list_plan(pg_conn *c, const char *org_id, const contact_query *q, bool count, char *out,
                         size_t outlen)
{
    arena *a = arena_new();
    const char *search = given(q->search) ? like_pattern(a, q->search, false) : NULL;
    const char *digits = given(q->search_digits) ? like_pattern(a, q->search_digits, true) : NULL;
    char *sql = arena_alloc(a, 16384);
    pg_params p = {0};
    strcpy(sql, "EXPLAIN ");
    build_list(criteria(q, digits) | (count ? CL_COUNT : 0), sql + 8, 16384 - 8);
    query_params(&p, a, org_id, q, search, digits);
    int rc = pg_plan_text(c, PQexecParams(c->db, sql, p.n, param_types, p.v, NULL, NULL, 0),
                          "EXPLAIN CONTACT_LIST", out, outlen);
    arena_destroy(a);
    return rc;
}
