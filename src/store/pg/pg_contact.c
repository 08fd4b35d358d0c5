/* PostgreSQL store: contacts with their phones, emails and assignees. The phone rows' primary key
 * (organization_id, e164) is what makes a number belong to at most one contact of an org; a
 * contact and its children are written by one statement each way (pg_sql.h), and read by one.
 * Listing and search are in pg_contact_list.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "store/pg/pg_impl.h"

/* Splits a space-separated list in place: the number of words, their starts in words[]. */
static size_t split(char *s, char **words, size_t max)
{
    size_t n = 0;
    while (s && *s && n < max) {
        words[n++] = s;
        char *sp = strchr(s, ' ');
        if (!sp)
            break;
        *sp = '\0';
        s = sp + 1;
    }
    return n;
}

#define LIST_MAX 64   /* more than a contact may hold (20 numbers, 20 emails) */

static void read_phones(const PGresult *r, int row, int col, arena *a, crm_contact *out)
{
    char *words[LIST_MAX], *s = pg_col_str(a, r, row, col);
    size_t n = split(s, words, LIST_MAX), np = 0, ns = 0;
    for (size_t i = 0; i < n; i++)
        words[i][0] == '1' ? ns++ : np++;
    out->phones = arena_alloc(a, (np ? np : 1) * sizeof *out->phones);
    out->secondary = arena_alloc(a, (ns ? ns : 1) * sizeof *out->secondary);
    for (size_t i = 0; i < n; i++) {
        crm_phone *p = words[i][0] == '1' ? &out->secondary[out->nsecondary++] : &out->phones[out->nphones++];
        p->is_primary = words[i][1] == '1';
        snprintf(p->e164, sizeof p->e164, "%s", words[i] + 2);
    }
}

static void read_emails(const PGresult *r, int row, int col, arena *a, crm_contact *out)
{
    char *words[LIST_MAX], *s = pg_col_str(a, r, row, col);
    size_t n = split(s, words, LIST_MAX);
    out->emails = arena_alloc(a, (n ? n : 1) * sizeof *out->emails);
    for (size_t i = 0; i < n; i++) {
        out->emails[i].is_primary = words[i][0] == '1';
        out->emails[i].value = words[i] + 1;
    }
    out->nemails = n;
}

static void read_assignees(const PGresult *r, int row, int col, arena *a, crm_contact *out)
{
    char *words[LIST_MAX], *s = pg_col_str(a, r, row, col);
    size_t n = split(s, words, LIST_MAX);
    out->assignees = arena_alloc(a, (n ? n : 1) * sizeof *out->assignees);
    for (size_t i = 0; i < n; i++)
        snprintf(out->assignees[i], sizeof out->assignees[i], "%s", words[i]);
    out->nassignees = n;
}

/* The next space-terminated word of *s (NULL at the end). */
static char *word(char **s)
{
    char *w = *s, *sp = w ? strchr(w, ' ') : NULL;
    if (!sp)
        return NULL;
    *sp = '\0';
    *s = sp + 1;
    return w;
}

/* PG_CONTACT_COLS_OF's verified numbers and emails: "<type> <value> <at> <by> <n> <n bytes>"... */
static void read_methods(const PGresult *r, int row, int col, arena *a, crm_contact *out)
{
    char *s = pg_col_str(a, r, row, col), *end = s ? s + strlen(s) : NULL;
    size_t cap = 0;
    while (s && s < end) {
        char *type = word(&s), *value = word(&s), *at = word(&s), *by = word(&s), *len = word(&s);
        if (!len)
            break;
        long n = strtol(len, NULL, 10);
        if (n > end - s)
            break;
        if (out->nmethods == cap) {
            crm_method_verification *bigger = arena_alloc(a, (cap = cap ? cap * 2 : 4) * sizeof *bigger);
            if (out->nmethods)
                memcpy(bigger, out->methods, out->nmethods * sizeof *bigger);
            out->methods = bigger;
        }
        crm_method_verification *m = &out->methods[out->nmethods++];
        m->type = strcmp(type, "email") == 0 ? "email" : "phone";
        m->value = value;
        m->v.at = strtoll(at, NULL, 10);
        snprintf(m->v.by, sizeof m->v.by, "%s", by);
        if (n >= 0) {
            m->v.source = arena_alloc(a, (size_t)n + 1);
            memcpy(m->v.source, s, (size_t)n);
            s += n;
        }
    }
}

static void read_verification(const PGresult *r, int row, int col, arena *a, crm_verification *v)
{
    memset(v, 0, sizeof *v);
    if (PQgetisnull(r, row, col))
        return;
    v->at = pg_col_int(r, row, col);
    pg_col_id(r, row, col + 1, v->by);
    v->source = pg_col_str(a, r, row, col + 2);
}

void pg_contact_read(const PGresult *r, int row, int c0, arena *a, crm_contact *out)
{
    memset(out, 0, sizeof *out);
    pg_col_id(r, row, c0 + 0, out->id);
    pg_col_id(r, row, c0 + 1, out->org_id);
    pg_col_id(r, row, c0 + 2, out->user_id);
    pg_col_id(r, row, c0 + 3, out->created_by);
    out->first_name = pg_col_str(a, r, row, c0 + 4);
    out->last_name = pg_col_str(a, r, row, c0 + 5);
    out->status = pg_col_str(a, r, row, c0 + 6);
    out->process = pg_col_str(a, r, row, c0 + 7);
    out->source = pg_col_str(a, r, row, c0 + 8);
    pg_col_id(r, row, c0 + 9, out->pipeline_id);
    pg_col_id(r, row, c0 + 10, out->stage_id);
    out->created_at = pg_col_int(r, row, c0 + 11);
    out->updated_at = pg_col_int(r, row, c0 + 12);
    out->version = pg_col_int(r, row, c0 + 13);
    read_verification(r, row, c0 + 14, a, &out->verified);
    read_phones(r, row, c0 + 17, a, out);
    read_emails(r, row, c0 + 18, a, out);
    read_assignees(r, row, c0 + 19, a, out);
    read_methods(r, row, c0 + 20, a, out);
}

/* The lists of a contact as arrays: every number (phones, then secondary), its flags, the emails
 * and their flags, the assignees. */
static const char *number_at(const void *arr, size_t i)
{
    const crm_contact *ct = arr;
    return i < ct->nphones ? ct->phones[i].e164 : ct->secondary[i - ct->nphones].e164;
}
static int64_t number_secondary(const void *arr, size_t i) { return i >= ((const crm_contact *)arr)->nphones; }
static int64_t number_primary(const void *arr, size_t i)
{
    const crm_contact *ct = arr;
    return i < ct->nphones ? ct->phones[i].is_primary : ct->secondary[i - ct->nphones].is_primary;
}
static const char *email_at(const void *arr, size_t i) { return ((const crm_contact *)arr)->emails[i].value; }
static int64_t email_primary(const void *arr, size_t i) { return ((const crm_contact *)arr)->emails[i].is_primary; }
static const char *assignee_at(const void *arr, size_t i) { return ((const crm_contact *)arr)->assignees[i]; }
static const char *method_type(const void *arr, size_t i) { return ((const crm_contact *)arr)->methods[i].type; }
static const char *method_value(const void *arr, size_t i) { return ((const crm_contact *)arr)->methods[i].value; }
static int64_t method_at(const void *arr, size_t i) { return ((const crm_contact *)arr)->methods[i].v.at; }
static const char *method_by(const void *arr, size_t i) { return ((const crm_contact *)arr)->methods[i].v.by; }
static const char *method_source(const void *arr, size_t i) { return ((const crm_contact *)arr)->methods[i].v.source; }

static void methods_params(pg_params *p, arena *a, const crm_contact *ct)
{
    pg_p_array(p, a, ct, ct->nmethods, method_type);
    pg_p_array(p, a, ct, ct->nmethods, method_value);
    pg_p_ints(p, a, ct, ct->nmethods, method_at);
    pg_p_array(p, a, ct, ct->nmethods, method_by);
    pg_p_array(p, a, ct, ct->nmethods, method_source);
}

/* The contact's own verification: at, by, source (all NULL when not verified). */
static void verification_params(pg_params *p, const crm_verification *v)
{
    if (v->at)
        pg_p_int(p, v->at);
    else
        pg_p_text(p, NULL);
    pg_p_id(p, v->at ? v->by : NULL);
    pg_p_text(p, v->at ? v->source : NULL);
}

static void children_params(pg_params *p, arena *a, const crm_contact *ct)
{
    size_t nnum = ct->nphones + ct->nsecondary;
    pg_p_text(p, ct->org_id);
    pg_p_text(p, ct->id);
    pg_p_array(p, a, ct, nnum, number_at);
    pg_p_bools(p, a, ct, nnum, number_secondary);
    pg_p_bools(p, a, ct, nnum, number_primary);
    pg_p_array(p, a, ct, ct->nemails, email_at);
    pg_p_bools(p, a, ct, ct->nemails, email_primary);
    pg_p_array(p, a, ct, ct->nassignees, assignee_at);
}

/* The copies of the contact's lists that its row keeps for reads (PG_CONTACT_COLS_OF's format:
 * what PG_STORED_LISTS makes of its rows), bound with the row; NULL for an empty list. */
static int by_type_and_value(const void *x, const void *y)
{
    const crm_method_verification *m = *(const crm_method_verification *const *)x;
    const crm_method_verification *n = *(const crm_method_verification *const *)y;
    int d = strcmp(m->type, n->type);
    return d ? d : strcmp(m->value, n->value);
}

static void lists_params(pg_params *p, arena *a, const crm_contact *ct)
{
    size_t nnum = ct->nphones + ct->nsecondary, cap = 1;
    for (size_t i = 0; i < nnum; i++)
        cap += 3 + strlen(number_at(ct, i));
    char *phones = arena_alloc(a, cap), *end = phones;
    for (size_t i = 0; i < nnum; i++)
        end += sprintf(end, "%s%d%d%s", i ? " " : "", (int)number_secondary(ct, i), (int)number_primary(ct, i),
                       number_at(ct, i));
    cap = 1;
    for (size_t i = 0; i < ct->nemails; i++)
        cap += 2 + strlen(ct->emails[i].value);
    char *emails = arena_alloc(a, cap);
    end = emails;
    for (size_t i = 0; i < ct->nemails; i++)
        end += sprintf(end, "%s%d%s", i ? " " : "", ct->emails[i].is_primary ? 1 : 0, ct->emails[i].value);
    char *assignees = arena_alloc(a, ct->nassignees * sizeof ct->assignees[0] + 1);
    end = assignees;
    for (size_t i = 0; i < ct->nassignees; i++)
        end += sprintf(end, "%s%s", i ? " " : "", ct->assignees[i]);
    const crm_method_verification **order = arena_alloc(a, (ct->nmethods + 1) * sizeof *order);
    cap = 1;
    for (size_t i = 0; i < ct->nmethods; i++) {
        const crm_method_verification *m = order[i] = &ct->methods[i];
        cap += strlen(m->type) + strlen(m->value) + strlen(m->v.by) + (m->v.source ? strlen(m->v.source) : 0) + 48;
    }
    qsort(order, ct->nmethods, sizeof *order, by_type_and_value);
    char *methods = arena_alloc(a, cap);
    end = methods;
    for (size_t i = 0; i < ct->nmethods; i++) {
        const crm_method_verification *m = order[i];
        end += sprintf(end, "%s %s %lld %s %d %s", m->type, m->value, (long long)m->v.at, m->v.by,
                       m->v.source ? (int)strlen(m->v.source) : -1, m->v.source ? m->v.source : "");
    }
    pg_p_text(p, *phones ? phones : NULL);
    pg_p_text(p, *emails ? emails : NULL);
    pg_p_text(p, *assignees ? assignees : NULL);
    pg_p_text(p, *methods ? methods : NULL);
}

/* The count of numbers a children insert wrote (column 0): fewer than the contact's means one
 * was taken (ON CONFLICT DO NOTHING keeps the transaction usable for the owner's lookup). */
static int numbers_written(PGresult *r, const crm_contact *ct)
{
    int rc = pg_col_int(r, 0, 0) == (int64_t)(ct->nphones + ct->nsecondary) ? 0 : -CRM_E_PHONE_TAKEN;
    PQclear(r);
    return rc;
}

int pg_contact_insert(store_conn *sc, const crm_contact *ct)
{
    arena *a = arena_new();
    pg_params p = {0};
    children_params(&p, a, ct);
    pg_p_text(&p, ct->user_id);
    pg_p_text(&p, ct->created_by);
    pg_p_text(&p, ct->first_name);
    pg_p_text(&p, ct->last_name);
    pg_p_text(&p, ct->status);
    pg_p_text(&p, ct->process);
    pg_p_text(&p, ct->source);
    pg_p_text(&p, ct->pipeline_id);
    pg_p_text(&p, ct->stage_id);
    pg_p_int(&p, ct->created_at);
    pg_p_int(&p, ct->updated_at);
    pg_p_int(&p, ct->version);
    verification_params(&p, &ct->verified);
    methods_params(&p, a, ct);
    lists_params(&p, a, ct);
    /* Inside a unit it goes with COMMIT (or the unit's next read): nothing in a unit reads the
     * result, and a taken number fails the statement and so the whole unit with PHONE_TAKEN
     * (the service has already named the holder of any number taken before its lock). */
    int rc = pg_exec_later(pg_of(sc), PG_CONTACT_INSERT, &p);
    arena_destroy(a);
    return rc;
}

int pg_contact_get(store_conn *sc, const char *org_id, const char *contact_id, arena *a, crm_contact *out)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, contact_id);
    /* A unit reads a contact to change it: the row stays its own until the unit ends. */
    int rc = pg_exec(c, c->in_unit ? PG_CONTACT_GET_FOR_UPDATE : PG_CONTACT_GET, &p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        pg_contact_read(r, 0, 0, a, out);
    PQclear(r);
    return rc;
}

int pg_contact_widths(store_conn *sc, const char *org_id, int64_t *phones, int64_t *emails)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    int rc = pg_exec(pg_of(sc), PG_CONTACT_WIDTHS, &p, &r);
    if (rc)
        return rc;
    *phones = pg_col_int(r, 0, 0);
    *emails = pg_col_int(r, 0, 1);
    PQclear(r);
    return 0;
}

int pg_phone_owner(store_conn *sc, const char *org_id, const char *e164, objectid owner)
{
    pg_conn *c = pg_of(sc);
    pg_params p = {0};
    PGresult *r;
    int rc = pg_lock(c, PG_LOCK_NUMBER, org_id, e164, NULL);
    if (rc)
        return rc;
    if (c->in_unit && c->number_known && strcmp(c->number_org, org_id) == 0 &&
        strcmp(c->number_e164, e164) == 0) {
        /* Read by the unit's check of this number just before, under its lock (pg_org.c). */
        memcpy(owner, c->number_owner, sizeof(objectid));
        return owner[0] ? 0 : -CRM_E_NOT_FOUND;
    }
    pg_p_text(&p, org_id);
    pg_p_text(&p, e164);
    if ((rc = pg_exec(c, PG_PHONE_OWNER, &p, &r)))
        return rc;
    rc = PQntuples(r) ? 0 : -CRM_E_NOT_FOUND;
    if (rc == 0)
        pg_col_id(r, 0, 0, owner);
    PQclear(r);
    return rc;
}

/* Why an update matched no row: NOT_FOUND, or PRECONDITION_FAILED when the version moved on. */
static int no_match(pg_conn *c, const char *org_id, const char *contact_id)
{
    pg_params p = {0};
    PGresult *r;
    pg_p_text(&p, org_id);
    pg_p_text(&p, contact_id);
    int rc = pg_exec(c, PG_CONTACT_VERSION, &p, &r);
    if (rc)
        return rc;
    rc = PQntuples(r) ? -CRM_E_PRECONDITION_FAILED : -CRM_E_NOT_FOUND;
    PQclear(r);
    return rc;
}

int pg_contact_update(store_conn *sc, const crm_contact *ct, int64_t expected_version)
{
    pg_conn *c = pg_of(sc);
    arena *a = arena_new();
    pg_params p = {0}, q = {0};
    PGresult *r;
    pg_p_text(&p, ct->org_id);
    pg_p_text(&p, ct->id);
    pg_p_array(&p, a, ct, ct->nphones + ct->nsecondary, number_at);
    pg_p_array(&p, a, ct, ct->nemails, email_at);
    pg_p_text(&p, ct->user_id);
    pg_p_text(&p, ct->created_by);
    pg_p_text(&p, ct->first_name);
    pg_p_text(&p, ct->last_name);
    pg_p_text(&p, ct->status);
    pg_p_text(&p, ct->process);
    pg_p_text(&p, ct->source);
    pg_p_text(&p, ct->pipeline_id);
    pg_p_text(&p, ct->stage_id);
    pg_p_int(&p, ct->updated_at);
    pg_p_int(&p, ct->version);
    pg_p_int(&p, expected_version);
    verification_params(&p, &ct->verified);
    lists_params(&p, a, ct);
    int rc = pg_exec(c, PG_CONTACT_UPDATE, &p, &r);
    if (rc)
        goto done;
    int64_t changed = pg_col_int(r, 0, 0);
    PQclear(r);
    if (!changed) {
        rc = no_match(c, ct->org_id, ct->id);
        goto done;
    }
    int64_t gone = pg_run2(c, PG_CONTACT_CHILDREN_DELETE, ct->org_id, ct->id);
    if (gone < 0) {
        rc = (int)gone;
        goto done;
    }
    children_params(&q, a, ct);
    methods_params(&q, a, ct);
    if ((rc = pg_exec(c, PG_CONTACT_CHILDREN_INSERT, &q, &r)) == 0)
        rc = numbers_written(r, ct);
done:
    arena_destroy(a);
    return rc;
}

int pg_contact_delete(store_conn *sc, const char *org_id, const char *contact_id)
{
    pg_conn *c = pg_of(sc);
    int64_t n = pg_run2(c, PG_CONTACT_LOCK, org_id, contact_id);
    if (n > 0)
        n = pg_run2(c, PG_CONTACT_DELETE, org_id, contact_id);
    return n < 0 ? (int)n : n ? 0 : -CRM_E_NOT_FOUND;
}

/* Listing a pipeline's contacts to move them: under the exclusive pipeline lock, so that no unit
 * puts a contact there until this one ends (pg.c). */
int pg_contact_ids_in(store_conn *sc, const char *org_id, const char *pipeline_id, const char *stage_id,
                      arena *a, objectid **ids, size_t *n)
{
    pg_conn *c = pg_of(sc);
    bool by_stage = stage_id && *stage_id;
    pg_params p = {0};
    PGresult *r;
    int rc = pg_lock(c, PG_LOCK_PIPELINES, org_id, NULL, NULL);
    *ids = NULL;
    *n = 0;
    if (rc)
        return rc;
    pg_p_text(&p, org_id);
    pg_p_text(&p, by_stage ? stage_id : pipeline_id);
    if ((rc = pg_exec(c, by_stage ? PG_CONTACT_IDS_IN_STAGE : PG_CONTACT_IDS_IN_PIPELINE, &p, &r)))
        return rc;
    int rows = PQntuples(r);
    *ids = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof **ids);
    for (int i = 0; i < rows; i++)
        pg_col_id(r, i, 0, (*ids)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}
