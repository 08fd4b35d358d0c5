/* CSV export: RFC 4180 (comma, CRLF, quotes doubled), UTF-8 without a BOM. Columns: _id,
 * firstName, lastName, phone1..phoneN (primary first, secondary numbers last), email1..emailN
 * (primary first), status, pipeline, stage (names), source, process, assignees (their emails,
 * ";"-separated), createdAt, updatedAt. N is the most any contact of the organization has. A
 * cell a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading '. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/timefmt.h"
#include "lib/xalloc.h"
#include "service/contact_export.h"

#define PAGE 500

struct contact_export {
    crm_app *app;
    crm_user me;                 /* the caller, copied: the query points at its id */
    arena *keep;                 /* the query's strings, the names: the export's life */
    arena *page;                 /* one page of contacts, reset for the next */
    contact_query q;
    contact_query *more;         /* Tether's export: the queries after q, run in turn */
    size_t nmore;
    bool tether;
    crm_pipeline *pipelines;
    size_t npipelines;
    crm_user *users;             /* the organization's, by id */
    size_t nusers;
    int64_t nphones, nemails;
    char *out;                   /* rendered CSV not yet read: out[pos..len) */
    size_t len, pos, cap;
    bool done;
    int64_t rows;
};

static void put(contact_export *x, const char *s, size_t n)
{
    if (x->len + n > x->cap) {
        x->cap = (x->len + n) * 2;
        x->out = xrealloc(x->out, x->cap);
    }
    memcpy(x->out + x->len, s, n);
    x->len += n;
}

static void put_str(contact_export *x, const char *s)
{
    put(x, s, strlen(s));
}

/* One cell, then the separator: sep is ',' or '\n' (which ends the record with CRLF). */
static void cell(contact_export *x, const char *s, char sep)
{
    if (s && *s) {
        bool formula = strchr("=+-@\t\r", s[0]) != NULL;
        bool quote = strpbrk(s, ",\"\r\n") != NULL;
        if (quote)
            put(x, "\"", 1);
        if (formula)
            put(x, "'", 1);
        for (const char *p = s; *p;) {   /* quotes doubled (there are none unless quoted) */
            size_t n = strcspn(p, "\"");
            put(x, p, n);
            p += n;
            if (*p == '"') {
                put(x, "\"\"", 2);
                p++;
            }
        }
        if (quote)
            put(x, "\"", 1);
    }
    put_str(x, sep == '\n' ? "\r\n" : ",");
}

static void header(contact_export *x)
{
    char name[32];
    put_str(x, "_id,firstName,lastName,");
    for (int64_t i = 1; i <= x->nphones; i++) {
        snprintf(name, sizeof name, "phone%lld,", (long long)i);
        put_str(x, name);
    }
    for (int64_t i = 1; i <= x->nemails; i++) {
        snprintf(name, sizeof name, "email%lld,", (long long)i);
        put_str(x, name);
    }
    put_str(x, "status,pipeline,stage,source,process,assignees,createdAt,updatedAt\r\n");
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const crm_user *)a)->id, ((const crm_user *)b)->id);
}

static const char *user_email(const contact_export *x, const char *id)
{
    crm_user key;
    memcpy(key.id, id, sizeof key.id);
    const crm_user *u = bsearch(&key, x->users, x->nusers, sizeof *x->users, by_id);
    return u ? u->email : id;
}

static void names(const contact_export *x, const crm_contact *ct, const char **pipeline, const char **stage)
{
    *pipeline = *stage = NULL;
    for (size_t i = 0; i < x->npipelines; i++) {
        const crm_pipeline *p = &x->pipelines[i];
        if (strcmp(p->id, ct->pipeline_id) != 0)
            continue;
        *pipeline = p->name;
        for (size_t k = 0; k < p->nstages; k++)
            if (strcmp(p->stages[k].id, ct->stage_id) == 0)
                *stage = p->stages[k].name;
    }
}

static const char *primary_email(const crm_contact *ct)
{
    for (size_t i = 0; i < ct->nemails; i++)
        if (ct->emails[i].is_primary)
            return ct->emails[i].value;
    return NULL;
}

static void tether_row(contact_export *x, const crm_contact *ct)
{
    const char *pipeline, *stage, *phone = NULL;
    for (size_t i = 0; i < ct->nphones; i++)
        if (ct->phones[i].is_primary)
            phone = ct->phones[i].e164;
    names(x, ct, &pipeline, &stage);
    char iso[TIMEFMT_ISO_LEN + 1];
    time_iso8601(ct->created_at, iso);
    cell(x, ct->first_name, ',');
    cell(x, ct->last_name, ',');
    cell(x, phone, ',');
    cell(x, primary_email(ct), ',');
    cell(x, pipeline, ',');
    cell(x, stage ? stage : ct->status, ',');
    cell(x, iso, '\n');
}

static void row(contact_export *x, const crm_contact *ct)
{
    if (x->tether) {
        tether_row(x, ct);
        return;
    }
    cell(x, ct->id, ',');
    cell(x, ct->first_name, ',');
    cell(x, ct->last_name, ',');
    /* Numbers: the primary, the other phoneNumber entries, the secondary ones. */
    int64_t n = 0;
    for (int pass = 0; pass < 3; pass++) {
        const crm_phone *list = pass < 2 ? ct->phones : ct->secondary;
        size_t count = pass < 2 ? ct->nphones : ct->nsecondary;
        for (size_t i = 0; i < count; i++)
            if (pass == 2 || list[i].is_primary == (pass == 0))
                cell(x, list[i].e164, ','), n++;
    }
    for (; n < x->nphones; n++)
        cell(x, NULL, ',');
    n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ct->nemails; i++)
            if (ct->emails[i].is_primary == (pass == 0))
                cell(x, ct->emails[i].value, ','), n++;
    for (; n < x->nemails; n++)
        cell(x, NULL, ',');
    const char *pipeline, *stage;
    names(x, ct, &pipeline, &stage);
    cell(x, ct->status, ',');
    cell(x, pipeline, ',');
    cell(x, stage, ',');
    cell(x, ct->source, ',');
    cell(x, ct->process, ',');
    char *assignees = arena_strdup(x->page, "");
    for (size_t i = 0; i < ct->nassignees; i++)
        assignees = arena_printf(x->page, "%s%s%s", assignees, i ? ";" : "", user_email(x, ct->assignees[i]));
    cell(x, assignees, ',');
    char iso[TIMEFMT_ISO_LEN + 1];
    time_iso8601(ct->created_at, iso);
    cell(x, iso, ',');
    time_iso8601(ct->updated_at, iso);
    cell(x, iso, '\n');
}

/* Renders the next page; at the end of the contacts sets done. */
static int next_page(contact_export *x)
{
    store_conn *c = x->app->st->ops->reader(x->app->st);
    if (!c)
        return -1;
    crm_contact *rows = NULL;
    size_t n = 0;
    arena_reset(x->page);
    if (c->ops->contact_list(c, x->me.org_id, &x->q, x->page, &rows, &n, NULL) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        row(x, &rows[i]);
    x->rows += (int64_t)n;
    if (n < PAGE && x->nmore) {
        x->q = *x->more++;
        x->nmore--;
    } else if (n < PAGE) {
        x->done = true;
    } else {
        x->q.after = true;
        x->q.after_created_at = rows[n - 1].created_at;
        memcpy(x->q.after_id, rows[n - 1].id, sizeof x->q.after_id);
    }
    return 0;
}

long contact_export_read(contact_export *x, char *buf, size_t max)
{
    if (x->pos == x->len) {
        x->pos = x->len = 0;
        while (x->len == 0 && !x->done)
            if (next_page(x) != 0)
                return -1;
        if (x->len == 0)
            return 0;
    }
    size_t n = x->len - x->pos < max ? x->len - x->pos : max;
    memcpy(buf, x->out + x->pos, n);
    x->pos += n;
    return (long)n;
}

int64_t contact_export_rows(const contact_export *x)
{
    return x->rows;
}

void contact_export_close(contact_export *x)
{
    if (!x)
        return;
    arena_destroy(x->keep);
    arena_destroy(x->page);
    free(x->out);
    free(x);
}

static const char *keep_str(contact_export *x, const char *s)
{
    return arena_strdup(x->keep, s);
}

static contact_export *export_new(crm_app *app, const crm_user *me)
{
    contact_export *x = xcalloc(1, sizeof *x);
    x->app = app;
    x->me = *me;
    x->keep = arena_new();
    x->page = arena_new();
    return x;
}

/* The names of the pipelines, stages and users, and the widths of the columns. */
static int load_names(contact_export *x, crm_err *err)
{
    store_conn *c;
    int rc = app_reader(x->app, &c, err);
    if (rc == 0 && ((rc = c->ops->contact_widths(c, x->me.org_id, &x->nphones, &x->nemails)) ||
                    (rc = c->ops->pipeline_list(c, x->me.org_id, NULL, x->keep, &x->pipelines, &x->npipelines)) ||
                    (rc = c->ops->user_list(c, x->me.org_id, x->keep, &x->users, &x->nusers))))
        rc = crm_fail(err, -rc, NULL, NULL);
    if (rc)
        return rc;
    qsort(x->users, x->nusers, sizeof *x->users, by_id);
    if (x->nphones < 1)
        x->nphones = 1;
    if (x->nemails < 1)
        x->nemails = 1;
    return 0;
}

int contact_export_open_tether(crm_app *app, const crm_user *me, const contact_query *qs, size_t nq,
                               contact_export **out, crm_err *err)
{
    contact_export *x = export_new(app, me);
    x->tether = true;
    x->more = arena_alloc(x->keep, (nq + 1) * sizeof *x->more);
    for (size_t i = 0; i < nq; i++) {
        contact_query *q = &x->more[i];
        *q = qs[i];
        q->search = keep_str(x, q->search);
        q->search_digits = keep_str(x, q->search_digits);
        q->stage_id = keep_str(x, q->stage_id);
        q->source = keep_str(x, q->source);
        q->visible_to = q->visible_to ? x->me.id : NULL;
        q->offset = 0;
        q->limit = PAGE;
        q->after = false;
    }
    x->q = x->more[0];
    x->more++;
    x->nmore = nq ? nq - 1 : 0;
    int rc = load_names(x, err);
    if (rc) {
        contact_export_close(x);
        return rc;
    }
    put_str(x, "First Name,Last Name,Phone,Email,Pipeline,Stage,Created Date\r\n");
    *out = x;
    return 0;
}

int contact_export_open(crm_app *app, const crm_user *me, const contact_list_input *in, contact_export **out,
                        crm_err *err)
{
    contact_export *x = export_new(app, me);
    contact_list_input mine = {
        .page = 1, .size = PAGE, .search = keep_str(x, in->search), .status = keep_str(x, in->status),
        .stage_id = keep_str(x, in->stage_id), .pipeline_id = keep_str(x, in->pipeline_id),
        .source = keep_str(x, in->source), .owner_filter = keep_str(x, in->owner_filter),
        .created_from = in->created_from, .created_to = in->created_to,
    };
    int rc = contact_list_query(&x->me, &mine, x->keep, &x->q, err);
    if (rc == 0)
        rc = load_names(x, err);
    if (rc) {
        contact_export_close(x);
        return rc;
    }
    header(x);
    *out = x;
    return 0;
}
