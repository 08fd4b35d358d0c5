/* store_copy: the tables of an installation, as both backends store them, and the copy of all of
 * them from one store to another. What a backend derives from these rows (SQLite's search index
 * and access lists, PostgreSQL's search columns) is not copied but rebuilt on the target. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/copy.h"

#define T(n) {n, STORE_COL_TEXT}
#define I(n) {n, STORE_COL_INT}
#define B(n) {n, STORE_COL_BOOL}
#define TABLE(name, key, cols) {name, key, cols, sizeof cols / sizeof cols[0]}

static const store_column meta[] = {T("key"), T("value")};
static const store_column organizations[] = {
    T("id"), T("name"), T("phone_number"), T("address"), T("timezone"), T("default_country"),
    I("created_at"), I("updated_at"),
};
static const store_column users[] = {
    T("id"), T("organization_id"), T("email"), T("full_name"), T("password_hash"), T("phone_number"),
    T("designation"), T("sinch_phone_number"), T("role"), B("login_disabled"), I("token_version"),
    T("api_key_hash"), I("created_at"), I("updated_at"),
};
static const store_column org_phone_numbers[] = {
    T("organization_id"), T("e164"), T("provider"), T("target_user_id"), B("is_default"),
    B("is_inbound_enabled"), I("created_at"),
};
static const store_column pipelines[] = {
    T("organization_id"), T("id"), T("name"), T("description"), T("type"), B("is_default"),
    B("is_active"), T("created_by"), T("updated_by"), I("created_at"), I("updated_at"),
};
static const store_column pipeline_stages[] = {
    T("organization_id"), T("id"), T("pipeline_id"), T("name"), T("color"), I("position"), B("is_active"),
};
static const store_column contacts[] = {
    T("organization_id"), T("id"), T("user_id"), T("created_by"), T("first_name"), T("last_name"),
    T("status"), T("process"), T("source"), T("pipeline_id"), T("stage_id"), I("created_at"),
    I("updated_at"), I("version"), I("verified_at"), T("verified_by"), T("verification_source"),
};
static const store_column contact_phones[] = {
    T("organization_id"), T("e164"), T("contact_id"), B("is_secondary"), B("is_primary"), I("position"),
};
static const store_column contact_emails[] = {
    T("organization_id"), T("contact_id"), I("position"), T("value"), B("is_primary"),
};
static const store_column contact_assignees[] = {
    T("organization_id"), T("contact_id"), I("position"), T("user_id"),
};
static const store_column contact_method_verifications[] = {
    T("organization_id"), T("contact_id"), T("type"), T("value"), I("verified_at"), T("verified_by"),
    T("verification_source"),
};
static const store_column contact_notes[] = {
    T("organization_id"), T("id"), T("contact_id"), T("user_id"), T("note"), T("mentions"), T("attachments"),
    I("created_at"), I("updated_at"),
};
static const store_column event_logs[] = {
    T("organization_id"), T("id"), T("user_id"), T("contact_id"), T("type"), T("source"), T("changes"),
    I("created_at"),
};
static const store_column events[] = {
    I("seq"), T("organization_id"), T("name"), T("payload"), I("created_at"),
};
static const store_column idempotency_keys[] = {
    T("organization_id"), T("user_id"), T("key"), T("request_hash"), I("status"), T("body"), I("created_at"),
};
static const store_column webhooks[] = {
    T("organization_id"), T("id"), T("url"), T("secret"), T("created_by"), I("created_at"),
};
static const store_column webhook_events[] = {
    T("organization_id"), T("webhook_id"), I("position"), T("event"),
};
static const store_column webhook_deliveries[] = {
    T("organization_id"), T("id"), T("webhook_id"), I("event_seq"), T("event_name"), T("payload"),
    T("state"), I("attempts"), I("last_status"), T("last_error"), I("next_attempt_at"), I("created_at"),
    I("updated_at"),
};
static const store_column imports[] = {
    T("organization_id"), T("id"), T("user_id"), T("state"), T("on_duplicate"), B("dry_run"), T("file_name"),
    T("error"), I("total"), I("created_at"), I("finished_at"), I("lease_until"),
};
static const store_column import_rows[] = {
    T("organization_id"), T("import_id"), I("row"), I("after_row"), T("input"), T("status"), T("contact_id"),
    T("error"), T("field"), T("value"), T("message"),
};

static const store_column bulk_jobs[] = {
    T("organization_id"), T("id"), T("user_id"), T("kind"), T("state"), I("total"), I("processed"), T("error"),
    I("lease_until"), I("created_at"), I("updated_at"),
};
static const store_column bulk_job_items[] = {
    T("organization_id"), T("job_id"), T("contact_id"),
};

/* Parents before children, so that every foreign key holds at each insert. */
static const store_table tables[] = {
    TABLE("meta", "key", meta),
    TABLE("organizations", "id", organizations),
    TABLE("users", "id", users),
    TABLE("org_phone_numbers", "organization_id, e164", org_phone_numbers),
    TABLE("pipelines", "organization_id, id", pipelines),
    TABLE("pipeline_stages", "organization_id, id", pipeline_stages),
    TABLE("contacts", "organization_id, id", contacts),
    TABLE("contact_phones", "organization_id, e164", contact_phones),
    TABLE("contact_emails", "organization_id, contact_id, position", contact_emails),
    TABLE("contact_assignees", "organization_id, contact_id, position", contact_assignees),
    TABLE("contact_method_verifications", "organization_id, contact_id, type, value", contact_method_verifications),
    TABLE("contact_notes", "organization_id, id", contact_notes),
    TABLE("event_logs", "organization_id, id", event_logs),
    TABLE("events", "seq", events),
    TABLE("idempotency_keys", "organization_id, user_id, key", idempotency_keys),
    TABLE("webhooks", "organization_id, id", webhooks),
    TABLE("webhook_events", "organization_id, webhook_id, position", webhook_events),
    TABLE("webhook_deliveries", "organization_id, id", webhook_deliveries),
    TABLE("bulk_jobs", "organization_id, id", bulk_jobs),
    TABLE("bulk_job_items", "organization_id, job_id, contact_id", bulk_job_items),
    TABLE("imports", "organization_id, id", imports),
    TABLE("import_rows", "organization_id, import_id, row", import_rows),
};
#define NTABLES (sizeof tables / sizeof tables[0])
_Static_assert(NTABLES <= STORE_COPY_TABLES, "store_copy_report holds every table");

const store_table *store_copy_tables(size_t *n)
{
    *n = NTABLES;
    return tables;
}

typedef struct load {
    store *from;
    store_conn *to;
    size_t table;                /* the table being loaded, NTABLES before the first row */
} load;

static int on_row(void *ctx, size_t table, const char *const *values)
{
    load *l = ctx;
    int rc;
    if (table != l->table) {
        if (l->table < NTABLES && (rc = l->to->ops->load_end(l->to, &tables[l->table], true)))
            return rc;
        l->table = NTABLES;
        if ((rc = l->to->ops->load_begin(l->to, &tables[table])))
            return rc;
        l->table = table;
    }
    return l->to->ops->load_row(l->to, &tables[table], values);
}

/* The unit of work on the target: the source's snapshot, row by row, then the derived data. */
static int copy_unit(store_conn *to, void *arg)
{
    load *l = arg;
    store_conn *from = l->from->ops->reader(l->from);
    if (!from)
        return -CRM_E_UNAVAILABLE;
    l->to = to;
    l->table = NTABLES;
    int rc = from->ops->dump(from, tables, NTABLES, on_row, l);
    if (l->table < NTABLES) {
        int end = to->ops->load_end(to, &tables[l->table], rc == 0);
        rc = rc ? rc : end;
    }
    return rc ? rc : to->ops->rebuild_derived(to);
}

static int count_all(store *s, const char *side, int64_t *n, char *err, size_t errlen)
{
    store_conn *c = s->ops->reader(s);
    for (size_t i = 0; i < NTABLES; i++) {
        if (!c || c->ops->count_rows(c, &tables[i], &n[i]) != 0) {
            snprintf(err, errlen, "cannot count the rows of %s in the %s database", tables[i].name, side);
            return -1;
        }
    }
    return 0;
}

int store_copy(store *from, store *to, store_copy_report *report, char *err, size_t errlen)
{
    int64_t before[NTABLES], source[NTABLES];
    memset(report, 0, sizeof *report);
    if (from->ops->migrate(from) != 0 || to->ops->migrate(to) != 0) {
        snprintf(err, errlen, "cannot bring both databases to the latest schema");
        return -1;
    }
    if (count_all(to, "target", before, err, errlen))
        return -1;
    for (size_t i = 0; i < NTABLES; i++) {
        if (before[i]) {
            snprintf(err, errlen, "the target database is not empty (%s holds %lld rows): migrate copies "
                     "into an empty database only", tables[i].name, (long long)before[i]);
            return -1;
        }
    }
    /* PostgreSQL numbers committed events lazily: reading the last number numbers them all. */
    int64_t last_seq;
    store_conn *r = from->ops->reader(from);
    if (!r || r->ops->event_last_seq(r, &last_seq) != 0) {
        snprintf(err, errlen, "cannot read the source database");
        return -1;
    }
    load l = {.from = from};
    if (to->ops->write(to, copy_unit, &l) != 0) {
        snprintf(err, errlen, "the copy failed and was rolled back; the target database is unchanged");
        return -1;
    }
    int64_t target[NTABLES];
    if (count_all(from, "source", source, err, errlen) || count_all(to, "target", target, err, errlen))
        return -1;
    for (size_t i = 0; i < NTABLES; i++)
        report->counts[report->n++] = (store_copy_count){tables[i].name, source[i], target[i]};
    for (size_t i = 0; i < NTABLES; i++) {
        if (source[i] != target[i]) {
            snprintf(err, errlen, "%s: %lld rows in the source but %lld in the target (did a server write "
                     "to the source during the copy?)", tables[i].name, (long long)source[i], (long long)target[i]);
            return -1;
        }
    }
    return 0;
}
