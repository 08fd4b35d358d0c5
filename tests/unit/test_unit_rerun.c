/* A unit of work that runs again starts from its inputs: PostgreSQL's store runs a unit a second
 * time after a deadlock or a serialization failure (store/pg/pg.c), with the same arguments. A
 * create's first run writes the pipeline it resolved into the contact; its second run must still
 * read, and on PostgreSQL lock, that pipeline, as every create does: a pipeline is deleted under
 * the same lock once no contact is in it. Here on SQLite: a first run rolled back, then the run
 * again. */
#include <string.h>

#include "lib/errors.h"
#include "service/contacts.h"
#include "service/orgs.h"
#include "service/users.h"
#include "tap.h"
#include "temp_app.h"

struct rerun {
    const crm_user *me;
    const contact_input *in;
    crm_contact *ct;
    arena *a;
    crm_err err;
    int rc;
};

static const store_ops *real_ops;
static int pipeline_reads;

static int count_default(store_conn *c, const char *org_id, const char *type, arena *a, crm_pipeline *out)
{
    pipeline_reads++;
    return real_ops->pipeline_get_default(c, org_id, type, a, out);
}

static int count_get(store_conn *c, const char *org_id, const char *pipeline_id, arena *a, crm_pipeline *out)
{
    pipeline_reads++;
    return real_ops->pipeline_get(c, org_id, pipeline_id, a, out);
}

/* The create, with the store's pipeline reads counted. */
static int create_counted(store_conn *c, struct rerun *r)
{
    store_ops counting = *c->ops;
    real_ops = c->ops;
    counting.pipeline_get_default = count_default;
    counting.pipeline_get = count_get;
    c->ops = &counting;
    r->rc = contact_create_in_unit(c, r->me, r->in, r->ct, r->a, &r->err);
    c->ops = real_ops;
    return r->rc;
}

/* The first run: the create's work, then a failure that rolls the unit back. */
static int run_then_fail(store_conn *c, void *arg)
{
    create_counted(c, arg);
    return -CRM_E_VALIDATION_FAILED;
}

static int run(store_conn *c, void *arg)
{
    return create_counted(c, arg);
}

int main(void)
{
    temp_app t;
    temp_app_open(&t);
    arena *a = arena_new();
    crm_err err = {0};
    crm_user admin;
    crm_org org;
    temp_app_org(&t, "rerun", a, &org, &admin);

    contact_value_input phone = {.value = "(212) 555-0142", .is_primary = -1, .field = "phoneNumber[0].value"};
    contact_input in = {.given = CK_PHONES, .phones = &phone, .nphones = 1};
    crm_contact *ct = NULL;
    is_int(contact_create_prepare(&t.app, &admin, &in, a, &ct, &err), 0, "the create is prepared");
    struct rerun r = {.me = &admin, .in = &in, .ct = ct, .a = a};

    pipeline_reads = 0;
    is_int(t.app.st->ops->write(t.app.st, run_then_fail, &r), -CRM_E_VALIDATION_FAILED, "the first run fails after its work");
    is_int(r.rc, 0, "its create had succeeded");
    is_int(pipeline_reads, 1, "the first run read the default pipeline");
    ok(ct->pipeline_id[0] != '\0', "and wrote it into the contact");
    char first_stage[32];
    strcpy(first_stage, ct->stage_id);

    pipeline_reads = 0;
    is_int(t.app.st->ops->write(t.app.st, run, &r), 0, "the unit runs again");
    is_int(r.rc, 0, "the create succeeds");
    is_int(pipeline_reads, 1, "the second run read (and locked) the pipeline again");
    is_str(ct->stage_id, first_stage, "on the same first stage");

    crm_contact got;
    store_conn *c = t.app.st->ops->reader(t.app.st);
    ok(c && c->ops->contact_get(c, org.id, ct->id, a, &got) == 0, "the contact is stored");
    is_str(got.stage_id, first_stage, "with that stage");
    is_str(got.phones[0].e164, "+12125550142", "and its number");

    arena_destroy(a);
    ok(temp_app_close(&t), "the temp dir is removed");
    return tap_done();
}
