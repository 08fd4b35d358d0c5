/* SQLite store: contacts with their phones, emails and assignees. The phone rows' primary key
 * (organization_id, e164) is what makes a number belong to at most one contact of an org.
 * Listing and search are in sqlite_contact_list.c. */
#include <string.h>

#include "lib/errors.h"
#include "store/sqlite/sqlite_impl.h"

static int insert_phones(sq_conn *c, const crm_contact *ct, const crm_phone *phones, size_t n,
                         bool secondary)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_PHONE_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        sq_bind_text(st, 1, ct->org_id);
        sq_bind_text(st, 2, phones[i].e164);
        sq_bind_text(st, 3, ct->id);
        sqlite3_bind_int(st, 4, secondary);
        sqlite3_bind_int(st, 5, phones[i].is_primary);
        sqlite3_bind_int64(st, 6, (int64_t)i);
        int rc = sq_step(c, SQ_CONTACT_PHONE_INSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The caller's unit of work rolls everything back when this fails half-way (e.g. on the second
 * phone): a contact is never left without the numbers it was created with. */
int sq_contact_insert(store_conn *sc, const crm_contact *ct)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_INSERT);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, ct->id);
    sq_bind_text(st, 2, ct->org_id);
    sq_bind_text(st, 3, ct->user_id);
    sq_bind_text(st, 4, ct->created_by);
    sq_bind_text(st, 5, ct->first_name);
    sq_bind_text(st, 6, ct->last_name);
    sq_bind_text(st, 7, ct->status);
    sq_bind_text(st, 8, ct->process);
    sq_bind_text(st, 9, ct->source);
    sq_bind_text(st, 10, ct->pipeline_id);
    sq_bind_text(st, 11, ct->stage_id);
    sqlite3_bind_int64(st, 12, ct->created_at);
    sqlite3_bind_int64(st, 13, ct->updated_at);
    sqlite3_bind_int64(st, 14, ct->version);
    sq_bind_verification(st, 15, &ct->verified);
    int rc = sq_step(c, SQ_CONTACT_INSERT);
    sq_done(st);
    if (rc < 0)
        return rc;
    if ((rc = sq_contact_insert_children(c, ct)))
        return rc;
    return sq_contact_index_sync(c, ct->org_id, ct->id);
}

/* Also used by contact_update (sqlite_contact_write.c) after it deleted the old rows. */
int sq_contact_insert_children(sq_conn *c, const crm_contact *ct)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = insert_phones(c, ct, ct->phones, ct->nphones, false)) ||
        (rc = insert_phones(c, ct, ct->secondary, ct->nsecondary, true)))
        return rc;

    if (ct->nemails && !(st = sq_stmt(c, SQ_CONTACT_EMAIL_INSERT)))
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < ct->nemails; i++) {
        sq_bind_text(st, 1, ct->org_id);
        sq_bind_text(st, 2, ct->id);
        sqlite3_bind_int64(st, 3, (int64_t)i);
        sq_bind_text(st, 4, ct->emails[i].value);
        sqlite3_bind_int(st, 5, ct->emails[i].is_primary);
        rc = sq_step(c, SQ_CONTACT_EMAIL_INSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
    }

    if (ct->nmethods && !(st = sq_stmt(c, SQ_CONTACT_METHOD_INSERT)))
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < ct->nmethods; i++) {
        sq_bind_text(st, 1, ct->org_id);
        sq_bind_text(st, 2, ct->id);
        sq_bind_text(st, 3, ct->methods[i].type);
        sq_bind_text(st, 4, ct->methods[i].value);
        sq_bind_verification(st, 5, &ct->methods[i].v);
        rc = sq_step(c, SQ_CONTACT_METHOD_INSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
    }

    if (ct->nassignees && !(st = sq_stmt(c, SQ_CONTACT_ASSIGNEE_INSERT)))
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < ct->nassignees; i++) {
        sq_bind_text(st, 1, ct->org_id);
        sq_bind_text(st, 2, ct->id);
        sqlite3_bind_int64(st, 3, (int64_t)i);
        sq_bind_text(st, 4, ct->assignees[i]);
        rc = sq_step(c, SQ_CONTACT_ASSIGNEE_INSERT);
        sq_done(st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int load_phones(sq_conn *c, arena *a, crm_contact *ct)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_PHONE_LIST);
    size_t cap = 0, cap2 = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, ct->org_id);
    sq_bind_text(st, 2, ct->id);
    int rc;
    while ((rc = sq_step(c, SQ_CONTACT_PHONE_LIST)) == 1) {
        crm_phone *p;
        if (sqlite3_column_int(st, 1)) {
            ct->secondary = sq_grow(a, ct->secondary, &cap2, ct->nsecondary, sizeof *p);
            p = &ct->secondary[ct->nsecondary++];
        } else {
            ct->phones = sq_grow(a, ct->phones, &cap, ct->nphones, sizeof *p);
            p = &ct->phones[ct->nphones++];
        }
        sq_col_copy(st, 0, p->e164, sizeof p->e164);
        p->is_primary = sqlite3_column_int(st, 2) != 0;
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

static int load_emails(sq_conn *c, arena *a, crm_contact *ct)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_EMAIL_LIST);
    size_t cap = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, ct->org_id);
    sq_bind_text(st, 2, ct->id);
    int rc;
    while ((rc = sq_step(c, SQ_CONTACT_EMAIL_LIST)) == 1) {
        ct->emails = sq_grow(a, ct->emails, &cap, ct->nemails, sizeof *ct->emails);
        crm_email *e = &ct->emails[ct->nemails++];
        e->value = sq_col_str(a, st, 0);
        e->is_primary = sqlite3_column_int(st, 1) != 0;
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

static int load_assignees(sq_conn *c, arena *a, crm_contact *ct)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_ASSIGNEE_LIST);
    size_t cap = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, ct->org_id);
    sq_bind_text(st, 2, ct->id);
    int rc;
    while ((rc = sq_step(c, SQ_CONTACT_ASSIGNEE_LIST)) == 1) {
        ct->assignees = sq_grow(a, ct->assignees, &cap, ct->nassignees, sizeof *ct->assignees);
        sq_col_id(st, 0, ct->assignees[ct->nassignees++]);
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

static int load_methods(sq_conn *c, arena *a, crm_contact *ct)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_METHOD_LIST);
    size_t cap = 0;
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, ct->org_id);
    sq_bind_text(st, 2, ct->id);
    int rc;
    while ((rc = sq_step(c, SQ_CONTACT_METHOD_LIST)) == 1) {
        ct->methods = sq_grow(a, ct->methods, &cap, ct->nmethods, sizeof *ct->methods);
        crm_method_verification *m = &ct->methods[ct->nmethods++];
        char *type = sq_col_str(a, st, 0);
        m->type = type && strcmp(type, "email") == 0 ? "email" : "phone";
        m->value = sq_col_str(a, st, 1);
        sq_col_verification(a, st, 2, &m->v);
    }
    sq_done(st);
    return rc < 0 ? rc : 0;
}

void sq_bind_verification(sqlite3_stmt *st, int i, const crm_verification *v)
{
    if (v->at) {
        sqlite3_bind_int64(st, i, v->at);
        sq_bind_id(st, i + 1, v->by);
        sq_bind_text(st, i + 2, v->source);
    } else {
        sqlite3_bind_null(st, i);
        sqlite3_bind_null(st, i + 1);
        sqlite3_bind_null(st, i + 2);
    }
}

void sq_col_verification(arena *a, sqlite3_stmt *st, int i, crm_verification *v)
{
    memset(v, 0, sizeof *v);
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return;
    v->at = sqlite3_column_int64(st, i);
    sq_col_id(st, i + 1, v->by);
    v->source = sq_col_str(a, st, i + 2);
}

void sq_contact_read(sqlite3_stmt *st, arena *a, crm_contact *out)
{
    memset(out, 0, sizeof *out);
    sq_col_id(st, 0, out->id);
    sq_col_id(st, 1, out->org_id);
    sq_col_id(st, 2, out->user_id);
    sq_col_id(st, 3, out->created_by);
    out->first_name = sq_col_str(a, st, 4);
    out->last_name = sq_col_str(a, st, 5);
    out->status = sq_col_str(a, st, 6);
    out->process = sq_col_str(a, st, 7);
    out->source = sq_col_str(a, st, 8);
    sq_col_id(st, 9, out->pipeline_id);
    sq_col_id(st, 10, out->stage_id);
    out->created_at = sqlite3_column_int64(st, 11);
    out->updated_at = sqlite3_column_int64(st, 12);
    out->version = sqlite3_column_int64(st, 13);
    sq_col_verification(a, st, 14, &out->verified);
}

int sq_contact_load_lists(sq_conn *c, arena *a, crm_contact *ct)
{
    int rc;
    if (!(rc = load_phones(c, a, ct)) && !(rc = load_emails(c, a, ct)) && !(rc = load_assignees(c, a, ct)))
        rc = load_methods(c, a, ct);
    return rc;
}

static int get_contact(sq_conn *c, const char *org_id, const char *contact_id, arena *a,
                       crm_contact *out)
{
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_GET);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, contact_id);
    int rc = sq_step(c, SQ_CONTACT_GET);
    if (rc == 1) {
        sq_contact_read(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc ? rc : sq_contact_load_lists(c, a, out);
}

int sq_contact_get(store_conn *sc, const char *org_id, const char *contact_id, arena *a,
                   crm_contact *out)
{
    sq_conn *c = sq_of(sc);
    int rc = sq_read_begin(c);
    if (rc)
        return rc;
    rc = get_contact(c, org_id, contact_id, a, out);
    sq_read_end(c);
    return rc;
}

int sq_contact_widths(store_conn *sc, const char *org_id, int64_t *phones, int64_t *emails)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_CONTACT_WIDTHS);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    int rc = sq_step(c, SQ_CONTACT_WIDTHS);
    if (rc == 1) {
        *phones = sqlite3_column_int64(st, 0);
        *emails = sqlite3_column_int64(st, 1);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_UNAVAILABLE;
    }
    sq_done(st);
    return rc;
}

int sq_phone_owner(store_conn *sc, const char *org_id, const char *e164, objectid owner)
{
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, SQ_PHONE_OWNER);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, e164);
    int rc = sq_step(c, SQ_PHONE_OWNER);
    if (rc == 1) {
        sq_col_id(st, 0, owner);
        rc = 0;
    } else if (rc == 0) {
        rc = -CRM_E_NOT_FOUND;
    }
    sq_done(st);
    return rc;
}
