/* Listing contacts (filters, search, offset and keyset paging) and finding one by number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "service/account_cache.h"
#include "service/contact_cursor.h"
#include "service/contacts.h"

/* A search made only of digits and phone punctuation, with at least 3 digits, is a number. */
static const char *phone_digits(const char *search, arena *a)
{
    size_t digits = 0, len = strlen(search);
    char *out = arena_alloc(a, len + 1);
    for (const char *p = search; *p; p++) {
        if (*p >= '0' && *p <= '9')
            out[digits++] = *p;
        else if (!strchr(" ()+-./", *p))
            return NULL;
    }
    return digits >= 3 ? out : NULL;
}

int contact_owner_filter(const crm_user *me, const char *filter, contact_query *q, crm_err *err)
{
    if (!filter || strcmp(filter, "my") == 0) {
        q->owner_mode = CONTACT_OWNER_USER;
        q->owner_id = me->id;
    } else if (strcmp(filter, "all") == 0) {
        q->owner_mode = CONTACT_OWNER_ANY;
    } else if (strcmp(filter, "unassigned") == 0) {
        q->owner_mode = CONTACT_OWNER_UNASSIGNED;
    } else if (objectid_valid(filter)) {
        q->owner_mode = CONTACT_OWNER_USER;
        q->owner_id = filter;
    } else {
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "ownerFilter",
                        "ownerFilter must be my, all, unassigned or a user id");
    }
    return 0;
}

int contact_list_query(const crm_user *me, const contact_list_input *in, arena *a, contact_query *q,
                       crm_err *err)
{
    *q = (contact_query){
        .status = in->status, .stage_id = in->stage_id, .pipeline_id = in->pipeline_id, .source = in->source,
        .created_from = in->created_from, .created_to = in->created_to,
        .offset = (in->page - 1) * in->size, .limit = in->size,
    };
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = contact_owner_filter(me, in->owner_filter, q, err)))
        return rc;
    if (in->after) {
        if (!contact_cursor_decode(in->after, q))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, "after", "after must be a nextCursor value");
        q->offset = 0;
    }
    if (in->search && *in->search) {
        /* A number-like search also matches names and emails ("555" finds john555@...). */
        q->search = in->search;
        q->search_digits = phone_digits(in->search, a);
    }
    if (me->role == ROLE_SALES_REP)
        q->visible_to = me->id;
    return 0;
}

int contact_list(crm_app *app, const crm_user *me, const contact_list_input *in, arena *a,
                 crm_contact **out, size_t *n, int64_t *total, char **next_cursor, crm_err *err)
{
    contact_query q;
    store_conn *c;
    int rc;
    if ((rc = contact_list_query(me, in, a, &q, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->contact_list(c, me->org_id, &q, a, out, n, total)))
        return crm_fail(err, -rc, NULL, NULL);
    *next_cursor = *n == (size_t)in->size && *n ? contact_cursor_encode(&(*out)[*n - 1], a) : NULL;
    return 0;
}

int contact_find_by_phone(crm_app *app, const crm_user *me, const char *phone, arena *a,
                          crm_contact *out, crm_err *err)
{
    store_conn *c;
    crm_org org;
    char e164[PHONE_E164_MAX];
    objectid owner;
    int rc;

    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = account_cache_org(app, c, me->org_id, a, &org)))
        return crm_fail(err, -rc, NULL, NULL);
    enum phone_result r = phone_normalize(phone, org.default_country, e164);
    if (r != PHONE_OK)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber: %s", phone_result_message(r));
    rc = c->ops->phone_owner(c, me->org_id, e164, owner);
    if (rc == -CRM_E_NOT_FOUND)
        return crm_fail(err, CRM_E_NOT_FOUND, "phoneNumber", "No contact has this number");
    if (rc)
        return crm_fail(err, -rc, NULL, NULL);
    return contact_read(app, me, owner, a, out, err);
}
