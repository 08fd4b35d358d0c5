/* CSV imports: reading the file into rows, storing the job, and reading it back (imports.h).
 * The rows are stored as POST /api/contact bodies; a row that repeats a number of an earlier
 * row of the file is marked as coming after it (after_row), so that the worker can run every
 * other row at once and these in file order, after the rows they depend on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/csv.h"
#include "lib/objectid.h"
#include "lib/phone.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include "service/account_cache.h"
#include "service/import_columns.h"
#include "service/imports.h"
#include "service/render.h"

/* ---- the numbers of the file, for the rows that repeat an earlier row's ---- */

typedef struct number_slot {
    char e164[PHONE_E164_MAX];
    int64_t row;   /* the last row holding it; 0: empty slot */
} number_slot;

typedef struct number_map {
    number_slot *slots;
    size_t cap, n;
} number_map;

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static number_slot *number_find(number_map *m, const char *e164)
{
    size_t i = hash_text(e164) & (m->cap - 1);
    while (m->slots[i].row && strcmp(m->slots[i].e164, e164) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

/* The row that held e164 before (0: none); row holds it from now on. */
static int64_t number_take(number_map *m, const char *e164, int64_t row)
{
    if (2 * (m->n + 1) > m->cap) {
        number_map bigger = { xcalloc(m->cap ? 2 * m->cap : 1024, sizeof(number_slot)), m->cap ? 2 * m->cap : 1024, 0 };
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].row) {
                *number_find(&bigger, m->slots[i].e164) = m->slots[i];
                bigger.n++;
            }
        free(m->slots);
        *m = bigger;
    }
    number_slot *s = number_find(m, e164);
    int64_t before = s->row;
    if (!before) {
        memcpy(s->e164, e164, sizeof s->e164);
        m->n++;
    }
    s->row = row;
    return before;
}

/* ---- reading the file ---- */

struct reading {
    const import_options *opt;
    const char *region;
    import_field *fields;      /* by column */
    size_t ncols;
    number_map numbers;
    crm_import_row *rows;
    size_t nrows, cap;
};

static int file_error(crm_err *err, const char *fmt, const char *detail)
{
    return crm_fail(err, CRM_E_VALIDATION_FAILED, "file", fmt, detail);
}

/* mapping: {"<header>": "<field>" | null | ""}; a header is matched exactly, else folded. */
static int apply_mapping(struct reading *rd, const csv_record *header, crm_err *err)
{
    json_error_t jerr;
    json_t *m = json_loads(rd->opt->mapping, JSON_REJECT_DUPLICATES, &jerr), *v;
    const char *key;
    int rc = 0;
    if (!json_is_object(m)) {
        rc = crm_fail(err, CRM_E_VALIDATION_FAILED, "mapping", "mapping must be a JSON object: CSV header → field");
        goto done;
    }
    json_object_foreach(m, key, v) {
        int f = json_is_null(v) ? IMPORT_IGNORED : json_is_string(v) ? import_field_by_name(json_string_value(v)) : -1;
        bool found = false;
        char want[128], have[128];
        if (f < 0) {
            rc = crm_fail(err, CRM_E_VALIDATION_FAILED, "mapping", "mapping[\"%.60s\"] names no contact field", key);
            goto done;
        }
        import_header_fold(key, want, sizeof want);
        for (size_t i = 0; i < header->n; i++) {
            import_header_fold(header->fields[i], have, sizeof have);
            if (strcmp(header->fields[i], key) == 0 || (*want && strcmp(have, want) == 0)) {
                rd->fields[i] = (import_field)f;
                found = true;
            }
        }
        if (!found) {
            rc = crm_fail(err, CRM_E_VALIDATION_FAILED, "mapping", "mapping names \"%.60s\", which is no column of the file",
                          key);
            goto done;
        }
    }
done:
    json_decref(m);
    return rc;
}

static int read_header(struct reading *rd, csv_reader *r, arena *a, crm_err *err)
{
    csv_record header;
    char why[160];
    int rc = csv_next(r, a, &header, why, sizeof why);
    if (rc < 0)
        return file_error(err, "The file is not CSV: %s", why);
    if (rc == 0)
        return file_error(err, "The file is empty%s", "");
    rd->ncols = header.n;
    rd->fields = arena_alloc(a, header.n * sizeof *rd->fields);
    for (size_t i = 0; i < header.n; i++)
        rd->fields[i] = import_field_of_header(header.fields[i]);
    if (rd->opt->mapping && (rc = apply_mapping(rd, &header, err)))
        return rc;
    for (size_t i = 0; i < header.n; i++)
        if (rd->fields[i] == IMPORT_PHONE)
            return 0;
    return file_error(err, "The header row names no phone column (such as Phone, Phone Number or Mobile)%s; "
                           "name one, or say which it is with mapping", "");
}

/* One data record → the row's body and its place after an earlier row with one of its numbers. */
static void read_row(struct reading *rd, const csv_record *rec, int64_t row, arena *a)
{
    json_t *body = json_object();
    int64_t after = 0;
    for (size_t i = 0; i < rec->n && i < rd->ncols; i++) {
        const char *key = import_field_key(rd->fields[i]);
        char *cell = str_trim(rec->fields[i]);
        if (!key || !*cell)
            continue;
        if (cell[0] == '\'' && cell[1] && strchr("=+-@\t", cell[1]))
            cell++;   /* a cell an export neutralized against formulas reads as it was */
        if (rd->fields[i] == IMPORT_PHONE || rd->fields[i] == IMPORT_EMAIL) {
            json_t *list = json_object_get(body, key);
            if (!list)
                json_object_set_new(body, key, list = json_array());
            json_array_append_new(list, json_string(cell));
            char e164[PHONE_E164_MAX];
            if (rd->fields[i] == IMPORT_PHONE && phone_normalize(cell, rd->region, e164) == PHONE_OK) {
                int64_t before = number_take(&rd->numbers, e164, row);
                if (before > after && before != row)
                    after = before;
            }
        } else if (!json_object_get(body, key)) {
            json_object_set_new(body, key, json_string(cell));   /* the first such column that has a value */
        }
    }
    if (json_object_size(body)) {
        if (rd->nrows == rd->cap) {
            size_t cap = rd->cap ? 2 * rd->cap : 256;
            crm_import_row *bigger = arena_alloc(a, cap * sizeof *bigger);
            if (rd->nrows)
                memcpy(bigger, rd->rows, rd->nrows * sizeof *bigger);
            rd->rows = bigger;
            rd->cap = cap;
        }
        crm_import_row *r = &rd->rows[rd->nrows++];
        r->row = row;
        r->after_row = after;
        r->input_json = json_dumps_arena(body, a);
    }
    json_decref(body);
}

/* Whether the file has more data records than an import takes, found by reading its records
 * alone: a file over the limit is refused before the cost of normalizing its numbers (200,000
 * of them took the refusal past a client's patience under ASan). A malformed file stops the
 * count; read_file reports it. */
static bool too_many_rows(const char *csv, size_t len)
{
    csv_reader *r = csv_open(csv, len, 0);
    arena *record = arena_new();
    csv_record rec;
    char why[160];
    int64_t n = -1;   /* the header is not a row */
    while (n <= IMPORT_MAX_ROWS && (arena_reset(record), csv_next(r, record, &rec, why, sizeof why)) == 1)
        n++;
    csv_close(r);
    arena_destroy(record);
    return n > IMPORT_MAX_ROWS;
}

static int read_file(struct reading *rd, const char *csv, size_t len, arena *a, crm_err *err)
{
    if (too_many_rows(csv, len))
        return crm_fail(err, CRM_E_PAYLOAD_TOO_LARGE, "file", "The file has more than %d rows", IMPORT_MAX_ROWS);
    csv_reader *r = csv_open(csv, len, 0);
    arena *record = arena_new();   /* the fields of one record at a time */
    csv_record rec;
    char why[160];
    int64_t row = 1;
    int rc = read_header(rd, r, a, err);
    while (rc == 0 && (arena_reset(record), rc = csv_next(r, record, &rec, why, sizeof why)) == 1) {
        read_row(rd, &rec, ++row, a);
        rc = 0;
    }
    if (rc < 0 && !err->code)
        rc = file_error(err, "The file is not CSV: %s", why);
    csv_close(r);
    arena_destroy(record);
    free(rd->numbers.slots);
    return rc < 0 ? rc : 0;
}

/* ---- the job ---- */

struct start_work {
    crm_import *imp;
    const crm_import_row *rows;
    size_t n;
};

static int start_unit(store_conn *c, void *arg)
{
    struct start_work *w = arg;
    int rc = c->ops->import_insert(c, w->imp);
    return rc ? rc : c->ops->import_rows_insert(c, w->imp->org_id, w->imp->id, w->rows, w->n);
}

int import_start(crm_app *app, const crm_user *me, const import_options *opt, const char *csv, size_t len, arena *a,
                 crm_import *out, crm_err *err)
{
    store_conn *c;
    crm_org org;
    struct reading rd = { .opt = opt };
    const char *dup = opt->on_duplicate ? opt->on_duplicate : "skip";
    int rc;

    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if (strcmp(dup, "skip") != 0 && strcmp(dup, "update") != 0 && strcmp(dup, "error") != 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "onDuplicate", "onDuplicate must be skip, update or error");
    if (len > IMPORT_MAX_BYTES)
        return crm_fail(err, CRM_E_PAYLOAD_TOO_LARGE, "file", "The file is larger than %zu MiB", IMPORT_MAX_BYTES >> 20);
    if ((rc = account_cache_org(app, c, me->org_id, a, &org)))
        return crm_fail(err, -rc == CRM_E_NOT_FOUND ? CRM_E_UNAUTHORIZED : -rc, NULL, NULL);
    rd.region = org.default_country;
    if ((rc = read_file(&rd, csv, len, a, err)))
        return rc;

    memset(out, 0, sizeof *out);
    objectid_new(out->id);
    memcpy(out->org_id, me->org_id, sizeof out->org_id);
    memcpy(out->user_id, me->id, sizeof out->user_id);
    out->state = "running";
    out->on_duplicate = (char *)dup;
    out->dry_run = opt->dry_run;
    out->file_name = opt->file_name ? arena_strdup(a, opt->file_name) : NULL;
    out->total = (int64_t)rd.nrows;
    out->created_at = time_now_ms();
    struct start_work w = { out, rd.rows, rd.nrows };
    return app_write(app, start_unit, &w, err);
}

/* ---- reads ---- */

static int visible_import(crm_app *app, const crm_user *me, const char *import_id, arena *a, crm_import *out,
                          crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    rc = c->ops->import_get(c, me->org_id, import_id, a, out);
    /* Seen by its creator and by the roles that see every contact of the organization (whom its
     * import_progress events reach too); a SALES_REP sees only its own. */
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && me->role == ROLE_SALES_REP && strcmp(out->user_id, me->id) != 0))
        return crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such import");
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

int import_read(crm_app *app, const crm_user *me, const char *import_id, arena *a, crm_import *out, crm_err *err)
{
    return visible_import(app, me, import_id, a, out, err);
}

int import_rows(crm_app *app, const crm_user *me, const char *import_id, const char *status, int64_t page,
                int64_t limit, arena *a, crm_import_row **out, size_t *n, int64_t *total, crm_err *err)
{
    static const char *const statuses[] = { "created", "updated", "skipped", "failed" };
    store_conn *c;
    crm_import imp;
    bool known = !status;
    int rc;
    for (size_t i = 0; i < 4 && !known; i++)
        known = strcmp(status, statuses[i]) == 0;
    if (!known)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "status", "status must be created, updated, skipped or failed");
    if ((rc = visible_import(app, me, import_id, a, &imp, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    rc = c->ops->import_rows_list(c, me->org_id, import_id, status, (page - 1) * limit, limit, a, out, n, total);
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

int import_caller(crm_app *app, const char *org_id, const char *email, arena *a, crm_user *out, crm_err *err)
{
    store_conn *c;
    char lower[256];
    size_t n = 0;
    int rc = app_reader(app, &c, err);
    if (rc)
        return rc;
    for (; email[n] && n + 1 < sizeof lower; n++)
        lower[n] = (char)(email[n] >= 'A' && email[n] <= 'Z' ? email[n] + 32 : email[n]);
    lower[n] = '\0';
    rc = c->ops->user_get_by_email(c, lower, a, out);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && (out->login_disabled || strcmp(out->org_id, org_id) != 0)))
        return crm_fail(err, CRM_E_NOT_FOUND, "user", "No user of the organization %s has the email %s", org_id, email);
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

json_t *render_import(const crm_import *imp)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:o, s:o, s:o, s:o}",
                     "_id", imp->id, "organizationId", imp->org_id, "userId", imp->user_id, "state", imp->state,
                     "total", (json_int_t)imp->total, "processed", (json_int_t)imp->processed,
                     "created", (json_int_t)imp->created, "updated", (json_int_t)imp->updated,
                     "skipped", (json_int_t)imp->skipped, "failed", (json_int_t)imp->failed,
                     "dryRun", imp->dry_run, "onDuplicate", imp->on_duplicate,
                     "fileName", json_str_or_null(imp->file_name), "error", json_str_or_null(imp->error),
                     "createdAt", json_time(imp->created_at),
                     "finishedAt", imp->finished_at ? json_time(imp->finished_at) : json_null());
}

json_t *render_import_row(const crm_import_row *r)
{
    json_t *j = json_pack("{s:I, s:s}", "row", (json_int_t)r->row, "status", r->status ? r->status : "pending");
    if (r->contact_id[0])
        json_object_set_new(j, "contactId", json_string(r->contact_id));
    const char *keys[] = { "error", "field", "value", "message" };
    const char *vals[] = { r->error, r->field, r->value, r->message };
    for (size_t i = 0; i < 4; i++)
        if (vals[i])
            json_object_set_new(j, keys[i], json_string(vals[i]));
    return j;
}
