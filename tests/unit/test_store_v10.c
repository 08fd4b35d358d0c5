/* The storage contract, version 10: contact_list's CONTACT_OWNER_AMONG (creator, owner or
 * assignee is one of the users) and CONTACT_OWNER_ASSIGNED, and bulk jobs (insert with items, get,
 * claim under a lease, items in batches, advance counting only the items still there, purge of
 * finished jobs), and contact_move_many (each contact at its version only). Runs through store_ops only, against SQLite in a fresh temp dir and PostgreSQL
 * when CRMD_TEST_PG_URL names a database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

struct fixture {
    crm_org org;
    crm_pipeline pipeline;
    crm_stage stage;
};

static void new_fixture(store *s, struct fixture *f)
{
    memset(f, 0, sizeof *f);
    objectid_new(f->org.id);
    f->org.name = "Org";
    f->org.timezone = "UTC";
    strcpy(f->org.default_country, "US");
    f->org.created_at = f->org.updated_at = 1700000000000;
    objectid_new(f->pipeline.id);
    strcpy(f->pipeline.org_id, f->org.id);
    f->pipeline.name = "Contacts";
    f->pipeline.type = "Contact";
    f->pipeline.is_default = f->pipeline.is_active = true;
    objectid_new(f->stage.id);
    f->stage.name = "New Lead";
    f->stage.color = "#336699";
    f->stage.is_active = true;
    f->pipeline.stages = &f->stage;
    f->pipeline.nstages = 1;
    f->pipeline.created_at = f->pipeline.updated_at = 1700000000000;
    ok(s->ops->write(s, u_org_insert, &f->org) == 0 && s->ops->write(s, u_pipeline_insert, &f->pipeline) == 0,
       "fixture: org and pipeline");
}

static int64_t clock_ms = 1700000000000;

/* A contact owned by owner, created by creator, assigned to assignee (NULL: nobody). */
static void add_contact(store *s, const struct fixture *f, const char *owner, const char *creator,
                        const char *assignee, crm_contact *ct)
{
    static unsigned n;
    static crm_phone phones[64];
    static objectid assignees[64];
    memset(ct, 0, sizeof *ct);
    objectid_new(ct->id);
    strcpy(ct->org_id, f->org.id);
    strcpy(ct->user_id, owner);
    strcpy(ct->created_by, creator);
    crm_phone *phone = &phones[n % 64];
    snprintf(phone->e164, sizeof phone->e164, "+1212%03u%04u", (unsigned)(getpid() % 1000), ++n);
    phone->is_primary = true;
    ct->phones = phone;
    ct->nphones = 1;
    if (assignee) {
        strcpy(assignees[n % 64], assignee);
        ct->assignees = &assignees[n % 64];
        ct->nassignees = 1;
    }
    ct->status = f->stage.name;
    strcpy(ct->pipeline_id, f->pipeline.id);
    strcpy(ct->stage_id, f->stage.id);
    ct->created_at = ct->updated_at = (clock_ms += 1000);
    ok(s->ops->write(s, u_contact_insert, ct) == 0, "contact inserted");
}

static int64_t count_of(store *s, const char *org_id, const contact_query *q, arena *a)
{
    store_conn *r = s->ops->reader(s);
    crm_contact *rows;
    size_t n;
    int64_t total = -1;
    int rc = r->ops->contact_list(r, org_id, q, a, &rows, &n, &total);
    return rc ? rc : (int64_t)n == total ? total : -1000 - (int64_t)n;
}

static void test_owner_modes(store *s)
{
    struct fixture f;
    arena *a = arena_new();
    objectid u1, u2, u3, u4;
    objectid_new(u4);
    objectid_new(u1);
    objectid_new(u2);
    objectid_new(u3);
    new_fixture(s, &f);
    crm_contact c1, c2, c3, c4;
    add_contact(s, &f, u1, u1, NULL, &c1);   /* owned by u1 */
    add_contact(s, &f, u3, u2, NULL, &c2);   /* created by u2 */
    add_contact(s, &f, u3, u3, u2, &c3);     /* assigned to u2 */
    add_contact(s, &f, u3, u3, NULL, &c4);   /* u3's only */

    const char *one[] = {u1}, *two[] = {u1, u2}, *none[] = {u4};
    contact_query q = {.owner_mode = CONTACT_OWNER_AMONG, .owner_ids = one, .nowner_ids = 1, .limit = 50};
    is_int(count_of(s, f.org.id, &q, a), 1, "AMONG u1: its own");
    q.owner_ids = two;
    q.nowner_ids = 2;
    is_int(count_of(s, f.org.id, &q, a), 3, "AMONG u1, u2: owned, created and assigned");
    q.stage_id = f.stage.id;
    q.search = "zzz-no-such";
    is_int(count_of(s, f.org.id, &q, a), 0, "with other criteria too");
    q.search = NULL;
    q.visible_to = u2;
    is_int(count_of(s, f.org.id, &q, a), 2, "and a SALES_REP's visibility");
    q.visible_to = NULL;
    q.owner_ids = none;
    q.nowner_ids = 1;
    is_int(count_of(s, f.org.id, &q, a), 0, "AMONG a stranger: none");
    contact_query as = {.owner_mode = CONTACT_OWNER_ASSIGNED, .limit = 50};
    is_int(count_of(s, f.org.id, &as, a), 1, "ASSIGNED: the one with an assignee");
    as.owner_mode = CONTACT_OWNER_UNASSIGNED;
    is_int(count_of(s, f.org.id, &as, a), 3, "UNASSIGNED: the others");
    arena_destroy(a);
}

struct job_arg {
    const crm_bulk_job *job;
    const objectid *items;
    size_t n;
    int64_t processed;
};

static int u_job_insert(store_conn *c, void *arg)
{
    struct job_arg *j = arg;
    return c->ops->bulk_job_insert(c, j->job, j->items, j->n);
}

static int u_job_advance(store_conn *c, void *arg)
{
    struct job_arg *j = arg;
    return c->ops->bulk_job_advance(c, j->job, j->items, j->n, &j->processed);
}

struct claim_arg {
    int64_t now, until;
    arena *a;
    crm_bulk_job out;
};

static int u_job_claim(store_conn *c, void *arg)
{
    struct claim_arg *w = arg;
    return c->ops->bulk_job_claim(c, w->now, w->until, w->a, &w->out);
}

struct purge_arg { int64_t before, limit, deleted; };

static int u_job_purge(store_conn *c, void *arg)
{
    struct purge_arg *p = arg;
    return c->ops->bulk_job_purge(c, p->before, p->limit, &p->deleted);
}

static void test_jobs(store *s)
{
    struct fixture f, other;
    arena *a = arena_new();
    new_fixture(s, &f);
    new_fixture(s, &other);
    objectid items[5];
    for (int i = 0; i < 5; i++)
        objectid_new(items[i]);
    crm_bulk_job job = {.kind = "delete", .state = "pending", .total = 5, .created_at = 1000, .updated_at = 1000};
    objectid_new(job.id);
    strcpy(job.org_id, f.org.id);
    objectid_new(job.user_id);
    struct job_arg ins = {&job, items, 5, 0};
    is_int(s->ops->write(s, u_job_insert, &ins), 0, "bulk_job_insert");

    store_conn *r = s->ops->reader(s);
    crm_bulk_job got;
    is_int(r->ops->bulk_job_get(r, f.org.id, job.id, a, &got), 0, "bulk_job_get");
    is_str(got.id, job.id, "id");
    is_str(got.user_id, job.user_id, "user_id");
    is_str(got.kind, "delete", "kind");
    is_str(got.state, "pending", "state");
    is_int(got.total, 5, "total");
    is_int(got.processed, 0, "processed");
    ok(got.error == NULL, "no error");
    is_int(r->ops->bulk_job_get(r, other.org.id, job.id, a, &got), -CRM_E_NOT_FOUND, "another org: NOT_FOUND");

    /* Other pending jobs of the installation may be due too (a shared database): claim until ours. */
    struct claim_arg cl = {.now = 2000, .until = 9000, .a = a};
    bool mine = false;
    for (int i = 0; i < 100 && !mine; i++) {
        if (s->ops->write(s, u_job_claim, &cl) != 0)
            break;
        mine = strcmp(cl.out.id, job.id) == 0;
    }
    ok(mine, "bulk_job_claim takes the due job");
    is_int(cl.out.lease_until, 9000, "with its lease");
    for (int i = 0; i < 100; i++) {
        int rc = s->ops->write(s, u_job_claim, &cl);
        if (rc) {
            is_int(rc, -CRM_E_NOT_FOUND, "none left under the lease: NOT_FOUND");
            break;
        }
        ok(strcmp(cl.out.id, job.id) != 0, "a leased job is not taken again");
    }
    struct claim_arg later = {.now = 9000, .until = 20000, .a = a};
    mine = false;
    for (int i = 0; i < 100 && !mine; i++) {
        if (s->ops->write(s, u_job_claim, &later) != 0)
            break;
        mine = strcmp(later.out.id, job.id) == 0;
    }
    ok(mine, "taken again once the lease ended");

    objectid *batch;
    size_t n;
    is_int(r->ops->bulk_job_items(r, f.org.id, job.id, 3, a, &batch, &n), 0, "bulk_job_items");
    is_int((int64_t)n, 3, "at most limit");
    crm_bulk_job next = job;
    next.lease_until = 30000;
    next.updated_at = 3000;
    objectid twice[4];
    memcpy(twice, batch, 3 * sizeof(objectid));
    objectid_new(twice[3]);   /* not an item: not counted */
    struct job_arg adv = {&next, (const objectid *)twice, 4, 0};
    is_int(s->ops->write(s, u_job_advance, &adv), 0, "bulk_job_advance");
    is_int(adv.processed, 3, "processed counts the items that went");
    adv.n = 3;
    is_int(s->ops->write(s, u_job_advance, &adv), 0, "the same items again");
    is_int(adv.processed, 3, "count nothing twice");
    is_int(r->ops->bulk_job_items(r, f.org.id, job.id, 10, a, &batch, &n), 0, "the rest");
    is_int((int64_t)n, 2, "two left");
    next.state = "completed";
    next.lease_until = 0;
    next.updated_at = 4000;
    struct job_arg fin = {&next, batch, n, 0};
    is_int(s->ops->write(s, u_job_advance, &fin), 0, "the last batch completes it");
    is_int(fin.processed, 5, "all processed");
    is_int(r->ops->bulk_job_get(r, f.org.id, job.id, a, &got), 0, "read back");
    is_str(got.state, "completed", "completed");
    is_int(got.updated_at, 4000, "updated_at");
    crm_bulk_job foreign = next;
    strcpy(foreign.org_id, other.org.id);
    struct job_arg fx = {&foreign, NULL, 0, 0};
    is_int(s->ops->write(s, u_job_advance, &fx), -CRM_E_NOT_FOUND, "advance in another org: NOT_FOUND");

    struct purge_arg p = {4000, 100, 0};
    is_int(s->ops->write(s, u_job_purge, &p), 0, "purge before its update");
    is_int(r->ops->bulk_job_get(r, f.org.id, job.id, a, &got), 0, "kept");
    p.before = 4001;
    is_int(s->ops->write(s, u_job_purge, &p), 0, "purge after it");
    ok(p.deleted >= 1, "deleted");
    is_int(r->ops->bulk_job_get(r, f.org.id, job.id, a, &got), -CRM_E_NOT_FOUND, "gone");
    arena_destroy(a);
}

struct move_arg {
    const char *org_id;
    const crm_contact *cts;
    size_t n;
    const crm_pipeline *p;
    const crm_stage *st;
    bool moved[4];
};

static int u_move_many(store_conn *c, void *arg)
{
    struct move_arg *m = arg;
    return c->ops->contact_move_many(c, m->org_id, m->cts, m->n, m->p->id, m->st->id, m->st->name, 1800000000000,
                                     m->moved);
}

static void test_move_many(store *s)
{
    struct fixture f;
    arena *a = arena_new();
    objectid u;
    objectid_new(u);
    new_fixture(s, &f);
    crm_contact cts[3];
    for (int i = 0; i < 3; i++)
        add_contact(s, &f, u, u, NULL, &cts[i]);
    crm_stage won = {.name = "Won", .color = "#00ff00", .position = 0, .is_active = true};
    crm_pipeline second = f.pipeline;   /* the stage of another pipeline: the pipeline follows */
    objectid_new(second.id);
    objectid_new(won.id);
    second.name = "Second";
    second.is_default = false;
    second.stages = &won;
    ok(s->ops->write(s, u_pipeline_insert, &second) == 0, "a second pipeline");
    crm_contact stale = cts[1];
    stale.version += 1;   /* another writer changed it since */
    crm_contact batch[3] = {cts[0], stale, cts[2]};
    objectid_new(batch[2].id);   /* gone */
    struct move_arg m = {f.org.id, batch, 3, &second, &won, {false}};
    is_int(s->ops->write(s, u_move_many, &m), 0, "contact_move_many");
    ok(m.moved[0] && !m.moved[1] && !m.moved[2], "moves the contact at its version only");
    store_conn *r = s->ops->reader(s);
    crm_contact got;
    is_int(r->ops->contact_get(r, f.org.id, cts[0].id, a, &got), 0, "read back");
    is_str(got.stage_id, won.id, "new stage");
    is_str(got.pipeline_id, second.id, "its pipeline");
    is_str(got.status, "Won", "status");
    is_int(got.version, cts[0].version + 1, "next version");
    is_int(got.updated_at, 1800000000000, "updated_at");
    ok(got.nphones == 1 && strcmp(got.phones[0].e164, cts[0].phones[0].e164) == 0, "its number kept");
    is_int(r->ops->contact_get(r, f.org.id, cts[1].id, a, &got), 0, "the stale one");
    is_str(got.stage_id, f.stage.id, "left alone");
    is_int(got.version, cts[1].version, "at its version");
    struct move_arg other = {"0123456789abcdef01234567", cts, 1, &second, &won, {false}};
    is_int(s->ops->write(s, u_move_many, &other), 0, "in another org");
    ok(!other.moved[0], "moves nothing");
    arena_destroy(a);
}

static void run_contract(const char *url)
{
    char err[512] = "";
    store *s = store_open(url, err, sizeof err);
    ok(s != NULL, "store_open %s", url);
    if (!s) {
        fprintf(stderr, "# %s\n", err);
        return;
    }
    is_int(s->ops->version, STORE_OPS_VERSION, "ops version");
    is_int(s->ops->migrate(s), 0, "migrate");
    test_owner_modes(s);
    test_jobs(s);
    test_move_many(s);
    s->ops->close(s);
}

int main(void)
{
    return run_on_each_backend(run_contract) ? 1 : tap_done();
}
