/* The storage contract, versions 3 to 5: contact and pipeline writes, the durable event stream read
 * back with its commit hook, webhooks and their deliveries. Runs through store_ops only, against
 * SQLite in a fresh temp dir (and PostgreSQL when CRMD_TEST_PG_URL names a database); every
 * record has a fresh id. Kept apart from test_store.c, which covers versions 1 and 2. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/sqlite/sqlite.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

#define NSTAGES 3

/* Units of work. */

static int u_pipeline_update(store_conn *c, void *arg) { return c->ops->pipeline_update(c, arg); }
static int u_webhook_insert(store_conn *c, void *arg) { return c->ops->webhook_insert(c, arg); }
static int u_delivery_insert(store_conn *c, void *arg) { return c->ops->delivery_insert(c, arg); }
static int u_delivery_update(store_conn *c, void *arg) { return c->ops->delivery_update(c, arg); }
static int u_nothing(store_conn *c, void *arg) { (void)c; (void)arg; return 0; }

static int u_pipeline_delete(store_conn *c, void *arg)
{
    struct pair_arg *p = arg;
    return c->ops->pipeline_delete(c, p->org_id, p->id);
}
static int u_webhook_delete(store_conn *c, void *arg)
{
    struct pair_arg *p = arg;
    return c->ops->webhook_delete(c, p->org_id, p->id);
}

static int u_event_append_then_fail(store_conn *c, void *arg)
{
    int rc = u_event_append(c, arg);
    return rc ? rc : -CRM_E_VALIDATION_FAILED;
}

/* Fixtures. */

static void new_org(store *s, crm_org *o)
{
    memset(o, 0, sizeof *o);
    objectid_new(o->id);
    o->name = "Org";
    o->timezone = "UTC";
    strcpy(o->default_country, "US");
    o->created_at = o->updated_at = 1700000000000;
    if (s->ops->write(s, u_org_insert, o) != 0)
        fprintf(stderr, "# fixture: org insert failed\n");
}

static int new_pipeline(store *s, crm_pipeline *p, crm_stage st[NSTAGES], const char *org_id, const char *name,
                        bool is_default)
{
    static const char *const names[NSTAGES] = {"New Lead", "Contacted", "Won"};
    memset(p, 0, sizeof *p);
    objectid_new(p->id);
    strcpy(p->org_id, org_id);
    p->name = (char *)name;
    p->type = "Contact";
    p->is_default = is_default;
    p->is_active = true;
    for (int i = 0; i < NSTAGES; i++) {
        memset(&st[i], 0, sizeof st[i]);
        objectid_new(st[i].id);
        st[i].name = (char *)names[i];
        st[i].color = "#336699";
        st[i].position = i;
        st[i].is_active = true;
    }
    p->stages = st;
    p->nstages = NSTAGES;
    p->created_at = p->updated_at = 1700000000000;
    return s->ops->write(s, u_pipeline_insert, p);
}

static int64_t contact_clock = 1700000000000;

static void new_contact(crm_contact *ct, const char *org_id, const crm_pipeline *p, int stage, const char *owner,
                        crm_phone *phones, size_t nphones)
{
    memset(ct, 0, sizeof *ct);
    objectid_new(ct->id);
    strcpy(ct->org_id, org_id);
    strcpy(ct->user_id, owner);
    strcpy(ct->created_by, owner);
    ct->phones = phones;
    ct->nphones = nphones;
    ct->status = p->stages[stage].name;
    strcpy(ct->pipeline_id, p->id);
    strcpy(ct->stage_id, p->stages[stage].id);
    ct->created_at = ct->updated_at = (contact_clock += 1000);
}

/* A number no other test run uses. */
static void fresh_phone(crm_phone *ph, bool primary)
{
    static unsigned n;
    snprintf(ph->e164, sizeof ph->e164, "+1212%03u%04u", (unsigned)(getpid() % 1000), ++n);
    ph->is_primary = primary;
}


/* The contacts of a search (names or emails), in the org. */
static int64_t search_count(store_conn *r, const char *org_id, const char *text)
{
    contact_query q = {.search = text, .limit = 50};
    crm_contact *out;
    size_t n;
    int64_t total = -1;
    arena *a = arena_new();
    if (r->ops->contact_list(r, org_id, &q, a, &out, &n, &total) != 0)
        total = -1;
    arena_destroy(a);
    return total;
}

static int64_t owned_count(store_conn *r, const char *org_id, const char *user_id)
{
    contact_query q = {.owner_mode = CONTACT_OWNER_USER, .owner_id = user_id, .limit = 50};
    crm_contact *out;
    size_t n;
    int64_t total = -1;
    arena *a = arena_new();
    if (r->ops->contact_list(r, org_id, &q, a, &out, &n, &total) != 0)
        total = -1;
    arena_destroy(a);
    return total;
}

/* The durable event stream and the commit hook. */

static atomic_int hook_calls;
static void count_hook(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&hook_calls, 1);
}

static void test_events(store *s)
{
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_org o1, o2;
    crm_event *ev;
    size_t n;
    int64_t first, last;
    new_org(s, &o1);
    new_org(s, &o2);

    is_int(r->ops->event_last_seq(r, &first), 0, "event_last_seq");
    struct append_arg e[4] = {
        {o1.id, "contact_created", "{\"contact\":{\"n\":1}}", 0},
        {o2.id, "contact_created", "{\"contact\":{\"n\":2}}", 0},
        {o1.id, "contact_updated", "{\"contact\":{\"n\":3}}", 0},
        {o1.id, "contact_removed", "{\"contact\":{\"n\":4}}", 0},
    };
    for (int i = 0; i < 4; i++)
        is_int(s->ops->write(s, u_event_append, &e[i]), 0, "event_append %d", i);

    is_int(r->ops->event_list_after(r, NULL, first, 100, a, &ev, &n), 0, "event_list_after, every org");
    is_int(n, 4, "all four");
    /* A backend that numbers events after the commit (PostgreSQL) answers 0 at append: their
     * numbers are then the ones the stream shows, in commit order. */
    for (int i = 0; i < 4 && n == 4; i++)
        if (e[i].seq == 0)
            e[i].seq = ev[i].seq;
    ok(e[0].seq > first && e[1].seq > e[0].seq && e[2].seq > e[1].seq && e[3].seq > e[2].seq, "seqs increase");
    is_int(r->ops->event_last_seq(r, &last), 0, "event_last_seq again");
    is_int(last, e[3].seq, "the newest seq");
    if (n == 4) {
        for (int i = 0; i < 4; i++) {
            is_int(ev[i].seq, e[i].seq, "event %d in order", i);
            is_str(str(ev[i].org_id), e[i].org_id, "its org");
            is_str(ev[i].name, e[i].name, "its name");
            is_str(ev[i].payload_json, e[i].payload, "its payload");
            ok(ev[i].created_at > 1700000000000, "its created_at");
        }
    }
    is_int(r->ops->event_list_after(r, o1.id, first, 100, a, &ev, &n), 0, "event_list_after, one org");
    ok(n == 3 && ev[0].seq == e[0].seq && ev[1].seq == e[2].seq && ev[2].seq == e[3].seq,
       "only that org's, oldest first");
    is_int(r->ops->event_list_after(r, NULL, e[0].seq, 2, a, &ev, &n), 0, "after a seq, with a limit");
    ok(n == 2 && ev[0].seq == e[1].seq && ev[1].seq == e[2].seq, "strictly after, at most limit");
    is_int(r->ops->event_list_after(r, o2.id, e[1].seq, 10, a, &ev, &n), 0, "nothing after the last");
    is_int(n, 0, "an empty page");

    /* The hook: called after a commit that appended, not after one that did not. */
    atomic_store(&hook_calls, 0);
    s->ops->set_commit_hook(s, count_hook, NULL);
    is_int(s->ops->write(s, u_nothing, NULL), 0, "a unit that appends nothing");
    is_int(atomic_load(&hook_calls), 0, "no hook call");
    struct append_arg more = {o1.id, "contact_created", "{}", 0};
    is_int(s->ops->write(s, u_event_append, &more), 0, "a unit that appends");
    is_int(atomic_load(&hook_calls), 1, "the hook ran once, before write returned");
    int64_t committed = -1;
    is_int(r->ops->event_last_seq(r, &committed), 0, "event_last_seq after the append");
    ok(committed > e[3].seq && (more.seq == 0 || committed == more.seq), "the append is the newest event");
    is_int(s->ops->write(s, u_event_append_then_fail, &more), -CRM_E_VALIDATION_FAILED, "an append rolled back");
    is_int(r->ops->event_last_seq(r, &last), 0, "event_last_seq");
    is_int(last, committed, "the rolled-back event is not in the log");
    is_int(r->ops->event_list_after(r, NULL, committed, 10, a, &ev, &n), 0, "nor after it");
    is_int(n, 0, "nothing after the committed append");
    s->ops->set_commit_hook(s, NULL, NULL);
    atomic_store(&hook_calls, 0);
    is_int(s->ops->write(s, u_event_append, &more), 0, "append with no hook");
    is_int(atomic_load(&hook_calls), 0, "nothing called");
    arena_destroy(a);
}

/* Many threads append while the hook is set and unset: every committed append is followed by a
 * hook call while set (a reader sees the newest seq by then). */
struct hook_thread { store *s; const char *org_id; int fails; };

static void *append_many(void *arg)
{
    struct hook_thread *t = arg;
    for (int i = 0; i < 50; i++) {
        struct append_arg e = {t->org_id, "contact_created", "{}", 0};
        if (t->s->ops->write(t->s, u_event_append, &e) != 0)
            t->fails++;
    }
    return NULL;
}

/* accounts_version moves once a write to a user or an organization has committed, and not for
 * other writes. */
static int u_user_insert(store_conn *c, void *arg) { return c->ops->user_insert(c, arg); }
static int u_user_update(store_conn *c, void *arg) { return c->ops->user_update(c, arg); }
static int u_user_insert_then_fail(store_conn *c, void *arg)
{
    int rc = c->ops->user_insert(c, arg);
    return rc ? rc : -CRM_E_VALIDATION_FAILED;
}
struct key_arg { const char *user_id, *hash; };
static int u_user_set_apikey(store_conn *c, void *arg)
{
    struct key_arg *k = arg;
    return c->ops->user_set_apikey(c, k->user_id, k->hash);
}

static void test_accounts_version(store *s)
{
    crm_org o;
    crm_user u, ghost;
    char email[64], ghost_email[64];
    new_org(s, &o);
    memset(&u, 0, sizeof u);
    objectid_new(u.id);
    strcpy(u.org_id, o.id);
    snprintf(email, sizeof email, "version.%s@example.com", u.id);
    u.email = email;
    u.full_name = "Versioned";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$x$y";
    u.role = ROLE_ADMIN;
    u.created_at = u.updated_at = 1700000000000;

    /* A serving store: PostgreSQL's trusts its version only while it hears the other servers
     * (a listener that a commit hook starts); until then every call is a new number. */
    s->ops->set_commit_hook(s, count_hook, NULL);
    uint64_t v0 = s->ops->accounts_version(s);
    for (int i = 0; i < 500 && s->ops->accounts_version(s) != v0; i++) {
        usleep(10 * 1000);
        v0 = s->ops->accounts_version(s);
    }
    is_int(s->ops->accounts_version(s), v0, "accounts_version is steady while nothing is written");
    is_int(s->ops->write(s, u_user_insert, &u), 0, "a user is inserted");
    uint64_t v1 = s->ops->accounts_version(s);
    ok(v1 != v0, "accounts_version moved with the insert");
    u.full_name = "Versioned Again";
    is_int(s->ops->write(s, u_user_update, &u), 0, "the user is updated");
    uint64_t v2 = s->ops->accounts_version(s);
    ok(v2 != v1, "and with the update");
    struct key_arg k = {u.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    is_int(s->ops->write(s, u_user_set_apikey, &k), 0, "its API key is set");
    uint64_t v3 = s->ops->accounts_version(s);
    ok(v3 != v2, "and with the API key");
    crm_org other;
    new_org(s, &other);
    uint64_t v4 = s->ops->accounts_version(s);
    ok(v4 != v3, "and with a new organization");
    crm_pipeline p;
    crm_stage st[NSTAGES];
    is_int(new_pipeline(s, &p, st, other.id, "Versioned", true), 0, "a pipeline");
    is_int(s->ops->accounts_version(s), v4, "a write that is not to an account leaves it");
    ghost = u;
    objectid_new(ghost.id);
    snprintf(ghost_email, sizeof ghost_email, "ghost.%s@example.com", ghost.id);
    ghost.email = ghost_email;
    is_int(s->ops->write(s, u_user_insert_then_fail, &ghost), -CRM_E_VALIDATION_FAILED, "a unit that rolls back");
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_user got;
    is_int(r->ops->user_get(r, ghost.id, a, &got), -CRM_E_NOT_FOUND, "left no user (the version may move or not)");
    arena_destroy(a);
    s->ops->set_commit_hook(s, NULL, NULL);
}

static void test_hook_threads(store *s)
{
    crm_org o;
    pthread_t th[4];
    struct hook_thread t[4];
    new_org(s, &o);
    atomic_store(&hook_calls, 0);
    s->ops->set_commit_hook(s, count_hook, NULL);
    for (int i = 0; i < 4; i++) {
        t[i] = (struct hook_thread){s, o.id, 0};
        pthread_create(&th[i], NULL, append_many, &t[i]);
    }
    for (int i = 0; i < 20; i++) {   /* replacing the hook concurrently is safe */
        s->ops->set_commit_hook(s, count_hook, NULL);
        usleep(100);
    }
    int fails = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        fails += t[i].fails;
    }
    s->ops->set_commit_hook(s, NULL, NULL);
    is_int(fails, 0, "200 concurrent appends");
    /* At most one call per committed group, plus, on PostgreSQL, the listener's calls for the
     * numbering of those events (pg_listen.c): at least one. */
    int calls = atomic_load(&hook_calls);
    ok(calls >= 1, "the hook was called (%d)", calls);
}

/* Contact writes. */

static void test_contact_update(store *s)
{
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_org o, ob;
    crm_pipeline p;
    crm_stage st[NSTAGES];
    crm_contact ct, other, got;
    crm_phone ph[1], ph2[1], newph[2], sec[1];
    objectid owner, assignee, owner_id;
    new_org(s, &o);
    new_org(s, &ob);
    objectid_new(owner);
    objectid_new(assignee);
    is_int(new_pipeline(s, &p, st, o.id, "Sales", true), 0, "pipeline");

    fresh_phone(&ph[0], true);
    new_contact(&ct, o.id, &p, 0, owner, ph, 1);
    ct.first_name = "Quentinus";
    ct.last_name = "Oldname";
    crm_email em[1] = {{"quent@old.example", true}};
    ct.emails = em;
    ct.nemails = 1;
    is_int(s->ops->write(s, u_contact_insert, &ct), 0, "contact_insert");
    fresh_phone(&ph2[0], true);
    new_contact(&other, o.id, &p, 0, owner, ph2, 1);
    is_int(s->ops->write(s, u_contact_insert, &other), 0, "another contact");
    is_int(search_count(r, o.id, "oldname"), 1, "found by its old name");

    /* Replace everything. */
    crm_contact up = ct;
    fresh_phone(&newph[0], false);
    fresh_phone(&newph[1], true);
    fresh_phone(&sec[0], false);
    up.phones = newph;
    up.nphones = 2;
    up.secondary = sec;
    up.nsecondary = 1;
    crm_email em2[2] = {{"a@new.example", false}, {"b@new.example", true}};
    up.emails = em2;
    up.nemails = 2;
    objectid asg[1];
    strcpy(asg[0], assignee);
    up.assignees = asg;
    up.nassignees = 1;
    up.first_name = "Quentinus";
    up.last_name = "Newname";
    up.process = "Inbound";
    up.source = "web";
    up.status = p.stages[1].name;
    strcpy(up.stage_id, p.stages[1].id);
    up.version = 1;
    up.updated_at = ct.updated_at + 5;
    struct update_arg ua = {&up, 0};
    is_int(s->ops->write(s, u_contact_update, &ua), 0, "contact_update");
    is_int(r->ops->contact_get(r, o.id, ct.id, a, &got), 0, "contact_get");
    is_int(got.version, 1, "the new version");
    is_int(got.updated_at, up.updated_at, "updated_at");
    is_int(got.created_at, ct.created_at, "created_at unchanged");
    is_str(got.last_name, "Newname", "last name");
    is_str(got.process, "Inbound", "process");
    is_str(got.source, "web", "source");
    is_str(str(got.stage_id), str(p.stages[1].id), "stage");
    is_str(got.status, p.stages[1].name, "status");
    ok(got.nphones == 2 && strcmp(got.phones[0].e164, newph[0].e164) == 0 && !got.phones[0].is_primary &&
       strcmp(got.phones[1].e164, newph[1].e164) == 0 && got.phones[1].is_primary, "phones replaced, in order");
    ok(got.nsecondary == 1 && strcmp(got.secondary[0].e164, sec[0].e164) == 0, "secondary numbers");
    ok(got.nemails == 2 && strcmp(got.emails[0].value, "a@new.example") == 0 && got.emails[1].is_primary,
       "emails replaced, in order");
    ok(got.nassignees == 1 && strcmp(got.assignees[0], assignee) == 0, "assignees replaced");
    is_int(r->ops->phone_owner(r, o.id, ph[0].e164, owner_id), -CRM_E_NOT_FOUND, "the old number is free");
    is_int(r->ops->phone_owner(r, o.id, sec[0].e164, owner_id), 0, "a new number is held");
    is_str(str(owner_id), str(ct.id), "by the contact");
    is_int(search_count(r, o.id, "oldname"), 0, "the search index forgot the old name");
    is_int(search_count(r, o.id, "newname"), 1, "and knows the new one");
    is_int(search_count(r, o.id, "b@new.exa"), 1, "and the new emails");
    is_int(owned_count(r, o.id, assignee), 1, "the new assignee's contacts include it");

    /* Versions. */
    up.version = 2;
    ua.expected = 0;
    is_int(s->ops->write(s, u_contact_update, &ua), -CRM_E_PRECONDITION_FAILED, "a stale version");
    is_int(r->ops->contact_get(r, o.id, ct.id, a, &got), 0, "contact_get");
    is_int(got.version, 1, "nothing written");
    ua.expected = 1;
    up.last_name = "Thirdname";
    is_int(s->ops->write(s, u_contact_update, &ua), 0, "the current version");
    is_int(r->ops->contact_get(r, o.id, ct.id, a, &got), 0, "contact_get");
    ok(got.version == 2 && strcmp(got.last_name, "Thirdname") == 0, "written");

    /* A number another contact holds: refused, and the unit rolled back. */
    crm_contact clash = up;
    crm_phone clashph[2] = {newph[1], ph2[0]};
    clashph[1].is_primary = false;
    clash.phones = clashph;
    clash.version = 3;
    clash.last_name = "Clash";
    struct update_arg uc = {&clash, 2};
    is_int(s->ops->write(s, u_contact_update, &uc), -CRM_E_PHONE_TAKEN, "a number of another contact → PHONE_TAKEN");
    is_int(r->ops->contact_get(r, o.id, ct.id, a, &got), 0, "contact_get");
    ok(got.version == 2 && strcmp(got.last_name, "Thirdname") == 0 && got.nphones == 2 && got.nsecondary == 1,
       "nothing changed");

    /* Absent, or in another org. */
    crm_contact ghost = up;
    objectid_new(ghost.id);
    struct update_arg ug = {&ghost, 2};
    is_int(s->ops->write(s, u_contact_update, &ug), -CRM_E_NOT_FOUND, "an unknown contact → NOT_FOUND");
    crm_contact cross = up;
    strcpy(cross.org_id, ob.id);
    struct update_arg ux = {&cross, 2};
    is_int(s->ops->write(s, u_contact_update, &ux), -CRM_E_NOT_FOUND, "another org's contact → NOT_FOUND");
    arena_destroy(a);
}

static void test_contact_delete_and_ids(store *s)
{
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_org o, ob;
    crm_pipeline p, p2;
    crm_stage st[NSTAGES], st2[NSTAGES];
    crm_contact c[4], got;
    crm_phone ph[4][1];
    objectid owner, owner_id, *ids;
    size_t n;
    new_org(s, &o);
    new_org(s, &ob);
    objectid_new(owner);
    is_int(new_pipeline(s, &p, st, o.id, "Sales", true), 0, "pipeline");
    is_int(new_pipeline(s, &p2, st2, o.id, "Other", false), 0, "another pipeline");
    /* c0, c2 on stage 0 of p; c1 on stage 1 of p; c3 in p2. */
    const int stage[4] = {0, 1, 0, 0};
    for (int i = 0; i < 4; i++) {
        fresh_phone(&ph[i][0], true);
        new_contact(&c[i], o.id, i == 3 ? &p2 : &p, stage[i], owner, ph[i], 1);
        c[i].first_name = "Deletable";
        is_int(s->ops->write(s, u_contact_insert, &c[i]), 0, "contact %d", i);
    }

    is_int(r->ops->contact_ids_in(r, o.id, p.id, NULL, a, &ids, &n), 0, "contact_ids_in a pipeline");
    ok(n == 3 && strcmp(ids[0], c[0].id) == 0 && strcmp(ids[1], c[1].id) == 0 && strcmp(ids[2], c[2].id) == 0,
       "its contacts, oldest first");
    is_int(r->ops->contact_ids_in(r, o.id, p.id, st[0].id, a, &ids, &n), 0, "contact_ids_in a stage");
    ok(n == 2 && strcmp(ids[0], c[0].id) == 0 && strcmp(ids[1], c[2].id) == 0, "the stage's contacts, oldest first");
    is_int(r->ops->contact_ids_in(r, o.id, p.id, st[2].id, a, &ids, &n), 0, "an empty stage");
    is_int(n, 0, "no ids");
    is_int(r->ops->contact_ids_in(r, ob.id, p.id, NULL, a, &ids, &n), 0, "another org");
    is_int(n, 0, "sees none");

    is_int(search_count(r, o.id, "deletable"), 4, "four found by name");
    struct pair_arg d = {o.id, c[1].id};
    is_int(s->ops->write(s, u_contact_delete, &d), 0, "contact_delete");
    is_int(r->ops->contact_get(r, o.id, c[1].id, a, &got), -CRM_E_NOT_FOUND, "gone");
    is_int(r->ops->phone_owner(r, o.id, ph[1][0].e164, owner_id), -CRM_E_NOT_FOUND, "its number is free");
    is_int(search_count(r, o.id, "deletable"), 3, "and out of the search index");
    is_int(owned_count(r, o.id, owner), 3, "and out of its owner's contacts");
    is_int(r->ops->contact_ids_in(r, o.id, p.id, NULL, a, &ids, &n), 0, "contact_ids_in");
    is_int(n, 2, "no longer in its pipeline");
    is_int(s->ops->write(s, u_contact_delete, &d), -CRM_E_NOT_FOUND, "deleting again → NOT_FOUND");
    struct pair_arg dx = {ob.id, c[0].id};
    is_int(s->ops->write(s, u_contact_delete, &dx), -CRM_E_NOT_FOUND, "another org's contact → NOT_FOUND");
    is_int(r->ops->contact_get(r, o.id, c[0].id, a, &got), 0, "which is still there");

    /* The freed number can be used again. */
    crm_contact again;
    new_contact(&again, o.id, &p, 0, owner, ph[1], 1);
    is_int(s->ops->write(s, u_contact_insert, &again), 0, "a new contact takes the freed number");
    arena_destroy(a);
}

/* The writer indexes the search documents of a group once, before its COMMIT: what a unit
 * wrote is found once it committed, including a contact created and changed in one unit; what
 * a unit deleted or rolled back is not. */
struct group_arg { crm_contact *made, *renamed, *gone; };
static int u_index_in_one_unit(store_conn *c, void *arg)
{
    struct group_arg *g = arg;
    int rc;
    if ((rc = c->ops->contact_insert(c, g->made)) || (rc = c->ops->contact_update(c, g->renamed, 0)) ||
        (rc = c->ops->contact_insert(c, g->gone)))
        return rc;
    return c->ops->contact_delete(c, g->gone->org_id, g->gone->id);
}
static int u_insert_then_fail(store_conn *c, void *arg)
{
    int rc = c->ops->contact_insert(c, arg);
    return rc ? rc : -CRM_E_VALIDATION_FAILED;
}

static void test_search_per_group(store *s)
{
    store_conn *r = s->ops->reader(s);
    crm_org o;
    crm_pipeline p;
    crm_stage st[NSTAGES];
    crm_contact made, renamed, gone, failed, later;
    crm_phone ph[4][1];
    objectid owner;
    new_org(s, &o);
    objectid_new(owner);
    is_int(new_pipeline(s, &p, st, o.id, "Sales", true), 0, "pipeline");
    for (int i = 0; i < 4; i++)
        fresh_phone(&ph[i][0], true);
    new_contact(&made, o.id, &p, 0, owner, ph[0], 1);
    made.first_name = "Xaverius";
    made.last_name = "Beforename";
    renamed = made;
    renamed.last_name = "Aftername";
    renamed.version = 1;
    new_contact(&gone, o.id, &p, 0, owner, ph[1], 1);
    gone.first_name = "Shortlived";
    struct group_arg g = {&made, &renamed, &gone};
    is_int(s->ops->write(s, u_index_in_one_unit, &g), 0, "create, rename, create and delete in one unit");
    is_int(search_count(r, o.id, "xaverius"), 1, "the contact is found");
    is_int(search_count(r, o.id, "aftername"), 1, "by its last name as committed");
    is_int(search_count(r, o.id, "beforename"), 0, "not by the name it had inside the unit");
    is_int(search_count(r, o.id, "shortlived"), 0, "the deleted one is not found");

    new_contact(&failed, o.id, &p, 0, owner, ph[2], 1);
    failed.first_name = "Rolledback";
    is_int(s->ops->write(s, u_insert_then_fail, &failed), -CRM_E_VALIDATION_FAILED, "a unit that fails");
    is_int(search_count(r, o.id, "rolledback"), 0, "leaves no search document");
    new_contact(&later, o.id, &p, 0, owner, ph[3], 1);
    later.first_name = "Cameafter";
    is_int(s->ops->write(s, u_contact_insert, &later), 0, "the next unit");
    is_int(search_count(r, o.id, "cameafter"), 1, "is indexed");
    is_int(search_count(r, o.id, "rolledback"), 0, "and the failed one still is not");
}

/* Pipeline writes. */

static void test_pipeline_writes(store *s)
{
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_org o, ob;
    crm_pipeline p, p2, got;
    crm_stage st[NSTAGES], st2[NSTAGES], up_st[NSTAGES + 1];
    new_org(s, &o);
    new_org(s, &ob);
    is_int(new_pipeline(s, &p, st, o.id, "Sales", true), 0, "pipeline");
    is_int(new_pipeline(s, &p2, st2, o.id, "Partners", false), 0, "another");

    crm_pipeline up = p;
    memcpy(up_st, st, sizeof st);
    up_st[0].name = "Fresh Lead";          /* renamed */
    up_st[1].position = 2;                 /* reordered */
    up_st[2].position = 1;
    up_st[2].is_active = false;            /* deactivated */
    up_st[2].color = "#000000";
    memset(&up_st[3], 0, sizeof up_st[3]); /* added */
    objectid_new(up_st[3].id);
    up_st[3].name = "Lost";
    up_st[3].color = "#ff0000";
    up_st[3].position = 3;
    up_st[3].is_active = true;
    up.stages = up_st;
    up.nstages = NSTAGES + 1;
    up.name = "Sales 2";
    up.description = "The main one";
    up.is_active = false;
    objectid_new(up.updated_by);
    up.updated_at = p.updated_at + 10;
    is_int(s->ops->write(s, u_pipeline_update, &up), 0, "pipeline_update");
    is_int(r->ops->pipeline_get(r, o.id, p.id, a, &got), 0, "pipeline_get");
    is_str(got.name, "Sales 2", "name");
    is_str(got.description, "The main one", "description");
    ok(got.is_default && !got.is_active, "flags");
    is_str(str(got.updated_by), str(up.updated_by), "updated_by");
    is_int(got.updated_at, up.updated_at, "updated_at");
    is_int(got.created_at, p.created_at, "created_at unchanged");
    is_int(got.nstages, 4, "four stages");
    if (got.nstages == 4) {
        is_str(got.stages[0].name, "Fresh Lead", "renamed stage first");
        is_str(str(got.stages[1].id), str(st[2].id), "then the moved one");
        ok(!got.stages[1].is_active && strcmp(got.stages[1].color, "#000000") == 0, "deactivated, recolored");
        is_str(str(got.stages[2].id), str(st[1].id), "then the other");
        is_str(got.stages[3].name, "Lost", "the added stage last");
    }
    crm_pipeline by;
    is_int(r->ops->pipeline_get_by_stage(r, o.id, up_st[3].id, a, &by), 0, "the new stage's pipeline");
    is_str(str(by.id), str(p.id), "is this one");

    crm_pipeline dup = up;
    dup.name = "Partners";
    is_int(s->ops->write(s, u_pipeline_update, &dup), -CRM_E_NAME_TAKEN, "another pipeline's name → NAME_TAKEN");
    is_int(r->ops->pipeline_get(r, o.id, p.id, a, &got), 0, "pipeline_get");
    is_str(got.name, "Sales 2", "unchanged");
    crm_pipeline ghost = up;
    objectid_new(ghost.id);
    ghost.nstages = 0;
    is_int(s->ops->write(s, u_pipeline_update, &ghost), -CRM_E_NOT_FOUND, "an unknown pipeline → NOT_FOUND");
    crm_pipeline cross = up;
    strcpy(cross.org_id, ob.id);
    cross.nstages = 0;
    is_int(s->ops->write(s, u_pipeline_update, &cross), -CRM_E_NOT_FOUND, "another org's → NOT_FOUND");

    /* Delete: refused while a contact is on it; then with its stages. */
    crm_contact ct;
    crm_phone ph[1];
    objectid owner;
    objectid_new(owner);
    fresh_phone(&ph[0], true);
    new_contact(&ct, o.id, &p2, 1, owner, ph, 1);
    is_int(s->ops->write(s, u_contact_insert, &ct), 0, "a contact on the second pipeline");
    struct pair_arg d = {o.id, p2.id};
    ok(s->ops->write(s, u_pipeline_delete, &d) != 0, "pipeline_delete under a contact is refused");
    is_int(r->ops->pipeline_get(r, o.id, p2.id, a, &got), 0, "still there");
    is_int(got.nstages, NSTAGES, "with its stages");
    struct pair_arg dc = {o.id, ct.id};
    is_int(s->ops->write(s, u_contact_delete, &dc), 0, "move the contact away (delete)");
    struct pair_arg dx = {ob.id, p2.id};
    is_int(s->ops->write(s, u_pipeline_delete, &dx), -CRM_E_NOT_FOUND, "another org's → NOT_FOUND");
    is_int(s->ops->write(s, u_pipeline_delete, &d), 0, "pipeline_delete");
    is_int(r->ops->pipeline_get(r, o.id, p2.id, a, &got), -CRM_E_NOT_FOUND, "gone");
    is_int(r->ops->pipeline_get_by_stage(r, o.id, st2[0].id, a, &got), -CRM_E_NOT_FOUND, "its stages too");
    is_int(s->ops->write(s, u_pipeline_delete, &d), -CRM_E_NOT_FOUND, "deleting again → NOT_FOUND");
    /* Its name is free again. */
    crm_pipeline p3;
    crm_stage st3[NSTAGES];
    is_int(new_pipeline(s, &p3, st3, o.id, "Partners", false), 0, "the name can be used again");
    arena_destroy(a);
}

/* Webhooks and deliveries. */

static void new_webhook(store *s, crm_webhook *w, const char *org_id, char **events, size_t nevents,
                        int64_t created_at)
{
    memset(w, 0, sizeof *w);
    objectid_new(w->id);
    strcpy(w->org_id, org_id);
    objectid_new(w->created_by);
    w->url = "https://example.com/hook";
    w->events = events;
    w->nevents = nevents;
    w->secret = "whsec_0123456789abcdef";
    w->created_at = created_at;
    if (s->ops->write(s, u_webhook_insert, w) != 0)
        fprintf(stderr, "# fixture: webhook insert failed\n");
}

static void new_delivery(crm_delivery *d, const crm_webhook *w, int64_t seq, int64_t at)
{
    memset(d, 0, sizeof *d);
    objectid_new(d->id);
    strcpy(d->org_id, w->org_id);
    strcpy(d->webhook_id, w->id);
    d->event_seq = seq;
    d->event_name = "contact_created";
    d->payload_json = "{\"id\":\"x\",\"seq\":1}";
    d->state = DELIVERY_PENDING;
    d->next_attempt_at = d->created_at = d->updated_at = at;
}

static bool has_delivery(const crm_delivery *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].id, id) == 0)
            return true;
    return false;
}

struct claim_arg { store *s; const crm_delivery *d; int64_t now, until; pthread_barrier_t *go; int rc; };
static int u_delivery_claim(store_conn *c, void *arg)
{
    struct claim_arg *ca = arg;
    return c->ops->delivery_claim(c, ca->d->org_id, ca->d->id, ca->now, ca->until);
}
static void *claim_concurrently(void *arg)
{
    struct claim_arg *ca = arg;
    pthread_barrier_wait(ca->go);
    ca->rc = ca->s->ops->write(ca->s, u_delivery_claim, ca);
    return NULL;
}

static void test_webhooks(store *s)
{
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_org o, ob;
    crm_webhook w1, w2, wb, got, *list;
    size_t n;
    new_org(s, &o);
    new_org(s, &ob);
    char *ev1[] = {"contact_created", "contact_removed"}, *ev2[] = {"contact_updated"}, *evb[] = {"contact_created"};
    new_webhook(s, &w1, o.id, ev1, 2, 1700000001000);
    new_webhook(s, &w2, o.id, ev2, 1, 1700000002000);
    new_webhook(s, &wb, ob.id, evb, 1, 1700000000500);

    is_int(r->ops->webhook_list(r, o.id, a, &list, &n), 0, "webhook_list");
    ok(n == 2 && strcmp(list[0].id, w1.id) == 0 && strcmp(list[1].id, w2.id) == 0, "the org's, oldest first");
    is_int(r->ops->webhook_get(r, o.id, w1.id, a, &got), 0, "webhook_get");
    is_str(got.url, w1.url, "url");
    is_str(got.secret, w1.secret, "secret");
    is_str(str(got.created_by), str(w1.created_by), "created_by");
    is_int(got.created_at, w1.created_at, "created_at");
    ok(got.nevents == 2 && strcmp(got.events[0], "contact_created") == 0 &&
       strcmp(got.events[1], "contact_removed") == 0, "events, in order");
    is_int(r->ops->webhook_get(r, ob.id, w1.id, a, &got), -CRM_E_NOT_FOUND, "another org's → NOT_FOUND");

    is_int(r->ops->webhook_subscribers(r, o.id, "contact_created", a, &list, &n), 0, "webhook_subscribers");
    ok(n == 1 && strcmp(list[0].id, w1.id) == 0 && list[0].nevents == 2 && list[0].secret, "only the subscribed");
    is_int(r->ops->webhook_subscribers(r, o.id, "contact_updated", a, &list, &n), 0, "webhook_subscribers");
    ok(n == 1 && strcmp(list[0].id, w2.id) == 0, "the other one");
    is_int(r->ops->webhook_subscribers(r, o.id, "nothing_such", a, &list, &n), 0, "an unknown event");
    is_int(n, 0, "no subscriber");

    /* Deliveries: d[0..4] of w1, oldest first; one of org B. */
    crm_delivery d[5], db, gd, *dl;
    int64_t total;
    int64_t now = 1800000000000;
    for (int i = 0; i < 5; i++) {
        new_delivery(&d[i], &w1, 10 + i, now - 5000 + i * 1000);
        is_int(s->ops->write(s, u_delivery_insert, &d[i]), 0, "delivery_insert %d", i);
    }
    new_delivery(&db, &wb, 99, now - 10000);
    is_int(s->ops->write(s, u_delivery_insert, &db), 0, "delivery_insert (org B)");

    is_int(r->ops->delivery_get(r, o.id, d[2].id, a, &gd), 0, "delivery_get");
    ok(gd.state == DELIVERY_PENDING && gd.attempts == 0 && gd.last_status == 0 && gd.last_error == NULL,
       "a fresh delivery");
    ok(gd.event_seq == 12 && strcmp(gd.event_name, "contact_created") == 0 &&
       strcmp(gd.payload_json, d[2].payload_json) == 0 && strcmp(gd.webhook_id, w1.id) == 0, "its event and body");
    ok(gd.next_attempt_at == d[2].next_attempt_at && gd.created_at == d[2].created_at, "its times");
    is_int(r->ops->delivery_get(r, ob.id, d[2].id, a, &gd), -CRM_E_NOT_FOUND, "another org's → NOT_FOUND");

    is_int(r->ops->delivery_list(r, o.id, w1.id, 0, 2, a, &dl, &n, &total), 0, "delivery_list");
    ok(n == 2 && total == 5 && strcmp(dl[0].id, d[4].id) == 0 && strcmp(dl[1].id, d[3].id) == 0,
       "newest first, a page of 2 of 5");
    is_int(r->ops->delivery_list(r, o.id, w1.id, 4, 2, a, &dl, &n, &total), 0, "the last page");
    ok(n == 1 && total == 5 && strcmp(dl[0].id, d[0].id) == 0, "the oldest");
    is_int(r->ops->delivery_list(r, o.id, w2.id, 0, 50, a, &dl, &n, &total), 0, "another webhook's");
    ok(n == 0 && total == 0, "none");
    is_int(r->ops->delivery_list(r, ob.id, w1.id, 0, 50, a, &dl, &n, &total), 0, "from another org");
    ok(n == 0 && total == 0, "none");

    /* Updates: d0 succeeded, d1 retried later, d2 failed. */
    crm_delivery u = d[0];
    u.state = DELIVERY_SUCCEEDED;
    u.attempts = 1;
    u.last_status = 204;
    u.updated_at = now;
    is_int(s->ops->write(s, u_delivery_update, &u), 0, "delivery_update (succeeded)");
    u = d[1];
    u.attempts = 1;
    u.last_status = 500;
    u.last_error = "HTTP 500";
    u.next_attempt_at = now + 60000;
    u.updated_at = now;
    is_int(s->ops->write(s, u_delivery_update, &u), 0, "delivery_update (retry later)");
    is_int(r->ops->delivery_get(r, o.id, d[1].id, a, &gd), 0, "delivery_get");
    ok(gd.state == DELIVERY_PENDING && gd.attempts == 1 && gd.last_status == 500 &&
       gd.last_error && strcmp(gd.last_error, "HTTP 500") == 0 && gd.next_attempt_at == now + 60000 &&
       gd.updated_at == now && gd.created_at == d[1].created_at, "every column written");
    u = d[2];
    u.state = DELIVERY_FAILED;
    u.attempts = 8;
    u.last_error = "Connection refused";
    u.updated_at = now;
    is_int(s->ops->write(s, u_delivery_update, &u), 0, "delivery_update (failed)");
    crm_delivery ghost = d[0];
    objectid_new(ghost.id);
    is_int(s->ops->write(s, u_delivery_update, &ghost), -CRM_E_NOT_FOUND, "an unknown delivery → NOT_FOUND");

    /* Due: pending with next_attempt_at <= now, across orgs, oldest first. */
    is_int(r->ops->delivery_due(r, now, 100, a, &dl, &n), 0, "delivery_due");
    ok(has_delivery(dl, n, db.id) && has_delivery(dl, n, d[3].id) && has_delivery(dl, n, d[4].id),
       "the due ones of every org");
    ok(!has_delivery(dl, n, d[0].id) && !has_delivery(dl, n, d[1].id) && !has_delivery(dl, n, d[2].id),
       "not the done, failed or later ones");
    bool ordered = true;
    for (size_t i = 1; i < n; i++)
        ordered = ordered && dl[i - 1].next_attempt_at <= dl[i].next_attempt_at;
    ok(ordered, "oldest first");
    is_int(r->ops->delivery_due(r, now, 1, a, &dl, &n), 0, "delivery_due with a limit");
    ok(n == 1, "at most limit");
    is_int(r->ops->delivery_due(r, now + 60000, 100, a, &dl, &n), 0, "delivery_due later");
    ok(has_delivery(dl, n, d[1].id), "the retry is due then");

    /* Claims: one attempt of a due delivery goes to one sender, until its lease ends. */
    struct claim_arg ca = {s, &d[3], now, now + 70000, NULL, 0};
    is_int(s->ops->write(s, u_delivery_claim, &ca), 0, "delivery_claim of a due delivery");
    is_int(r->ops->delivery_get(r, o.id, d[3].id, a, &gd), 0, "delivery_get");
    ok(gd.state == DELIVERY_PENDING && gd.next_attempt_at == now + 70000, "due again when the lease ends");
    is_int(s->ops->write(s, u_delivery_claim, &ca), -CRM_E_NOT_FOUND, "a claimed delivery is not due");
    ca.now = now + 70000;
    is_int(s->ops->write(s, u_delivery_claim, &ca), 0, "claimed again once the lease is over");
    ca = (struct claim_arg){s, &d[0], now + 90000, now + 99000, NULL, 0};
    is_int(s->ops->write(s, u_delivery_claim, &ca), -CRM_E_NOT_FOUND, "a succeeded delivery is never claimed");
    ca.d = &d[2];
    is_int(s->ops->write(s, u_delivery_claim, &ca), -CRM_E_NOT_FOUND, "nor a failed one");
    crm_delivery foreign = db;
    memcpy(foreign.org_id, o.id, sizeof foreign.org_id);
    ca.d = &foreign;
    is_int(s->ops->write(s, u_delivery_claim, &ca), -CRM_E_NOT_FOUND, "nor another org's");
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 4);
    struct claim_arg racers[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        racers[i] = (struct claim_arg){s, &d[4], now, now + 70000, &go, 1};
        pthread_create(&th[i], NULL, claim_concurrently, &racers[i]);
    }
    int won = 0, lost = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        won += racers[i].rc == 0;
        lost += racers[i].rc == -CRM_E_NOT_FOUND;
    }
    pthread_barrier_destroy(&go);
    ok(won == 1 && lost == 3, "four claims at once: exactly one wins (%d won, %d lost)", won, lost);

    /* Delete: its deliveries go with it; org B's are untouched. */
    struct pair_arg dx = {ob.id, w1.id};
    is_int(s->ops->write(s, u_webhook_delete, &dx), -CRM_E_NOT_FOUND, "another org's webhook → NOT_FOUND");
    struct pair_arg dw = {o.id, w1.id};
    is_int(s->ops->write(s, u_webhook_delete, &dw), 0, "webhook_delete");
    is_int(r->ops->webhook_get(r, o.id, w1.id, a, &got), -CRM_E_NOT_FOUND, "gone");
    is_int(r->ops->delivery_get(r, o.id, d[3].id, a, &gd), -CRM_E_NOT_FOUND, "its deliveries too");
    is_int(r->ops->delivery_due(r, now + 60000, 100, a, &dl, &n), 0, "delivery_due");
    ok(!has_delivery(dl, n, d[1].id) && !has_delivery(dl, n, d[3].id) && has_delivery(dl, n, db.id),
       "nothing of it is due; org B's still is");
    is_int(r->ops->webhook_subscribers(r, o.id, "contact_created", a, &list, &n), 0, "webhook_subscribers");
    is_int(n, 0, "no longer subscribed");
    is_int(r->ops->webhook_list(r, o.id, a, &list, &n), 0, "webhook_list");
    ok(n == 1 && strcmp(list[0].id, w2.id) == 0, "the other remains");
    is_int(s->ops->write(s, u_webhook_delete, &dw), -CRM_E_NOT_FOUND, "deleting again → NOT_FOUND");
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
    test_events(s);
    test_hook_threads(s);
    test_contact_update(s);
    test_contact_delete_and_ids(s);
    test_search_per_group(s);
    test_accounts_version(s);
    test_pipeline_writes(s);
    test_webhooks(s);
    s->ops->close(s);
}

/* A database made by an older crmd (schema 2) gains the webhook tables on migrate. */
static void test_upgrade_from_v2(const char *dir)
{
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/v2.db", dir);
    store *s = store_sqlite_open(path, err, sizeof err);
    ok(s != NULL, "open a fresh file");
    if (!s)
        return;
    is_int(store_sqlite_migrate_to(s, 2), 0, "schema 2 only");
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_webhook *list;
    size_t n;
    ok(r->ops->webhook_list(r, "000000000000000000000000", a, &list, &n) != 0, "no webhook table yet");
    is_int(s->ops->migrate(s), 0, "migrate");
    crm_org o;
    crm_webhook w;
    new_org(s, &o);
    char *ev[] = {"contact_created"};
    new_webhook(s, &w, o.id, ev, 1, 1700000000000);
    is_int(r->ops->webhook_list(r, o.id, a, &list, &n), 0, "webhook_list after the upgrade");
    is_int(n, 1, "the new webhook");
    is_int(s->ops->migrate(s), 0, "migrating again is a no-op");
    arena_destroy(a);
    s->ops->close(s);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1200];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    char dir[] = "/tmp/crmd-test-store-v3-XXXXXX", url[1100];
    log_set_quiet(1);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(url, sizeof url, "sqlite:%s/crm.db", dir);
    run_contract(url);
    const char *pg = getenv("CRMD_TEST_PG_URL");
    if (pg && *pg)
        run_contract(pg);
    test_upgrade_from_v2(dir);
    remove_dir(dir);
    return tap_done();
}
