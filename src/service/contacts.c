/* Contact creation and reads. Normalization happens before the unit of work; everything that
 * depends on other records (pipeline, assignees, number ownership) is decided inside it. */
#include <stdio.h>
#include <string.h>
#include "service/account_cache.h"
#include "service/contacts.h"
#include "service/contact_rules.h"
#include "service/event_logs.h"
#include "service/render_text.h"
#include "lib/timefmt.h"

struct create_work {
    const crm_user *me;
    const contact_input *in;
    crm_contact *ct;
    arena *a;
    crm_err *err;
    int status;     /* the reply: 201 and the contact, or a replayed one */
    char *body;
    char *contact;  /* the contact's JSON text, printed once for its event and the reply */
};

/* 1: a reply for this key exists and is now in w (replay); 0: the key is new; <0: error. */
static int idempotency_replay(store_conn *c, struct create_work *w)
{
    const contact_input *in = w->in;
    char *hash;
    if (!in->idempotency_key)
        return 0;
    int rc = c->ops->idempotency_get(c, w->ct->org_id, w->me->id, in->idempotency_key,
                                     w->ct->created_at - IDEMPOTENCY_TTL_MS, w->a, &hash, &w->status, &w->body);
    if (rc == -CRM_E_NOT_FOUND)
        return 0;
    if (rc)
        return rc;
    if (strcmp(hash, in->request_hash) != 0)
        return crm_fail(w->err, CRM_E_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key",
                        "This Idempotency-Key was used with another body");
    return 1;
}

static int create_unit(store_conn *c, void *arg)
{
    struct create_work *w = arg;
    crm_contact *ct = w->ct;
    /* A unit may run again (PostgreSQL retries a deadlock): each run reads, and so locks, the
     * contact's pipeline, which a run before may have written into ct. */
    ct->pipeline_id[0] = '\0';
    int rc = idempotency_replay(c, w);
    if (rc)
        return rc < 0 ? rc : 0;
    if ((rc = contact_apply_stage(c, w->in, w->a, ct, w->err)) || (rc = contact_check_refs(c, ct, w->a, w->err)))
        return rc;
    if (w->in->dry_run)
        return w->in->unit_hook ? w->in->unit_hook(c, ct, true, w->in->hook_arg) : 0;
    if ((rc = c->ops->contact_insert(c, ct)) == -CRM_E_PHONE_TAKEN)
        return crm_fail(w->err, CRM_E_PHONE_TAKEN, "phoneNumber", "A number already belongs to another contact");
    if (rc)
        return rc;
    w->contact = render_text_contact_alone(ct, w->a);
    if ((rc = event_log_record_contact(c, w->me, ct, "CONTACT_CREATE", NULL, "contact_created", w->in->log_source,
                                       w->contact)))
        return rc;
    if (w->in->unit_hook && (rc = w->in->unit_hook(c, ct, true, w->in->hook_arg)))
        return rc;
    w->status = 201;
    if (!w->in->idempotency_key)
        return 0;   /* the reply is put together after the commit, off the writer thread */
    w->body = render_text_contact_created(w->contact, w->a);
    return c->ops->idempotency_put(c, ct->org_id, w->me->id, w->in->idempotency_key, w->in->request_hash,
                                   w->status, w->body, ct->created_at);
}

int contact_create_prepare(crm_app *app, const crm_user *me, const contact_input *in, arena *a, crm_contact **out,
                           crm_err *err)
{
    store_conn *c;
    crm_org org;
    crm_contact *ct = arena_alloc(a, sizeof *ct);
    int rc;

    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = account_cache_org(app, c, me->org_id, a, &org)))
        return crm_fail(err, -rc == CRM_E_NOT_FOUND ? CRM_E_UNAUTHORIZED : -rc, NULL, NULL);
    if (!(in->given & CK_PHONES))
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "phoneNumber", "phoneNumber is required");
    if ((rc = contact_apply_input(in, org.default_country, me, a, ct, err)))
        return rc;
    objectid_new(ct->id);
    memcpy(ct->org_id, me->org_id, sizeof ct->org_id);
    memcpy(ct->user_id, me->id, sizeof ct->user_id);
    memcpy(ct->created_by, me->id, sizeof ct->created_by);
    ct->created_at = ct->updated_at = time_now_ms();
    *out = ct;
    return 0;
}

int contact_create_in_unit(store_conn *c, const crm_user *me, const contact_input *in, crm_contact *ct, arena *a,
                           crm_err *err)
{
    struct create_work w = { me, in, ct, a, err, 0, NULL, NULL };
    return create_unit(c, &w);
}

int contact_create(crm_app *app, const crm_user *me, const contact_input *in, arena *a,
                   int *status, char **body, crm_err *err)
{
    crm_contact *ct;
    int rc;
    if ((rc = contact_create_prepare(app, me, in, a, &ct, err)))
        return rc;
    struct create_work w = { me, in, ct, a, err, 0, NULL, NULL };
    if ((rc = app_write(app, create_unit, &w, err)))
        return rc;
    *status = w.status;
    if (!(*body = w.body))
        *body = render_text_contact_created(w.contact ? w.contact : render_text_contact_alone(ct, a), a);
    return 0;
}

bool contact_visible_to(const crm_contact *ct, const crm_user *me)
{
    if (strcmp(ct->org_id, me->org_id) != 0)
        return false;
    if (me->role != ROLE_SALES_REP)
        return true;
    if (strcmp(ct->user_id, me->id) == 0 || strcmp(ct->created_by, me->id) == 0)
        return true;
    for (size_t i = 0; i < ct->nassignees; i++)
        if (strcmp(ct->assignees[i], me->id) == 0)
            return true;
    return false;
}

int contact_read(crm_app *app, const crm_user *me, const char *contact_id, arena *a,
                 crm_contact *out, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    rc = c->ops->contact_get(c, me->org_id, contact_id, a, out);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && !contact_visible_to(out, me)))
        return crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such contact");
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

void contact_etag(const crm_contact *ct, char out[48])
{
    snprintf(out, 48, "\"%s.%lld\"", ct->id, (long long)ct->version);
}
