/* The storage contract: one suite that runs against any backend through store_ops only.
 * It runs against SQLite in a fresh temp dir, and against PostgreSQL when CRMD_TEST_PG_URL
 * names a database. Every record it makes has a fresh id (and fresh emails), so it can run on a
 * database that already holds data. The SQLite-only checks (open errors, durability pragmas)
 * are at the end. */
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/sqlite/sqlite.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

/* Units of work: each calls one operation on the writer connection. */

static int u_org_update(store_conn *c, void *arg) { return c->ops->org_update(c, arg); }
static int u_user_insert(store_conn *c, void *arg) { return c->ops->user_insert(c, arg); }
static int u_user_update(store_conn *c, void *arg) { return c->ops->user_update(c, arg); }
static int u_event_log_insert(store_conn *c, void *arg) { return c->ops->event_log_insert(c, arg); }

struct kv { const char *k, *v; };
static int u_meta_set(store_conn *c, void *arg)
{
    struct kv *kv = arg;
    return c->ops->meta_set(c, kv->k, kv->v);
}
static int u_user_set_apikey(store_conn *c, void *arg)
{
    struct kv *kv = arg;
    return c->ops->user_set_apikey(c, kv->k, kv->v);
}

struct org_phone_arg { const char *org_id; const crm_org_phone *p; const char *e164; };
static int u_org_phone_insert(store_conn *c, void *arg)
{
    struct org_phone_arg *a = arg;
    return c->ops->org_phone_insert(c, a->org_id, a->p);
}
static int u_org_phone_delete(store_conn *c, void *arg)
{
    struct org_phone_arg *a = arg;
    return c->ops->org_phone_delete(c, a->org_id, a->e164);
}


/* Writes, then fails: the unit's rollback must undo the write. */
static int u_contact_insert_then_fail(store_conn *c, void *arg)
{
    int rc = c->ops->contact_insert(c, arg);
    return rc ? rc : -CRM_E_VALIDATION_FAILED;
}
static int u_event_log_insert_then_fail(store_conn *c, void *arg)
{
    int rc = c->ops->event_log_insert(c, arg);
    return rc ? rc : -CRM_E_VALIDATION_FAILED;
}

/* A read inside a unit sees the unit's own write. */
static int u_org_insert_and_read(store_conn *c, void *arg)
{
    const crm_org *o = arg;
    crm_org got;
    int rc = c->ops->org_insert(c, o);
    arena *a = arena_new();
    if (!rc)
        rc = c->ops->org_get(c, o->id, a, &got);
    if (!rc && strcmp(got.name, o->name) != 0)
        rc = -CRM_E_INTERNAL;
    arena_destroy(a);
    return rc;
}

/* A unit that asks for another write: units do not nest. */
static int u_nested_write(store_conn *c, void *arg)
{
    (void)c;
    store *s = arg;
    return s->ops->write(s, u_org_insert, NULL) == 0 ? 0 : -CRM_E_INTERNAL;
}

/* Fixtures. Their creation times increase in the order they are made. */

static int64_t fixture_clock = 1700000000000;

static void new_org(store *s, crm_org *o, const char *name)
{
    memset(o, 0, sizeof *o);
    objectid_new(o->id);
    o->name = (char *)name;
    o->timezone = "UTC";
    strcpy(o->default_country, "US");
    o->created_at = o->updated_at = 1700000000000;   /* checked by test_orgs */
    if (s->ops->write(s, u_org_insert, o) != 0)
        fprintf(stderr, "# fixture: org insert failed\n");
}

static void new_user(store *s, crm_user *u, const char *org_id, crm_role role, char *email_buf)
{
    memset(u, 0, sizeof *u);
    objectid_new(u->id);
    strcpy(u->org_id, org_id);
    sprintf(email_buf, "user.%s@example.com", u->id);
    u->email = email_buf;
    u->full_name = "Some User";
    u->password_hash = "$argon2id$v=19$m=65536,t=2,p=1$x$y";
    u->role = role;
    u->created_at = u->updated_at = ++fixture_clock;
    if (s->ops->write(s, u_user_insert, u) != 0)
        fprintf(stderr, "# fixture: user insert failed\n");
}

#define NSTAGES 5
static const char *const stage_names[NSTAGES] = {"New Lead", "Contacted", "Qualified", "Won", "Lost"};

/* A Contact pipeline with the five stages, inserted in reverse position order; created at
 * pipeline_time when that is set. */
static int64_t pipeline_time;

static int new_pipeline(store *s, crm_pipeline *p, crm_stage stages[NSTAGES], const char *org_id,
                        const char *name, bool is_default)
{
    memset(p, 0, sizeof *p);
    objectid_new(p->id);
    strcpy(p->org_id, org_id);
    p->name = (char *)name;
    p->type = "Contact";
    p->is_default = is_default;
    p->is_active = true;
    for (int i = 0; i < NSTAGES; i++) {
        crm_stage *st = &stages[NSTAGES - 1 - i];
        memset(st, 0, sizeof *st);
        objectid_new(st->id);
        st->name = (char *)stage_names[i];
        st->color = "#336699";
        st->position = i;
        st->is_active = i != 4;
    }
    p->stages = stages;
    p->nstages = NSTAGES;
    p->created_at = p->updated_at = pipeline_time ? pipeline_time : 1700000000000;
    return s->ops->write(s, u_pipeline_insert, p);
}

static void new_contact(crm_contact *ct, const char *org_id, const crm_pipeline *p, const char *owner,
                        crm_phone *phones, size_t nphones)
{
    memset(ct, 0, sizeof *ct);
    objectid_new(ct->id);
    strcpy(ct->org_id, org_id);
    strcpy(ct->user_id, owner);
    strcpy(ct->created_by, owner);
    ct->phones = phones;
    ct->nphones = nphones;
    ct->status = "New Lead";
    strcpy(ct->pipeline_id, p->id);
    strcpy(ct->stage_id, p->stages[NSTAGES - 1].id);   /* position 0 */
    ct->created_at = ct->updated_at = 1700000000000;
}


static bool one_line(const char *s)
{
    return s && *s && !strchr(s, '\n');
}

/* The contract. */

static void test_migrate_meta_ping(store *s)
{
    arena *a = arena_new();
    char *v = NULL;
    store_conn *r = s->ops->reader(s);
    is_int(s->ops->version, STORE_OPS_VERSION, "ops table has the current version");
    is_int(s->ops->migrate(s), 0, "migrate");
    is_int(s->ops->migrate(s), 0, "migrate again is a no-op");
    is_int(s->ops->ping(s), 0, "ping");
    ok(r != NULL, "reader");
    ok(s->ops->reader(s) == r, "the same reader for the same thread");

    char key[64];
    objectid id;
    objectid_new(id);
    snprintf(key, sizeof key, "test.%s", id);
    is_int(r->ops->meta_get(r, key, a, &v), -CRM_E_NOT_FOUND, "meta_get of an unknown key");
    is_int(s->ops->write(s, u_meta_set, &(struct kv){key, "one"}), 0, "meta_set");
    is_int(r->ops->meta_get(r, key, a, &v), 0, "meta_get");
    is_str(v, "one", "meta value");
    is_int(s->ops->write(s, u_meta_set, &(struct kv){key, "two"}), 0, "meta_set overwrites");
    r->ops->meta_get(r, key, a, &v);
    is_str(v, "two", "meta value overwritten");
    ok(r->ops->meta_set(r, key, "three") != 0, "a reader refuses writes");
    r->ops->meta_get(r, key, a, &v);
    is_str(v, "two", "and nothing changed");
    arena_destroy(a);
}

static void test_orgs(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, got;
    objectid unknown;

    new_org(s, &o, "Acme");
    is_int(r->ops->org_get(r, o.id, a, &got), 0, "org_get");
    is_str(str(got.id), str(o.id), "org id");
    is_str(got.name, "Acme", "org name");
    ok(got.phone_number == NULL && got.address == NULL, "absent optional strings are NULL");
    is_str(got.timezone, "UTC", "timezone");
    is_str(str(got.default_country), "US", "default country");
    is_int(got.created_at, 1700000000000, "created_at");
    is_int(got.updated_at, 1700000000000, "updated_at");

    o.name = "Acme Corp";
    o.phone_number = "+14165550100";
    o.address = "1 Main St";
    o.timezone = "America/Toronto";
    strcpy(o.default_country, "CA");
    o.updated_at = 1700000001000;
    is_int(s->ops->write(s, u_org_update, &o), 0, "org_update");
    r->ops->org_get(r, o.id, a, &got);
    ok(strcmp(got.name, "Acme Corp") == 0 && strcmp(got.phone_number, "+14165550100") == 0 &&
           strcmp(got.address, "1 Main St") == 0 && strcmp(got.timezone, "America/Toronto") == 0 &&
           strcmp(got.default_country, "CA") == 0 && got.updated_at == 1700000001000 &&
           got.created_at == 1700000000000,
       "org_update wrote every mutable column");

    objectid_new(unknown);
    is_int(r->ops->org_get(r, unknown, a, &got), -CRM_E_NOT_FOUND, "org_get of an unknown id");
    crm_org ghost = o;
    strcpy(ghost.id, unknown);
    is_int(s->ops->write(s, u_org_update, &ghost), -CRM_E_NOT_FOUND, "org_update of an unknown id");

    crm_org o2;
    memset(&o2, 0, sizeof o2);
    objectid_new(o2.id);
    o2.name = "Inside";
    o2.timezone = "UTC";
    strcpy(o2.default_country, "US");
    is_int(s->ops->write(s, u_org_insert_and_read, &o2), 0, "a unit reads its own writes");
    is_int(r->ops->org_get(r, o2.id, a, &got), 0, "and they are committed");
    is_int(s->ops->write(s, u_org_insert, &o2), -CRM_E_UNAVAILABLE, "a duplicate org id is a storage failure");
    is_int(s->ops->write(s, u_nested_write, s), -CRM_E_INTERNAL, "a unit cannot start another unit");
    is_int(s->ops->write(s, u_meta_set, &(struct kv){"test.after-nested", "x"}), 0,
           "and the writer still works");
    arena_destroy(a);
}

static void test_users(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o;
    crm_user u, u2, sa, got;
    char e1[96], e2[96], e3[96], mixed[96], upper[96];
    int64_t nadmins0 = -1, nadmins1 = -1;

    new_org(s, &o, "Users Inc");
    is_int(r->ops->user_count_role(r, ROLE_ADMIN, &nadmins0), 0, "user_count_role");

    /* Stored lower-cased whatever the caller passed. */
    crm_user first;
    new_user(s, &first, o.id, ROLE_ADMIN, e1);
    memset(&u, 0, sizeof u);
    objectid_new(u.id);
    strcpy(u.org_id, o.id);
    snprintf(mixed, sizeof mixed, "Mixed.%s@Example.COM", u.id);
    u.email = mixed;
    u.full_name = "Ada Admin";
    u.password_hash = "hash-1";
    u.phone_number = "+14165550101";
    u.designation = "Boss";
    u.sinch_phone_number = "+14165550199";
    u.role = ROLE_ADMIN;
    u.token_version = 3;
    int64_t created = u.created_at = u.updated_at = ++fixture_clock;
    is_int(s->ops->write(s, u_user_insert, &u), 0, "user_insert");
    is_int(r->ops->user_get(r, u.id, a, &got), 0, "user_get");
    for (char *p = mixed; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    is_str(got.email, str(mixed), "email is stored lower-cased");
    ok(strcmp(got.org_id, o.id) == 0 && strcmp(got.full_name, "Ada Admin") == 0 &&
           strcmp(got.password_hash, "hash-1") == 0 && strcmp(got.phone_number, "+14165550101") == 0 &&
           strcmp(got.designation, "Boss") == 0 && strcmp(got.sinch_phone_number, "+14165550199") == 0 &&
           got.role == ROLE_ADMIN && !got.login_disabled && got.token_version == 3 &&
           got.created_at == created && got.updated_at == created,
       "user round-trips every field");
    is_int(r->ops->user_count_role(r, ROLE_ADMIN, &nadmins1), 0, "user_count_role again");
    is_int(nadmins1 - nadmins0, 2, "two more admins");

    is_int(r->ops->user_get_by_email(r, mixed, a, &got), 0, "user_get_by_email as stored");
    is_str(str(got.id), str(u.id), "found the user");
    strcpy(upper, mixed);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    is_int(r->ops->user_get_by_email(r, upper, a, &got), 0, "user_get_by_email ignores case");
    is_int(r->ops->user_get_by_email(r, "nobody@example.com", a, &got), -CRM_E_NOT_FOUND,
           "user_get_by_email of an unknown email");

    /* Another user with the same address in another case, even in another org. */
    crm_org o2;
    new_org(s, &o2, "Other");
    memset(&u2, 0, sizeof u2);
    objectid_new(u2.id);
    strcpy(u2.org_id, o2.id);
    u2.email = upper;
    u2.full_name = "Copy Cat";
    u2.password_hash = "hash-2";
    u2.role = ROLE_SALES_REP;
    is_int(s->ops->write(s, u_user_insert, &u2), -CRM_E_EMAIL_TAKEN, "duplicate email → EMAIL_TAKEN");
    is_int(r->ops->user_get(r, u2.id, a, &got), -CRM_E_NOT_FOUND, "and no user was written");

    /* A SUPERADMIN belongs to no organization. */
    new_user(s, &sa, "", ROLE_SUPERADMIN, e2);
    is_int(r->ops->user_get(r, sa.id, a, &got), 0, "superadmin inserted");
    is_str(str(got.org_id), "", "superadmin has no org");
    ok(got.role == ROLE_SUPERADMIN, "superadmin role");
    ok(got.phone_number == NULL && got.designation == NULL && got.sinch_phone_number == NULL,
       "absent optional strings are NULL");

    /* API keys. */
    char hash1[64], hash2[64];
    snprintf(hash1, sizeof hash1, "k1-%s", u.id);
    snprintf(hash2, sizeof hash2, "k2-%s", u.id);
    is_int(r->ops->user_get_by_apikey(r, hash1, a, &got), -CRM_E_NOT_FOUND, "no key yet");
    is_int(s->ops->write(s, u_user_set_apikey, &(struct kv){u.id, hash1}), 0, "user_set_apikey");
    is_int(r->ops->user_get_by_apikey(r, hash1, a, &got), 0, "user_get_by_apikey");
    is_str(str(got.id), str(u.id), "the key's user");
    is_int(s->ops->write(s, u_user_set_apikey, &(struct kv){u.id, hash2}), 0, "regenerate the key");
    is_int(r->ops->user_get_by_apikey(r, hash1, a, &got), -CRM_E_NOT_FOUND, "the old key stops working");
    is_int(r->ops->user_get_by_apikey(r, hash2, a, &got), 0, "the new key works");
    objectid unknown;
    objectid_new(unknown);
    is_int(s->ops->write(s, u_user_set_apikey, &(struct kv){unknown, hash1}), -CRM_E_NOT_FOUND,
           "user_set_apikey of an unknown user");

    /* List: the org's users, oldest first, never another org's. */
    crm_user later;
    new_user(s, &later, o.id, ROLE_SALES_REP, e3);
    crm_user *list = NULL;
    size_t n = 0;
    is_int(r->ops->user_list(r, o.id, a, &list, &n), 0, "user_list");
    is_int(n, 3, "three users in the org");
    if (n == 3) {
        ok(strcmp(list[0].id, first.id) == 0 && strcmp(list[1].id, u.id) == 0 &&
               strcmp(list[2].id, later.id) == 0,
           "ordered by created_at");
        ok(strcmp(list[0].password_hash, first.password_hash) == 0, "listed users are whole records");
    }
    is_int(r->ops->user_list(r, o2.id, a, &list, &n), 0, "user_list of an org without users");
    is_int(n, 0, "empty");

    /* Update every mutable column. */
    char newmail[96];
    snprintf(newmail, sizeof newmail, "RENAMED.%s@example.com", u.id);
    u.email = newmail;
    u.full_name = "Ada Renamed";
    u.password_hash = "hash-3";
    u.phone_number = NULL;
    u.designation = "CEO";
    u.sinch_phone_number = NULL;
    u.role = ROLE_DEPARTMENT_HEAD;
    u.login_disabled = true;
    u.token_version = 4;
    u.updated_at = 1700000009000;
    is_int(s->ops->write(s, u_user_update, &u), 0, "user_update");
    r->ops->user_get(r, u.id, a, &got);
    ok(strncmp(got.email, "renamed.", 8) == 0 && strcmp(got.full_name, "Ada Renamed") == 0 &&
           strcmp(got.password_hash, "hash-3") == 0 && got.phone_number == NULL &&
           strcmp(got.designation, "CEO") == 0 && got.sinch_phone_number == NULL &&
           got.role == ROLE_DEPARTMENT_HEAD && got.login_disabled && got.token_version == 4 &&
           got.updated_at == 1700000009000 && got.created_at == created,
       "user_update wrote every mutable column");
    is_int(r->ops->user_get_by_email(r, mixed, a, &got), -CRM_E_NOT_FOUND, "the old email is free");
    u.email = e3;   /* later's */
    is_int(s->ops->write(s, u_user_update, &u), -CRM_E_EMAIL_TAKEN, "user_update to a taken email");
    u.email = newmail;
    crm_user moved = u;
    strcpy(moved.org_id, o2.id);
    is_int(s->ops->write(s, u_user_update, &moved), -CRM_E_NOT_FOUND,
           "user_update does not move a user to another org");
    crm_user ghost = u;
    strcpy(ghost.id, unknown);
    ghost.email = "ghost@example.invalid";
    is_int(s->ops->write(s, u_user_update, &ghost), -CRM_E_NOT_FOUND, "user_update of an unknown id");
    arena_destroy(a);
}

static void test_org_phones(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, o2;
    crm_user u;
    char email[96];
    new_org(s, &o, "Phones");
    new_org(s, &o2, "Phones B");
    new_user(s, &u, o.id, ROLE_ADMIN, email);

    crm_org_phone p1 = {.e164 = "+14165550001", .provider = "twilio", .is_default = true,
                        .is_inbound_enabled = true, .created_at = 1000};
    crm_org_phone p2 = {.e164 = "+14165550002", .provider = "sinch", .created_at = 2000};
    strcpy(p2.target_user_id, u.id);
    is_int(s->ops->write(s, u_org_phone_insert, &(struct org_phone_arg){o.id, &p2, NULL}), 0,
           "org_phone_insert");
    is_int(s->ops->write(s, u_org_phone_insert, &(struct org_phone_arg){o.id, &p1, NULL}), 0,
           "org_phone_insert another");
    is_int(s->ops->write(s, u_org_phone_insert, &(struct org_phone_arg){o.id, &p1, NULL}),
           -CRM_E_PHONE_TAKEN, "the same number again → PHONE_TAKEN");
    is_int(s->ops->write(s, u_org_phone_insert, &(struct org_phone_arg){o2.id, &p1, NULL}), 0,
           "the same number in another org");

    crm_org_phone *list;
    size_t n;
    is_int(r->ops->org_phone_list(r, o.id, a, &list, &n), 0, "org_phone_list");
    is_int(n, 2, "two numbers");
    if (n == 2) {
        ok(strcmp(list[0].e164, "+14165550001") == 0 && strcmp(list[0].provider, "twilio") == 0 &&
               list[0].is_default && list[0].is_inbound_enabled && list[0].target_user_id[0] == 0 &&
               list[0].created_at == 1000,
           "first number round-trips (oldest first)");
        ok(strcmp(list[1].e164, "+14165550002") == 0 && strcmp(list[1].provider, "sinch") == 0 &&
               !list[1].is_default && !list[1].is_inbound_enabled &&
               strcmp(list[1].target_user_id, u.id) == 0 && list[1].created_at == 2000,
           "second number round-trips");
    }

    is_int(r->ops->org_phone_reserved(r, o.id, "+14165550001"), 1, "a provisioned number is reserved");
    is_int(r->ops->org_phone_reserved(r, o.id, "+14165550199"), 0, "another number is not");
    /* new_user gave no sinch number; give one. */
    u.sinch_phone_number = "+14165550199";
    s->ops->write(s, u_user_update, &u);
    is_int(r->ops->org_phone_reserved(r, o.id, "+14165550199"), 1, "a user's sinch number is reserved");
    is_int(r->ops->org_phone_reserved(r, o2.id, "+14165550199"), 0, "but not in another org");

    is_int(s->ops->write(s, u_org_phone_delete, &(struct org_phone_arg){o.id, NULL, "+14165550001"}), 0,
           "org_phone_delete");
    is_int(s->ops->write(s, u_org_phone_delete, &(struct org_phone_arg){o.id, NULL, "+14165550001"}),
           -CRM_E_NOT_FOUND, "org_phone_delete of an absent number");
    is_int(r->ops->org_phone_reserved(r, o.id, "+14165550001"), 0, "a deleted number is free");
    r->ops->org_phone_list(r, o.id, a, &list, &n);
    is_int(n, 1, "one number left");
    r->ops->org_phone_list(r, o2.id, a, &list, &n);
    is_int(n, 1, "the other org keeps its number");
    arena_destroy(a);
}

static bool same_pipeline(const crm_pipeline *got, const crm_pipeline *want)
{
    if (strcmp(got->id, want->id) || strcmp(got->org_id, want->org_id) || strcmp(got->name, want->name) ||
        strcmp(got->type, want->type) || got->is_default != want->is_default ||
        got->is_active != want->is_active || got->nstages != want->nstages ||
        got->created_at != want->created_at)
        return false;
    if ((got->description == NULL) != (want->description == NULL) ||
        (got->description && strcmp(got->description, want->description)))
        return false;
    for (size_t i = 0; i < got->nstages; i++) {
        const crm_stage *g = &got->stages[i];
        const crm_stage *w = &want->stages[want->nstages - 1 - i];   /* inserted in reverse */
        if (strcmp(g->id, w->id) || strcmp(g->name, w->name) || strcmp(g->color, w->color) ||
            g->position != (int)i || g->is_active != w->is_active)
            return false;
    }
    return true;
}

static void test_pipelines(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, ob;
    crm_pipeline p, p2, dup, got;
    crm_stage st[NSTAGES], st2[NSTAGES], st3[NSTAGES];
    new_org(s, &o, "Pipes");
    new_org(s, &ob, "Pipes B");

    is_int(new_pipeline(s, &p, st, o.id, "Sales", true), 0, "pipeline_insert (default)");
    is_int(new_pipeline(s, &p2, st2, o.id, "Partners", false), 0, "pipeline_insert (another)");
    is_int(r->ops->pipeline_get(r, o.id, p.id, a, &got), 0, "pipeline_get");
    ok(same_pipeline(&got, &p), "pipeline round-trips, stages ordered by position");
    ok(got.description == NULL && got.created_by[0] == 0, "absent description and creator");
    is_int(r->ops->pipeline_get_default(r, o.id, "Contact", a, &got), 0, "pipeline_get_default");
    is_str(str(got.id), str(p.id), "the default pipeline");
    is_int(r->ops->pipeline_get_default(r, o.id, "Application", a, &got), -CRM_E_NOT_FOUND,
           "no default of another type");
    is_int(r->ops->pipeline_get_by_stage(r, o.id, st2[2].id, a, &got), 0, "pipeline_get_by_stage");
    ok(same_pipeline(&got, &p2), "the pipeline holding the stage");

    is_int(new_pipeline(s, &dup, st3, o.id, "Sales", false), -CRM_E_NAME_TAKEN, "duplicate name → NAME_TAKEN");
    is_int(r->ops->pipeline_get(r, o.id, dup.id, a, &got), -CRM_E_NOT_FOUND, "and nothing was written");
    ok(new_pipeline(s, &dup, st3, o.id, "Second default", true) != 0, "a second default is refused");

    is_int(r->ops->pipeline_get(r, ob.id, p.id, a, &got), -CRM_E_NOT_FOUND, "org B cannot get org A's pipeline");
    is_int(r->ops->pipeline_get_default(r, ob.id, "Contact", a, &got), -CRM_E_NOT_FOUND,
           "org B has no default");
    is_int(r->ops->pipeline_get_by_stage(r, ob.id, st[0].id, a, &got), -CRM_E_NOT_FOUND,
           "org B cannot find org A's stage");
    is_int(new_pipeline(s, &dup, st3, ob.id, "Sales", true), 0, "the same name in another org");
    arena_destroy(a);
}

static bool same_contact(const crm_contact *g, const crm_contact *w)
{
#define STREQ(x, y) (((x) == NULL && (y) == NULL) || ((x) && (y) && strcmp((x), (y)) == 0))
    if (strcmp(g->id, w->id) || strcmp(g->org_id, w->org_id) || strcmp(g->user_id, w->user_id) ||
        strcmp(g->created_by, w->created_by) || !STREQ(g->first_name, w->first_name) ||
        !STREQ(g->last_name, w->last_name) || !STREQ(g->status, w->status) ||
        !STREQ(g->process, w->process) || !STREQ(g->source, w->source) ||
        strcmp(g->pipeline_id, w->pipeline_id) || strcmp(g->stage_id, w->stage_id) ||
        g->created_at != w->created_at || g->updated_at != w->updated_at || g->version != w->version)
        return false;
    if (g->nphones != w->nphones || g->nsecondary != w->nsecondary || g->nemails != w->nemails ||
        g->nassignees != w->nassignees)
        return false;
    for (size_t i = 0; i < g->nphones; i++)
        if (strcmp(g->phones[i].e164, w->phones[i].e164) || g->phones[i].is_primary != w->phones[i].is_primary)
            return false;
    for (size_t i = 0; i < g->nsecondary; i++)
        if (strcmp(g->secondary[i].e164, w->secondary[i].e164) ||
            g->secondary[i].is_primary != w->secondary[i].is_primary)
            return false;
    for (size_t i = 0; i < g->nemails; i++)
        if (!STREQ(g->emails[i].value, w->emails[i].value) || g->emails[i].is_primary != w->emails[i].is_primary)
            return false;
    for (size_t i = 0; i < g->nassignees; i++)
        if (strcmp(g->assignees[i], w->assignees[i]))
            return false;
    return true;
#undef STREQ
}

struct race { store *s; crm_contact ct; crm_phone phone; int rc; };
static void *race_insert(void *arg)
{
    struct race *x = arg;
    x->rc = x->s->ops->write(x->s, u_contact_insert, &x->ct);
    return NULL;
}

static void test_contacts(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, ob;
    crm_user u, u2, ub;
    char e1[96], e2[96], e3[96];
    crm_pipeline p, pb;
    crm_stage st[NSTAGES], stb[NSTAGES];
    crm_contact ct, got;
    objectid owner;

    new_org(s, &o, "Contacts");
    new_org(s, &ob, "Contacts B");
    new_user(s, &u, o.id, ROLE_ADMIN, e1);
    new_user(s, &u2, o.id, ROLE_SALES_REP, e2);
    new_user(s, &ub, ob.id, ROLE_ADMIN, e3);
    new_pipeline(s, &p, st, o.id, "Sales", true);
    new_pipeline(s, &pb, stb, ob.id, "Sales", true);

    crm_phone phones[2] = {{"+14165550100", true}, {"+14165550101", false}};
    crm_phone secondary[1] = {{"+14165550102", false}};
    crm_email emails[2] = {{"jane@example.com", true}, {"jane.doe@work.example", false}};
    objectid assignees[2];
    strcpy(assignees[0], u.id);
    strcpy(assignees[1], u2.id);
    new_contact(&ct, o.id, &p, u.id, phones, 2);
    ct.secondary = secondary;
    ct.nsecondary = 1;
    ct.emails = emails;
    ct.nemails = 2;
    ct.assignees = assignees;
    ct.nassignees = 2;
    ct.first_name = "Jane";
    ct.last_name = "Doe";
    ct.status = "Contacted";
    strcpy(ct.stage_id, st[NSTAGES - 2].id);
    ct.process = "Onboarding";
    ct.source = "Website";
    ct.updated_at = 1700000000999;
    ct.version = 2;
    is_int(s->ops->write(s, u_contact_insert, &ct), 0, "contact_insert");
    is_int(r->ops->contact_get(r, o.id, ct.id, a, &got), 0, "contact_get");
    ok(same_contact(&got, &ct), "contact round-trips every field, phones, emails and assignees");

    /* A contact with only what is required: absent strings are NULL, lists empty. */
    crm_phone lone[1] = {{"+14165550103", true}};
    crm_contact bare;
    new_contact(&bare, o.id, &p, u2.id, lone, 1);
    is_int(s->ops->write(s, u_contact_insert, &bare), 0, "contact_insert (bare)");
    is_int(r->ops->contact_get(r, o.id, bare.id, a, &got), 0, "contact_get (bare)");
    ok(same_contact(&got, &bare), "bare contact round-trips");
    ok(got.first_name == NULL && got.last_name == NULL && got.process == NULL && got.source == NULL &&
           got.nemails == 0 && got.nassignees == 0 && got.nsecondary == 0,
       "absent fields are NULL or empty");

    /* Uniqueness of numbers within the org, across slots; a failed unit leaves no trace. */
    crm_contact dup;
    crm_phone taken_primary[2] = {{"+14165550199", true}, {"+14165550100", false}};
    new_contact(&dup, o.id, &p, u.id, taken_primary, 2);
    is_int(s->ops->write(s, u_contact_insert, &dup), -CRM_E_PHONE_TAKEN, "a taken primary number → PHONE_TAKEN");
    is_int(r->ops->contact_get(r, o.id, dup.id, a, &got), -CRM_E_NOT_FOUND, "and no contact row was left");
    is_int(r->ops->phone_owner(r, o.id, "+14165550199", owner), -CRM_E_NOT_FOUND,
           "nor its first number");

    crm_phone fresh[1] = {{"+14165550198", true}};
    crm_phone taken_secondary[1] = {{"+14165550102", false}};
    new_contact(&dup, o.id, &p, u.id, fresh, 1);
    dup.secondary = taken_secondary;
    dup.nsecondary = 1;
    is_int(s->ops->write(s, u_contact_insert, &dup), -CRM_E_PHONE_TAKEN,
           "another contact's secondary number as primary slot → PHONE_TAKEN");
    crm_phone sec_as_primary[1] = {{"+14165550100", false}};
    dup.secondary = sec_as_primary;
    objectid_new(dup.id);
    is_int(s->ops->write(s, u_contact_insert, &dup), -CRM_E_PHONE_TAKEN,
           "another contact's primary number in the secondary slot → PHONE_TAKEN");
    crm_phone twice[2] = {{"+14165550197", true}, {"+14165550197", false}};
    new_contact(&dup, o.id, &p, u.id, twice, 2);
    is_int(s->ops->write(s, u_contact_insert, &dup), -CRM_E_PHONE_TAKEN, "the same number twice in one contact");
    is_int(r->ops->phone_owner(r, o.id, "+14165550198", owner), -CRM_E_NOT_FOUND, "the failed units left no number");

    new_contact(&dup, o.id, &p, u.id, fresh, 1);
    is_int(s->ops->write(s, u_contact_insert_then_fail, &dup), -CRM_E_VALIDATION_FAILED,
           "a unit that fails after its insert returns its own code");
    is_int(r->ops->contact_get(r, o.id, dup.id, a, &got), -CRM_E_NOT_FOUND, "and its contact is rolled back");
    is_int(s->ops->write(s, u_contact_insert, &dup), 0, "so its number is still free");

    /* Another org may hold the same number; neither sees the other's contact. */
    crm_contact cb;
    new_contact(&cb, ob.id, &pb, ub.id, phones, 1);
    is_int(s->ops->write(s, u_contact_insert, &cb), 0, "the same number in another org");
    is_int(r->ops->phone_owner(r, o.id, "+14165550100", owner), 0, "phone_owner");
    is_str(str(owner), str(ct.id), "org A's owner");
    is_int(r->ops->phone_owner(r, o.id, "+14165550102", owner), 0, "phone_owner of a secondary number");
    is_str(str(owner), str(ct.id), "the same contact");
    is_int(r->ops->phone_owner(r, ob.id, "+14165550100", owner), 0, "phone_owner in org B");
    is_str(str(owner), str(cb.id), "org B's owner");
    is_int(r->ops->contact_get(r, ob.id, ct.id, a, &got), -CRM_E_NOT_FOUND, "org B cannot get org A's contact");
    is_int(r->ops->contact_get(r, o.id, cb.id, a, &got), -CRM_E_NOT_FOUND, "nor A org B's");
    objectid unknown;
    objectid_new(unknown);
    is_int(r->ops->contact_get(r, o.id, unknown, a, &got), -CRM_E_NOT_FOUND, "contact_get of an unknown id");

    /* A contact must sit on a pipeline of its own org. */
    crm_phone other[1] = {{"+14165550150", true}};
    new_contact(&dup, o.id, &pb, u.id, other, 1);
    ok(s->ops->write(s, u_contact_insert, &dup) != 0, "a contact on another org's pipeline is refused");

    /* Eight concurrent creates with one number: exactly one wins. */
    enum { RACERS = 8 };
    struct race races[RACERS];
    pthread_t th[RACERS];
    int won = 0, taken = 0;
    for (int i = 0; i < RACERS; i++) {
        races[i].s = s;
        races[i].phone = (crm_phone){"+14165550177", true};
        new_contact(&races[i].ct, o.id, &p, u.id, &races[i].phone, 1);
        pthread_create(&th[i], NULL, race_insert, &races[i]);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        won += races[i].rc == 0;
        taken += races[i].rc == -CRM_E_PHONE_TAKEN;
    }
    ok(won == 1 && taken == RACERS - 1, "concurrent creates with one number: one wins, the rest PHONE_TAKEN");
    arena_destroy(a);
}

/* Contact listing (v2): every criterion against a reference model of the fixture. */

enum { LUSERS = 3, LCONTACTS = 11 };

/* A contact of the listing fixture, by indexes into the fixture's users and pipelines. */
typedef struct lspec {
    const char *first, *last;
    const char *emails[2];
    const char *phones[2];       /* the first is primary */
    const char *secondary;
    const char *status, *source;
    int pipeline, stage;         /* 0 or 1; the stage's position */
    int owner, creator;
    int assignees[2];            /* -1: none */
    int64_t created_at;
} lspec;

/* Ties on created_at (2, 3, 4) are broken by id; 7 and 8 hold LIKE and FTS5 syntax. */
static const lspec lfix[LCONTACTS] = {
    {"Jane", "Doe", {"jane.doe@example.com", NULL}, {"+12125550103", NULL}, "+14165550177",
     "New Lead", "Website", 0, 0, 0, 0, {0, -1}, 1000},
    {"John", "Smith", {"JOHN.SMITH@Work.Example", "js@example.net"}, {"+12125550104", NULL}, NULL,
     "Contacted", "Referral", 0, 1, 1, 0, {1, -1}, 2000},
    {"Zoe", "Angstrom", {"zoe@example.org", NULL}, {"+33612345678", NULL}, NULL,
     "New Lead", NULL, 1, 0, 2, 2, {-1, -1}, 3000},
    {"Madonna", NULL, {NULL, NULL}, {"+14165550100", NULL}, NULL,
     "Won", "Website", 0, 3, 0, 1, {2, -1}, 3000},
    {NULL, "Prince", {"prince@purple.example", NULL}, {"+14165550101", "+14165550102"}, NULL,
     "Contacted", "Ads", 0, 1, 1, 1, {1, 2}, 3000},
    {NULL, NULL, {NULL, NULL}, {"+15145550199", NULL}, NULL,
     "New Lead", NULL, 0, 0, 2, 0, {-1, -1}, 4000},
    {"Mary-Jane", "O'Neil", {"mj@example.com", NULL}, {"+12125550555", NULL}, "+12125550556",
     "Won", "Referral", 1, 2, 0, 0, {1, -1}, 5000},
    {"Percent", "100% Sure_Thing", {"pct@example.com", NULL}, {"+17025550000", NULL}, NULL,
     "New Lead", "Website", 0, 0, 1, 1, {1, -1}, 6000},
    {"Quote", "Say \"Hi\"", {"q@example.com", NULL}, {"+17025550001", NULL}, NULL,
     "Lost", "Ads", 0, 4, 1, 2, {0, 1}, 7000},
    {"Jo", "Li", {"jo@li.example", NULL}, {"+12125550000", NULL}, NULL,
     "New Lead", "Website", 0, 0, 2, 2, {2, -1}, 8000},
    {"Anna", "Lee", {"anna@example.com", NULL}, {"+19995551234", NULL}, NULL,
     "Contacted", "Website", 0, 1, 0, 0, {0, -1}, 9000},
};

typedef struct lfixture {
    crm_org org;
    crm_user users[LUSERS];
    char emails[LUSERS][96];
    crm_pipeline p[2];
    crm_stage st[2][NSTAGES];
    crm_contact ct[LCONTACTS];
    crm_phone phones[LCONTACTS][3];
    crm_email em[LCONTACTS][2];
    objectid assignees[LCONTACTS][2];
} lfixture;

static const char *lstage_id(const lfixture *f, int pipeline, int position)
{
    return f->st[pipeline][NSTAGES - 1 - position].id;   /* inserted in reverse */
}

static void make_lfixture(store *s, lfixture *f, const char *name)
{
    memset(f, 0, sizeof *f);
    new_org(s, &f->org, name);
    for (int i = 0; i < LUSERS; i++)
        new_user(s, &f->users[i], f->org.id, i ? ROLE_SALES_REP : ROLE_ADMIN, f->emails[i]);
    new_pipeline(s, &f->p[0], f->st[0], f->org.id, "Sales", true);
    new_pipeline(s, &f->p[1], f->st[1], f->org.id, "Partners", false);
    for (int i = 0; i < LCONTACTS; i++) {
        const lspec *sp = &lfix[i];
        crm_contact *ct = &f->ct[i];
        size_t np = 0;
        for (int k = 0; k < 2 && sp->phones[k]; k++, np++) {
            strcpy(f->phones[i][k].e164, sp->phones[k]);
            f->phones[i][k].is_primary = k == 0;
        }
        new_contact(ct, f->org.id, &f->p[sp->pipeline], f->users[sp->owner].id, f->phones[i], np);
        strcpy(ct->created_by, f->users[sp->creator].id);
        strcpy(ct->stage_id, lstage_id(f, sp->pipeline, sp->stage));
        ct->first_name = (char *)sp->first;
        ct->last_name = (char *)sp->last;
        ct->status = (char *)sp->status;
        ct->source = (char *)sp->source;
        if (sp->secondary) {
            strcpy(f->phones[i][2].e164, sp->secondary);
            ct->secondary = &f->phones[i][2];
            ct->nsecondary = 1;
        }
        for (int k = 0; k < 2 && sp->emails[k]; k++) {
            f->em[i][k] = (crm_email){(char *)sp->emails[k], k == 0};
            ct->nemails++;
        }
        ct->emails = f->em[i];
        for (int k = 0; k < 2 && sp->assignees[k] >= 0; k++)
            strcpy(f->assignees[i][ct->nassignees++], f->users[sp->assignees[k]].id);
        ct->assignees = f->assignees[i];
        ct->created_at = ct->updated_at = sp->created_at;
        if (s->ops->write(s, u_contact_insert, ct) != 0)
            fprintf(stderr, "# fixture: contact %d insert failed\n", i);
    }
}

/* A query of the table below, by fixture indexes plus one (0: not set). */
typedef struct lquery {
    const char *search, *digits, *status, *source;
    int stage_of, stage;         /* the stage at position `stage` of pipeline stage_of */
    int pipeline;
    enum contact_owner_mode owner_mode;
    int owner, visible;
    int64_t from, to;
} lquery;

#define LQ(...) {__VA_ARGS__}

static const lquery lqueries[] = {
    LQ(.search = NULL),
    /* search: names, "first last", emails, any case; under 3 characters by LIKE */
    LQ(.search = "jane"), LQ(.search = "JANE"), LQ(.search = "Doe"), LQ(.search = "e D"),
    LQ(.search = "Jane Doe"), LQ(.search = "ary-Jane O'N"), LQ(.search = "o'neil"),
    LQ(.search = "mith"), LQ(.search = "work.example"), LQ(.search = "WORK.EX"),
    LQ(.search = "@example.com"), LQ(.search = "example"), LQ(.search = "prince"),
    LQ(.search = "madonna"), LQ(.search = "Madonna "), LQ(.search = "nobody-like-this"),
    LQ(.search = "jo"), LQ(.search = "Jo"), LQ(.search = "J"), LQ(.search = "e"),
    LQ(.search = "o'"), LQ(.search = "@"), LQ(.search = "zz"),
    /* LIKE and FTS5 syntax is text */
    LQ(.search = "%"), LQ(.search = "_"), LQ(.search = "100%"), LQ(.search = "e_T"),
    LQ(.search = "Sure_"), LQ(.search = "\""), LQ(.search = "\"Hi\""), LQ(.search = "y \"H"),
    LQ(.search = "a*"), LQ(.search = "NEAR(a b)"), LQ(.search = "OR"), LQ(.search = "\\"),
    /* digits of primary and secondary numbers, in any format */
    LQ(.digits = "12125550103"), LQ(.digits = "5550103"), LQ(.digits = "(212) 555-0103"),
    LQ(.digits = "+1 212 555"), LQ(.digits = "4165550177"), LQ(.digits = "550102"),
    LQ(.digits = "0556"), LQ(.digits = "555"), LQ(.digits = "55"), LQ(.digits = "7"),
    LQ(.digits = "03 14"), LQ(.digits = "0103141"), LQ(.digits = "99999999"),
    LQ(.digits = "no digits"),
    /* both: either matches */
    LQ(.search = "anna", .digits = "4165550100"), LQ(.search = "an", .digits = "33"),
    LQ(.search = "nobody", .digits = "55"), LQ(.search = "z", .digits = "5145550199"),
    /* exact filters */
    LQ(.status = "New Lead"), LQ(.status = "new lead"), LQ(.status = "Won"), LQ(.source = "Website"),
    LQ(.source = "Ads", .status = "Contacted"), LQ(.stage_of = 1, .stage = 1),
    LQ(.stage_of = 2, .stage = 0), LQ(.pipeline = 2), LQ(.pipeline = 1, .status = "Won"),
    /* owners, visibility */
    LQ(.owner_mode = CONTACT_OWNER_USER, .owner = 1), LQ(.owner_mode = CONTACT_OWNER_USER, .owner = 2),
    LQ(.owner_mode = CONTACT_OWNER_USER, .owner = 3), LQ(.owner_mode = CONTACT_OWNER_UNASSIGNED),
    LQ(.visible = 1), LQ(.visible = 2), LQ(.visible = 3),
    LQ(.owner_mode = CONTACT_OWNER_USER, .owner = 3, .visible = 2),
    LQ(.owner_mode = CONTACT_OWNER_UNASSIGNED, .visible = 3),
    /* dates, inclusive */
    LQ(.from = 3000), LQ(.to = 3000), LQ(.from = 3000, .to = 3000), LQ(.from = 2001, .to = 6999),
    LQ(.from = 9001),
    /* combinations: each driver with row filters */
    LQ(.search = "example", .stage_of = 1, .stage = 1), LQ(.search = "example", .visible = 2),
    LQ(.search = "example", .owner_mode = CONTACT_OWNER_USER, .owner = 2, .from = 2000),
    LQ(.search = "e", .visible = 2), LQ(.search = "e", .owner_mode = CONTACT_OWNER_USER, .owner = 1),
    LQ(.search = "example", .owner_mode = CONTACT_OWNER_USER, .owner = 1),
    LQ(.digits = "555", .owner_mode = CONTACT_OWNER_USER, .owner = 1), LQ(.digits = "555", .visible = 2),
    LQ(.search = "jo", .digits = "55", .visible = 3), LQ(.digits = "555", .source = "Website"),
    LQ(.digits = "55", .owner_mode = CONTACT_OWNER_UNASSIGNED),
    LQ(.owner_mode = CONTACT_OWNER_USER, .owner = 2, .status = "Contacted", .to = 5000),
    LQ(.visible = 3, .pipeline = 1, .from = 3000), LQ(.search = "jane", .from = 2000),
    LQ(.search = "example", .from = 3000, .to = 7000), LQ(.status = "New Lead", .from = 3000, .to = 8000),
};

static bool has_ci(const char *hay, const char *needle)
{
    if (!hay)
        return false;
    for (size_t n = strlen(needle); *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return !*needle;
}

static bool has_digits(const char *e164, const char *digits)
{
    char d[32];
    size_t n = 0;
    for (; *e164 && n + 1 < sizeof d; e164++)
        if (isdigit((unsigned char)*e164))
            d[n++] = *e164;
    d[n] = 0;
    return strstr(d, digits) != NULL;
}

static bool in_list(const crm_contact *ct, const char *user)
{
    for (size_t i = 0; i < ct->nassignees; i++)
        if (strcmp(ct->assignees[i], user) == 0)
            return true;
    return false;
}

/* The reference: does contact i of f match q? (ASCII-only case folding, like the fixture) */
static bool lmatch(const lfixture *f, int i, const contact_query *q, const char *digits)
{
    const crm_contact *ct = &f->ct[i];
    bool search = q->search && *q->search, dig = digits && *digits;
    if (search || dig) {
        bool hit = false;
        if (search) {
            char full[256] = "";
            if (ct->first_name && ct->last_name)
                snprintf(full, sizeof full, "%s %s", ct->first_name, ct->last_name);
            hit = has_ci(ct->first_name, q->search) || has_ci(ct->last_name, q->search) ||
                  (*full && has_ci(full, q->search));
            for (size_t k = 0; k < ct->nemails; k++)
                hit = hit || has_ci(ct->emails[k].value, q->search);
        }
        for (size_t k = 0; dig && k < ct->nphones; k++)
            hit = hit || has_digits(ct->phones[k].e164, digits);
        for (size_t k = 0; dig && k < ct->nsecondary; k++)
            hit = hit || has_digits(ct->secondary[k].e164, digits);
        if (!hit)
            return false;
    }
#define EQ(field, want) (!(want) || ((field) && strcmp((field), (want)) == 0))
    if (!EQ(ct->status, q->status) || !EQ(ct->source, q->source) || !EQ(ct->stage_id, q->stage_id) ||
        !EQ(ct->pipeline_id, q->pipeline_id))
        return false;
#undef EQ
    if (q->owner_mode == CONTACT_OWNER_USER &&
        strcmp(ct->user_id, q->owner_id) != 0 && !in_list(ct, q->owner_id))
        return false;
    if (q->owner_mode == CONTACT_OWNER_UNASSIGNED && ct->nassignees)
        return false;
    if (q->visible_to && strcmp(ct->user_id, q->visible_to) != 0 &&
        strcmp(ct->created_by, q->visible_to) != 0 && !in_list(ct, q->visible_to))
        return false;
    if ((q->created_from && ct->created_at < q->created_from) || (q->created_to && ct->created_at > q->created_to))
        return false;
    if (q->after && (ct->created_at > q->after_created_at ||
                     (ct->created_at == q->after_created_at && strcmp(ct->id, q->after_id) >= 0)))
        return false;
    return true;
}

/* Newest first, ties by id, larger first. */
static int lnewer(const crm_contact *a, const crm_contact *b)
{
    if (a->created_at != b->created_at)
        return a->created_at > b->created_at ? -1 : 1;
    return -strcmp(a->id, b->id);
}

/* The reference list of q: indexes into f->ct, in list order. */
static size_t lexpect(const lfixture *f, const contact_query *q, int out[LCONTACTS])
{
    char digits[64] = "";
    size_t n = 0, nd = 0;
    for (const char *p = q->search_digits; p && *p && nd + 1 < sizeof digits; p++)
        if (isdigit((unsigned char)*p))
            digits[nd++] = *p;
    digits[nd] = 0;
    for (int i = 0; i < LCONTACTS; i++) {
        if (!lmatch(f, i, q, digits))
            continue;
        size_t j = n++;
        for (; j > 0 && lnewer(&f->ct[i], &f->ct[out[j - 1]]) < 0; j--)
            out[j] = out[j - 1];
        out[j] = i;
    }
    return n;
}

static contact_query lquery_of(const lfixture *f, const lquery *lq)
{
    contact_query q = {.search = lq->search, .search_digits = lq->digits, .status = lq->status,
                       .source = lq->source, .owner_mode = lq->owner_mode,
                       .created_from = lq->from, .created_to = lq->to, .limit = 100};
    if (lq->stage_of)
        q.stage_id = lstage_id(f, lq->stage_of - 1, lq->stage);
    if (lq->pipeline)
        q.pipeline_id = f->p[lq->pipeline - 1].id;
    if (lq->owner)
        q.owner_id = f->users[lq->owner - 1].id;
    if (lq->visible)
        q.visible_to = f->users[lq->visible - 1].id;
    return q;
}

/* Runs q and compares the ids, in order, and the total with the reference. */
static bool lcheck(store_conn *r, const lfixture *f, const contact_query *q, arena *a, char *why, size_t whylen)
{
    int want[LCONTACTS];
    size_t nwant = lexpect(f, q, want), n = 0, from = q->after ? 0 : (size_t)q->offset;
    crm_contact *got = NULL;
    int64_t total = -1;
    contact_query all = *q;
    all.after = false;
    int wall[LCONTACTS];
    size_t ntotal = lexpect(f, &all, wall);
    int rc = r->ops->contact_list(r, f->org.id, q, a, &got, &n, &total);
    if (rc) {
        snprintf(why, whylen, "rc %d", rc);
        return false;
    }
    size_t end = nwant;
    if (q->limit >= 0 && from + (size_t)q->limit < end)
        end = from + (size_t)q->limit;
    size_t expect_n = from < end ? end - from : 0;
    if (total != (int64_t)ntotal || n != expect_n) {
        snprintf(why, whylen, "total %lld want %zu, rows %zu want %zu", (long long)total, ntotal, n, expect_n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(got[i].id, f->ct[want[from + i]].id) != 0) {
            snprintf(why, whylen, "row %zu is not contact %d", i, want[from + i]);
            return false;
        }
    }
    return true;
}

static void test_contact_list_reference(store *s, lfixture *f, lfixture *fb)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    char why[160];
    int failed = 0;

    for (size_t i = 0; i < sizeof lqueries / sizeof lqueries[0]; i++) {
        const lquery *lq = &lqueries[i];
        contact_query q = lquery_of(f, lq);
        char label[200];
        snprintf(label, sizeof label, "query %zu (search '%s', digits '%s')", i, lq->search ? lq->search : "",
                 lq->digits ? lq->digits : "");
        /* the whole list; a window of it by offset; the rest of it by keyset; org B's */
        why[0] = 0;
        bool good = lcheck(r, f, &q, a, why, sizeof why);
        contact_query w = q;
        w.offset = 1;
        w.limit = 2;
        good = good && lcheck(r, f, &w, a, why, sizeof why);
        int order[LCONTACTS];
        size_t n = lexpect(f, &q, order);
        if (good && n >= 2) {
            contact_query k = q;
            k.after = true;
            k.after_created_at = f->ct[order[1]].created_at;
            strcpy(k.after_id, f->ct[order[1]].id);
            good = lcheck(r, f, &k, a, why, sizeof why);
            k.limit = 1;
            good = good && lcheck(r, f, &k, a, why, sizeof why);
        }
        contact_query qb = lquery_of(fb, lq);
        good = good && lcheck(r, fb, &qb, a, why, sizeof why);
        if (!ok(good, "contact_list %s matches the reference", label)) {
            fprintf(stderr, "#   %s\n", why);
            failed++;
        }
        arena_reset(a);
    }
    (void)failed;
    arena_destroy(a);
}

static void test_contact_list(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    lfixture *f = calloc(2, sizeof *f), *fb = f + 1;
    crm_contact *got = NULL, one;
    size_t n = 0;
    int64_t total = -1;

    make_lfixture(s, f, "Listing");
    make_lfixture(s, fb, "Listing B");   /* the same contacts (and numbers) in another org */
    test_contact_list_reference(s, f, fb);

    /* Rows are whole records, like contact_get. */
    contact_query q = {.limit = 100};
    is_int(r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total), 0, "contact_list");
    bool whole = n == LCONTACTS;
    for (size_t i = 0; whole && i < n; i++)
        whole = r->ops->contact_get(r, f->org.id, got[i].id, a, &one) == 0 && same_contact(&got[i], &one);
    ok(whole, "listed contacts are whole records: phones, secondary numbers, emails, assignees");
    if (n == LCONTACTS) {
        const crm_contact *jane = &got[LCONTACTS - 1];
        ok(jane->nphones == 1 && jane->nsecondary == 1 && jane->nemails == 1 && jane->nassignees == 1 &&
               strcmp(jane->secondary[0].e164, "+14165550177") == 0,
           "the oldest is Jane, with her secondary number");
    }

    /* limit 0: only the total; negative: no limit; NULL total: not computed. */
    q = (contact_query){.limit = 0};
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == LCONTACTS, "limit 0 gives no rows and the total");
    q = (contact_query){.limit = -1, .offset = 9};
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == LCONTACTS - 9 && total == LCONTACTS, "a negative limit is no limit");
    q = (contact_query){.limit = 5, .offset = 50, .search = "example"};
    int order[LCONTACTS];
    size_t nexample = lexpect(f, &q, order);
    total = -1;
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == (int64_t)nexample && nexample == 9, "past the end of a search: no rows, its total (%lld)",
       (long long)total);
    q = (contact_query){.limit = 3};
    is_int(r->ops->contact_list(r, f->org.id, &q, a, &got, &n, NULL), 0, "contact_list without a total");
    is_int(n, 3, "three rows");

    /* Case folding beyond ASCII, in a search of 3 characters or more. */
    crm_phone uphone[1] = {{"+14165550900", true}};
    crm_contact uc;
    new_contact(&uc, f->org.id, &f->p[0], f->users[0].id, uphone, 1);
    uc.first_name = "Zoë";
    uc.last_name = "Ångström";
    uc.created_at = 10000;
    is_int(s->ops->write(s, u_contact_insert, &uc), 0, "a contact with a non-ASCII name");
    q = (contact_query){.limit = 10, .search = "ÅNGSTR"};
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 1 && total == 1 && strcmp(got[0].id, uc.id) == 0, "ÅNGSTR finds Ångström");
    q.search = "zoë å";
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 1 && strcmp(got[0].id, uc.id) == 0, "zoë å finds Zoë Ångström");
    q.search = "ZOË";
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 1 && strcmp(got[0].id, uc.id) == 0, "ZOË finds Zoë");

    /* A unit that fails after its insert leaves nothing in the indexes. */
    crm_phone gphone[1] = {{"+14165550901", true}};
    crm_contact ghost;
    new_contact(&ghost, f->org.id, &f->p[0], f->users[1].id, gphone, 1);
    ghost.first_name = "Ghostly";
    is_int(s->ops->write(s, u_contact_insert_then_fail, &ghost), -CRM_E_VALIDATION_FAILED, "a failed unit");
    q = (contact_query){.limit = 10, .search = "ghostly"};
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "its contact is not found by name");
    q = (contact_query){.limit = 10, .search_digits = "4165550901"};
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "nor by number");
    q = (contact_query){.limit = 100, .owner_mode = CONTACT_OWNER_USER, .owner_id = f->users[1].id};
    r->ops->contact_list(r, f->org.id, &q, a, &got, &n, &total);
    bool absent = true;
    for (size_t i = 0; i < n; i++)
        absent = absent && strcmp(got[i].id, ghost.id) != 0;
    ok(absent, "nor among its owner's contacts");

    /* Tenant isolation beyond the reference: another org's ids and users find nothing. */
    q = (contact_query){.limit = 100, .owner_mode = CONTACT_OWNER_USER, .owner_id = f->users[0].id};
    r->ops->contact_list(r, fb->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "org B: owned by a user of org A → nothing");
    q = (contact_query){.limit = 100, .visible_to = f->users[1].id};
    r->ops->contact_list(r, fb->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "org B: visible to a user of org A → nothing");
    q = (contact_query){.limit = 100, .stage_id = lstage_id(f, 0, 0)};
    r->ops->contact_list(r, fb->org.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "org B: on a stage of org A → nothing");
    crm_org empty;
    new_org(s, &empty, "Empty");
    q = (contact_query){.limit = 100, .search = "jane", .search_digits = "555"};
    r->ops->contact_list(r, empty.id, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "an org without contacts finds none of the others'");

    free(f);
    arena_destroy(a);
}

/* Keyset paging over many contacts that share one created_at: every contact once. */
enum { KEYSET_N = 250, KEYSET_PAGE = 7 };
struct keyset_arg { crm_contact *ct; crm_phone *phones; };

static int u_insert_many(store_conn *c, void *arg)
{
    struct keyset_arg *k = arg;
    for (int i = 0; i < KEYSET_N; i++) {
        int rc = c->ops->contact_insert(c, &k->ct[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_id_desc(const void *a, const void *b)
{
    return -strcmp((const char *)a, (const char *)b);
}

static void test_contact_keyset(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o;
    crm_user u;
    char email[96];
    crm_pipeline p;
    crm_stage st[NSTAGES];
    new_org(s, &o, "Keyset");
    new_user(s, &u, o.id, ROLE_ADMIN, email);
    new_pipeline(s, &p, st, o.id, "Sales", true);

    struct keyset_arg k = {calloc(KEYSET_N, sizeof *k.ct), calloc(KEYSET_N, sizeof *k.phones)};
    objectid *ids = calloc(KEYSET_N, sizeof *ids);
    for (int i = 0; i < KEYSET_N; i++) {
        snprintf(k.phones[i].e164, sizeof k.phones[i].e164, "+1416555%04u", (unsigned)i % 10000u);
        k.phones[i].is_primary = true;
        new_contact(&k.ct[i], o.id, &p, u.id, &k.phones[i], 1);
        k.ct[i].first_name = "Twin";
        k.ct[i].created_at = 1700000000000;   /* all equal: only the id orders them */
        strcpy(ids[i], k.ct[i].id);
    }
    is_int(s->ops->write(s, u_insert_many, &k), 0, "250 contacts with one created_at");
    qsort(ids, KEYSET_N, sizeof *ids, cmp_id_desc);

    /* The same walk unfiltered, through a search, through the owner's and the visible rows. */
    static const char *const kinds[] = {"unfiltered", "search", "digits", "owner", "visible", "status"};
    for (size_t kind = 0; kind < sizeof kinds / sizeof kinds[0]; kind++) {
        contact_query q = {.limit = KEYSET_PAGE};
        if (kind == 1)
            q.search = "twin";
        if (kind == 2)
            q.search_digits = "4165550";
        if (kind == 3) {
            q.owner_mode = CONTACT_OWNER_USER;
            q.owner_id = u.id;
        }
        if (kind == 4)
            q.visible_to = u.id;
        if (kind == 5)
            q.status = "New Lead";
        int seen = 0, pages = 0;
        bool in_order = true, totals = true;
        for (;;) {
            crm_contact *got = NULL;
            size_t n = 0;
            int64_t total = -1;
            if (r->ops->contact_list(r, o.id, &q, a, &got, &n, &total) != 0)
                break;
            pages++;
            totals = totals && total == KEYSET_N;
            for (size_t i = 0; i < n && seen < KEYSET_N; i++, seen++)
                in_order = in_order && strcmp(got[i].id, ids[seen]) == 0 && got[i].nphones == 1;
            if (n < (size_t)KEYSET_PAGE)
                break;
            q.after = true;
            q.after_created_at = got[n - 1].created_at;
            strcpy(q.after_id, got[n - 1].id);
            arena_reset(a);
        }
        ok(seen == KEYSET_N && in_order && totals && pages == KEYSET_N / KEYSET_PAGE + 1,
           "keyset paging (%s) over 250 equal timestamps sees each contact once, by id (%d seen, %d pages)",
           kinds[kind], seen, pages);
    }

    /* Offset paging agrees. */
    contact_query q = {.limit = 100, .offset = 200};
    crm_contact *got = NULL;
    size_t n = 0;
    int64_t total = -1;
    r->ops->contact_list(r, o.id, &q, a, &got, &n, &total);
    ok(n == 50 && total == KEYSET_N && strcmp(got[0].id, ids[200]) == 0 && strcmp(got[49].id, ids[249]) == 0,
       "offset paging: the last 50");
    free(k.ct);
    free(k.phones);
    free(ids);
    arena_destroy(a);
}

static int u_pipeline_clear_default(store_conn *c, void *arg)
{
    struct kv *kv = arg;
    return c->ops->pipeline_clear_default(c, kv->k, kv->v);
}

static void test_pipeline_list(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, ob;
    crm_pipeline p1, p2, p3, app, got;
    crm_stage st1[NSTAGES], st2[NSTAGES], st3[NSTAGES], sta[NSTAGES];
    new_org(s, &o, "Pipe list");
    new_org(s, &ob, "Pipe list B");

    crm_pipeline *list = NULL;
    size_t n = 99;
    is_int(r->ops->pipeline_list(r, o.id, NULL, a, &list, &n), 0, "pipeline_list of an org without pipelines");
    is_int(n, 0, "empty");

    /* Made in this order, but created: Older (1000), Newest (3000), Sales (2000, the default);
     * and one more at 3000, after Newest by id. */
    pipeline_time = 3000;
    new_pipeline(s, &p3, st3, o.id, "Newest", false);
    pipeline_time = 1000;
    new_pipeline(s, &p2, st2, o.id, "Older", false);
    pipeline_time = 2000;
    new_pipeline(s, &p1, st1, o.id, "Sales", true);
    pipeline_time = 3000;
    new_pipeline(s, &app, sta, o.id, "Also newest", false);
    pipeline_time = 0;
    is_int(r->ops->pipeline_list(r, o.id, "Contact", a, &list, &n), 0, "pipeline_list of a type");
    is_int(n, 4, "four Contact pipelines");
    if (n == 4) {
        ok(strcmp(list[0].id, p1.id) == 0, "the default first");
        ok(strcmp(list[1].id, p2.id) == 0 && strcmp(list[2].id, p3.id) == 0 && strcmp(list[3].id, app.id) == 0,
           "then by created_at, then id");
        ok(same_pipeline(&list[0], &p1) && same_pipeline(&list[2], &p3), "listed pipelines have their stages");
    }
    is_int(r->ops->pipeline_list(r, o.id, NULL, a, &list, &n), 0, "pipeline_list of every type");
    is_int(n, 4, "every type: the same four");
    is_int(r->ops->pipeline_list(r, o.id, "", a, &list, &n), 0, "pipeline_list of type \"\"");
    is_int(n, 4, "is every type too");
    is_int(r->ops->pipeline_list(r, o.id, "Application", a, &list, &n), 0, "pipeline_list of another type");
    is_int(n, 0, "none of type Application (the fixtures are Contact pipelines)");
    is_int(r->ops->pipeline_list(r, ob.id, NULL, a, &list, &n), 0, "pipeline_list of org B");
    is_int(n, 0, "org B sees none of org A's");

    /* Moving the default: clear, then insert (or update) another default. */
    crm_pipeline nd;
    crm_stage stn[NSTAGES];
    crm_pipeline bd;
    crm_stage stb[NSTAGES];
    new_pipeline(s, &bd, stb, ob.id, "B default", true);
    ok(new_pipeline(s, &nd, stn, o.id, "New default", true) != 0, "a second default is refused");
    is_int(s->ops->write(s, u_pipeline_clear_default, &(struct kv){o.id, "Contact"}), 0, "pipeline_clear_default");
    is_int(r->ops->pipeline_get_default(r, o.id, "Contact", a, &got), -CRM_E_NOT_FOUND, "no default left");
    is_int(r->ops->pipeline_get(r, o.id, p1.id, a, &got), 0, "the old default is still there");
    ok(!got.is_default, "no longer the default");
    is_int(new_pipeline(s, &nd, stn, o.id, "New default", true), 0, "so a new default can be inserted");
    is_int(r->ops->pipeline_get_default(r, o.id, "Contact", a, &got), 0, "pipeline_get_default");
    is_str(str(got.id), str(nd.id), "the new default");
    r->ops->pipeline_list(r, o.id, NULL, a, &list, &n);
    ok(n == 5 && strcmp(list[0].id, nd.id) == 0, "and it lists first");
    is_int(s->ops->write(s, u_pipeline_clear_default, &(struct kv){o.id, "Application"}), 0,
           "pipeline_clear_default of a type without a default");
    is_int(r->ops->pipeline_get_default(r, ob.id, "Contact", a, &got), 0, "org B keeps its default");
    is_str(str(got.id), str(bd.id), "org B's default");
    arena_destroy(a);
}

struct idem_arg {
    const char *org, *user, *key, *hash, *body;
    int status;
    int64_t at;
};

static int u_idem_put(store_conn *c, void *arg)
{
    struct idem_arg *x = arg;
    return c->ops->idempotency_put(c, x->org, x->user, x->key, x->hash, x->status, x->body, x->at);
}

struct purge_arg { int64_t before, limit, deleted; };
static int u_idem_purge(store_conn *c, void *arg)
{
    struct purge_arg *p = arg;
    return c->ops->idempotency_purge(c, p->before, p->limit, &p->deleted);
}

/* get then put in one unit, the way the service uses them */
static int u_idem_get_put(store_conn *c, void *arg)
{
    struct idem_arg *x = arg;
    arena *a = arena_new();
    char *hash, *body;
    int status;
    int rc = c->ops->idempotency_get(c, x->org, x->user, x->key, x->at - 86400000, a, &hash, &status, &body);
    if (rc == -CRM_E_NOT_FOUND)
        rc = c->ops->idempotency_put(c, x->org, x->user, x->key, x->hash, x->status, x->body, x->at);
    else if (rc == 0)
        rc = -CRM_E_IDEMPOTENCY_KEY_REUSED;
    arena_destroy(a);
    return rc;
}

static void test_idempotency(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, ob;
    crm_user u, u2;
    char e1[96], e2[96];
    new_org(s, &o, "Idem");
    new_org(s, &ob, "Idem B");
    new_user(s, &u, o.id, ROLE_ADMIN, e1);
    new_user(s, &u2, o.id, ROLE_SALES_REP, e2);
    char *hash = NULL, *body = NULL;
    int status = 0;
    const int64_t day = 86400000, t0 = 1700000000000;

    is_int(r->ops->idempotency_get(r, o.id, u.id, "k1", 0, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "idempotency_get of an unknown key");
    struct idem_arg x = {o.id, u.id, "k1", "hash-1", "{\"success\":true}", 201, t0};
    is_int(s->ops->write(s, u_idem_put, &x), 0, "idempotency_put");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "k1", t0 - day, a, &hash, &status, &body), 0, "idempotency_get");
    ok(hash && strcmp(hash, "hash-1") == 0 && status == 201 && body && strcmp(body, "{\"success\":true}") == 0,
       "the record round-trips");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "k1", t0, a, &hash, &status, &body), 0,
           "a record exactly at since_ms is live");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "k1", t0 + 1, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "an older record is expired");
    is_int(r->ops->idempotency_get(r, o.id, u2.id, "k1", 0, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "another user's key");
    is_int(r->ops->idempotency_get(r, ob.id, u.id, "k1", 0, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "another org's key");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "K1", 0, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "keys are case-sensitive");

    /* The same key, per user and per org. */
    struct idem_arg x2 = {o.id, u2.id, "k1", "hash-2", "{}", 409, t0};
    is_int(s->ops->write(s, u_idem_put, &x2), 0, "the same key for another user");
    struct idem_arg xb = {ob.id, u.id, "k1", "hash-b", "{}", 201, t0};
    is_int(s->ops->write(s, u_idem_put, &xb), 0, "the same key in another org");
    r->ops->idempotency_get(r, o.id, u.id, "k1", 0, a, &hash, &status, &body);
    ok(strcmp(hash, "hash-1") == 0 && status == 201, "the first record is untouched");

    /* Within 24 h the unit finds it; after, put replaces it. */
    struct idem_arg again = {o.id, u.id, "k1", "hash-3", "{\"again\":1}", 201, t0 + day - 1};
    is_int(s->ops->write(s, u_idem_get_put, &again), -CRM_E_IDEMPOTENCY_KEY_REUSED, "a live record is found in the unit");
    again.at = t0 + day + 1;
    is_int(s->ops->write(s, u_idem_get_put, &again), 0, "an expired record is replaced");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "k1", t0 + 1, a, &hash, &status, &body), 0, "the new record");
    ok(strcmp(hash, "hash-3") == 0 && strcmp(body, "{\"again\":1}") == 0, "with the new hash and body");
    struct idem_arg nobody = {o.id, u.id, "k2", "hash-4", NULL, 500, t0};
    is_int(s->ops->write(s, u_idem_put, &nobody), 0, "a record without a body");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "k2", 0, a, &hash, &status, &body), 0, "reads back");
    ok(body == NULL && status == 500, "with a NULL body");

    /* The purge of records past their time, in batches. */
    struct idem_arg old1 = {o.id, u.id, "p1", "h", "{}", 201, t0 - 30 * day};
    struct idem_arg old2 = {ob.id, u.id, "p2", "h", "{}", 201, t0 - 30 * day + 1};
    is_int(s->ops->write(s, u_idem_put, &old1), 0, "an old record");
    is_int(s->ops->write(s, u_idem_put, &old2), 0, "another, in another org");
    struct purge_arg pa = {t0 - 29 * day, 1, -1};
    is_int(s->ops->write(s, u_idem_purge, &pa), 0, "idempotency_purge, one at a time");
    is_int(pa.deleted, 1, "one record went");
    pa.limit = 10;
    is_int(s->ops->write(s, u_idem_purge, &pa), 0, "idempotency_purge again");
    is_int(pa.deleted, 1, "the other went");
    is_int(s->ops->write(s, u_idem_purge, &pa), 0, "and again");
    is_int(pa.deleted, 0, "nothing is left to purge");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "p1", 0, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "the purged record is gone");
    is_int(r->ops->idempotency_get(r, ob.id, u.id, "p2", 0, a, &hash, &status, &body), -CRM_E_NOT_FOUND,
           "from every organization");
    is_int(r->ops->idempotency_get(r, o.id, u.id, "k2", 0, a, &hash, &status, &body), 0,
           "a newer record stays");
    arena_destroy(a);
}

static void test_event_log(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o, ob;
    objectid u1, u2, c1, c2;
    new_org(s, &o, "Logs");
    new_org(s, &ob, "Logs B");
    objectid_new(u1);
    objectid_new(u2);
    objectid_new(c1);
    objectid_new(c2);

    /* 10 entries: created_at 1000..10000; user u1 on even i, contact c1 on i < 5. */
    crm_event_log e[10];
    for (int i = 0; i < 10; i++) {
        memset(&e[i], 0, sizeof e[i]);
        objectid_new(e[i].id);
        strcpy(e[i].org_id, o.id);
        strcpy(e[i].user_id, i % 2 == 0 ? u1 : u2);
        strcpy(e[i].contact_id, i < 5 ? c1 : c2);
        e[i].type = i == 9 ? "CONTACT_DELETE" : "CONTACT_CREATE";
        e[i].source = "manual";
        e[i].changes_json = i == 3 ? NULL : "{\"status\":{\"from\":\"a\",\"to\":\"b\"}}";
        e[i].created_at = (i + 1) * 1000;
    }
    /* Two with the same created_at: the tie is broken by id, newest (larger) first. */
    e[7].created_at = e[6].created_at;
    for (int i = 9; i >= 0; i--)   /* insertion order must not matter */
        if (s->ops->write(s, u_event_log_insert, &e[i]) != 0)
            fprintf(stderr, "# event_log_insert %d failed\n", i);
    crm_event_log other = e[0];
    objectid_new(other.id);
    strcpy(other.org_id, ob.id);
    is_int(s->ops->write(s, u_event_log_insert, &other), 0, "event_log_insert in another org");

    crm_event_log *list;
    size_t n;
    int64_t total;
    event_log_filter f = {.limit = 100};
    is_int(r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total), 0, "event_log_list");
    is_int(n, 10, "all ten of the org");
    is_int(total, 10, "total");
    bool order = n == 10;
    for (size_t i = 0; order && i < n; i++) {
        int want = 9 - (int)i;
        if (want == 7 || want == 6)   /* tie at 7000: larger id first */
            want = strcmp(e[7].id, e[6].id) > 0 ? (i == 2 ? 7 : 6) : (i == 2 ? 6 : 7);
        order = strcmp(list[i].id, e[want].id) == 0;
    }
    ok(order, "newest first, ties by id");
    if (n == 10) {
        const crm_event_log *g = &list[9];   /* e[0] */
        ok(strcmp(g->org_id, o.id) == 0 && strcmp(g->user_id, u1) == 0 && strcmp(g->contact_id, c1) == 0 &&
               strcmp(g->type, "CONTACT_CREATE") == 0 && strcmp(g->source, "manual") == 0 &&
               strcmp(g->changes_json, e[0].changes_json) == 0 && g->created_at == 1000,
           "entry round-trips every field");
        ok(list[6].changes_json == NULL, "NULL changes round-trip");   /* e[3] */
    }

    f = (event_log_filter){.user_id = u1, .limit = 100};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 5 && total == 5 && strcmp(list[0].id, e[8].id) == 0, "filter by user");
    f = (event_log_filter){.contact_id = c1, .limit = 100};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 5 && total == 5 && strcmp(list[0].id, e[4].id) == 0, "filter by contact");
    f = (event_log_filter){.user_id = u2, .contact_id = c1, .limit = 100};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 2 && total == 2 && strcmp(list[0].id, e[3].id) == 0 && strcmp(list[1].id, e[1].id) == 0,
       "filter by user and contact");
    f = (event_log_filter){.since_ms = 9000, .limit = 100};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 2 && total == 2 && strcmp(list[1].id, e[8].id) == 0, "filter since (inclusive)");
    f = (event_log_filter){.user_id = u1, .since_ms = 5000, .limit = 100};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 3 && total == 3 && strcmp(list[2].id, e[4].id) == 0, "filter by user since");
    f = (event_log_filter){.offset = 2, .limit = 3};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 3 && total == 10 && strcmp(list[2].id, e[5].id) == 0, "offset and limit; total is of all pages");
    f = (event_log_filter){.offset = 8, .limit = 3};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 2 && total == 10, "the last page is short");
    f = (event_log_filter){.offset = 20, .limit = 3};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    ok(n == 0 && total == 10, "past the end: no rows, the same total");
    f = (event_log_filter){.user_id = u1, .limit = 100};
    r->ops->event_log_list(r, ob.id, &f, a, &list, &n, &total);
    ok(n == 1 && total == 1 && strcmp(list[0].id, other.id) == 0, "another org sees only its own");
    arena_destroy(a);
}

static void test_events(store *s)
{
    crm_org o;
    new_org(s, &o, "Events");
    struct append_arg x = {o.id, "contact_created", "{\"contact\":{\"_id\":\"x\"}}", 0};
    store_conn *r = s->ops->reader(s);
    int64_t prev = 0;
    bool increasing = true;
    for (int i = 0; i < 5; i++) {
        int64_t newest = -1;
        if (s->ops->write(s, u_event_append, &x) != 0 || !r || r->ops->event_last_seq(r, &newest) != 0)
            increasing = false;
        /* A backend that numbers events after the commit answers 0 at append: the stream's
         * newest number is then this event's. */
        if (x.seq == 0)
            x.seq = newest;
        if (x.seq <= prev || newest != x.seq)
            increasing = false;
        prev = x.seq;
    }
    ok(increasing && prev > 0, "event_append: seq increases, and is the stream's newest");
}

/* Group commit: many threads, one failing unit in the middle. */
enum { WRITERS = 8, WRITES = 200 };
struct gc_arg { store *s; const char *org_id; int idx; objectid user; int failures; int bad_rc; };

static void *gc_thread(void *arg)
{
    struct gc_arg *g = arg;
    for (int i = 0; i < WRITES; i++) {
        crm_event_log e = {.type = "CONTACT_UPDATE", .source = "api", .created_at = i};
        objectid_new(e.id);
        strcpy(e.org_id, g->org_id);
        strcpy(e.user_id, g->user);
        if (g->idx == WRITERS / 2 && i == WRITES / 2) {
            crm_event_log bad = e;
            strcpy(bad.user_id, "ffffffffffffffffffffffff");
            g->bad_rc = g->s->ops->write(g->s, u_event_log_insert_then_fail, &bad);
        }
        if (g->s->ops->write(g->s, u_event_log_insert, &e) != 0)
            g->failures++;
    }
    return NULL;
}

static void test_group_commit(store *s)
{
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o;
    new_org(s, &o, "Group commit");
    struct gc_arg g[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        g[i] = (struct gc_arg){.s = s, .org_id = o.id, .idx = i};
        objectid_new(g[i].user);
        pthread_create(&th[i], NULL, gc_thread, &g[i]);
    }
    int failures = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        failures += g[i].failures;
    }
    is_int(failures, 0, "8 threads x 200 writes: every write succeeded");
    is_int(g[WRITERS / 2].bad_rc, -CRM_E_VALIDATION_FAILED, "the failing unit got its own code");

    crm_event_log *list;
    size_t n;
    int64_t total = -1;
    event_log_filter f = {.limit = 1};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    is_int(total, WRITERS * WRITES, "every write is committed, the failing unit's is not");
    bool each = true;
    for (int i = 0; i < WRITERS; i++) {
        f = (event_log_filter){.user_id = g[i].user, .limit = 1};
        r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
        each = each && total == WRITES;
    }
    ok(each, "each thread's 200 writes are there");
    f = (event_log_filter){.user_id = "ffffffffffffffffffffffff", .limit = 1};
    r->ops->event_log_list(r, o.id, &f, a, &list, &n, &total);
    is_int(total, 0, "the failing unit left nothing");
    arena_destroy(a);
}

/* A reader opened by a thread is closed when the thread exits (the sanitizer checks the leak). */
static void *reader_thread(void *arg)
{
    store *s = arg;
    store_conn *c = s->ops->reader(s);
    intptr_t good = c && s->ops->ping(s) == 0;
    return (void *)good;
}

static void test_reader_threads(store *s)
{
    pthread_t th[4];
    void *res;
    int good = 0;
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, reader_thread, s);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], &res);
        good += res != NULL;
    }
    is_int(good, 4, "readers on other threads");
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
    test_migrate_meta_ping(s);
    test_orgs(s);
    test_users(s);
    test_org_phones(s);
    test_pipelines(s);
    test_contacts(s);
    test_contact_list(s);
    test_contact_keyset(s);
    test_pipeline_list(s);
    test_idempotency(s);
    test_event_log(s);
    test_events(s);
    test_group_commit(s);
    test_reader_threads(s);
    s->ops->close(s);

    /* Everything survives a close and reopen; migrating again is still a no-op. */
    s = store_open(url, err, sizeof err);
    ok(s != NULL, "reopen");
    if (!s)
        return;
    is_int(s->ops->migrate(s), 0, "migrate after reopen");
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    crm_org o;
    new_org(s, &o, "After reopen");
    crm_org got;
    ok(r && r->ops->org_get(r, o.id, a, &got) == 0, "the reopened store reads and writes");
    arena_destroy(a);
    s->ops->close(s);
}

/* SQLite only. */

static void test_open_errors(const char *dir)
{
    char url[2048], err[512];
    store *s;

    snprintf(url, sizeof url, "sqlite:%s/missing/dir/crm.db", dir);
    err[0] = 0;
    s = store_open(url, err, sizeof err);
    ok(s == NULL && one_line(err) && strncmp(err, "cannot open database '", 22) == 0,
       "a path in a missing directory: one line (%s)", err);

    char junk[1024];
    snprintf(junk, sizeof junk, "%s/junk.db", dir);
    FILE *f = fopen(junk, "w");
    for (int i = 0; f && i < 512; i++)
        fputs("this is not a database ", f);
    if (f)
        fclose(f);
    snprintf(url, sizeof url, "sqlite:%s", junk);
    err[0] = 0;
    s = store_open(url, err, sizeof err);
    ok(s == NULL && one_line(err) && strstr(err, "not a database"), "a file that is not a database (%s)", err);

    snprintf(url, sizeof url, "sqlite:%s", dir);
    err[0] = 0;
    s = store_open(url, err, sizeof err);
    ok(s == NULL && one_line(err), "a directory (%s)", err);

    err[0] = 0;
    s = store_open("sqlite:", err, sizeof err);
    ok(s == NULL && one_line(err), "an empty path (%s)", err);
    err[0] = 0;
    s = store_open("mysql://root:secret@db/crm", err, sizeof err);
    ok(s == NULL && one_line(err) && strstr(err, "'mysql'") && !strstr(err, "secret"),
       "an unknown scheme, without the rest of the URL (%s)", err);
    err[0] = 0;
    s = store_open("postgres://u:secret@localhost/crm", err, sizeof err);
    ok(s == NULL && one_line(err) && strstr(err, "PostgreSQL") && !strstr(err, "secret"),
       "postgres:// has its seam (%s)", err);
}

static void test_durability(const char *url, const char *path)
{
    char err[512], v[64];
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "store_open for the pragma checks"))
        return;
    s->ops->migrate(s);
    static const struct { int writer; const char *pragma, *want; } checks[] = {
        {1, "journal_mode", "wal"}, {1, "synchronous", "2"}, {1, "foreign_keys", "1"},
        {1, "busy_timeout", "5000"}, {1, "query_only", "0"},
        {0, "journal_mode", "wal"}, {0, "synchronous", "2"}, {0, "foreign_keys", "1"},
        {0, "busy_timeout", "5000"}, {0, "query_only", "1"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        v[0] = 0;
        int rc = store_sqlite_pragma(s, checks[i].writer, checks[i].pragma, v, sizeof v);
        ok(rc == 0 && strcmp(v, checks[i].want) == 0, "%s: %s = %s (got %s)",
           checks[i].writer ? "writer" : "reader", checks[i].pragma, checks[i].want, v);
    }
    ok(store_sqlite_pragma(s, 1, "writable_schema", v, sizeof v) != 0, "only the listed pragmas");

    /* From outside: the file is in WAL mode and at the latest schema version. */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const char *mode = NULL;
    int version = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        mode = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    is_str(mode, "wal", "the database file is in WAL mode");
    ok(version >= 1, "user_version is the schema version (%d)", version);
    free((void *)mode);
    s->ops->close(s);
}

/* The plans of contact_list: every query walks an index or the search index, and the lists
 * that the API serves most (unfiltered, by stage or status, an owner's, a SALES_REP's, a keyset
 * page) come out of an index in list order, without a sort. */
static void test_list_plans(const char *url)
{
    char err[512], plan[4096];
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "store_open for the plans"))
        return;
    const char *id = "0123456789abcdef01234567";
    static const char *const owners[] = {"u", "v"};
    static const struct {
        const char *label;
        contact_query q;
        int count;
        const char *uses, *uses2;   /* in the plan */
        bool sorts;                 /* may use a temp B-tree */
    } cases[] = {
        {"unfiltered page", {.limit = 50}, 0, "contacts_by_created", NULL, false},
        {"unfiltered count", {.limit = 50}, 1, "INDEX", NULL, false},
        {"keyset page", {.limit = 50, .after = true, .after_created_at = 5}, 0, "contacts_by_created",
         "(created_at,id)<", false},
        {"dated page", {.limit = 50, .created_from = 5, .created_to = 9}, 0, "contacts_by_created",
         "created_at>", false},
        {"stage page", {.limit = 50, .stage_id = "s"}, 0, "contacts_by_stage", NULL, false},
        {"stage count", {.limit = 50, .stage_id = "s"}, 1, "COVERING INDEX contacts_by_stage", NULL, false},
        {"board bucket of some owners", {.limit = 20, .stage_id = "s", .owner_mode = CONTACT_OWNER_AMONG,
         .owner_ids = owners, .nowner_ids = 2}, 0, "contacts_by_stage", "contact_access_by_contact", false},
        {"its count", {.limit = 20, .stage_id = "s", .owner_mode = CONTACT_OWNER_AMONG, .owner_ids = owners,
         .nowner_ids = 2}, 1, "contacts_by_stage", "contact_access_by_contact", false},
        {"assigned stage page", {.limit = 20, .stage_id = "s", .owner_mode = CONTACT_OWNER_ASSIGNED}, 0,
         "contacts_by_stage", "SEARCH a USING PRIMARY KEY", false},
        {"status page", {.limit = 50, .status = "Won"}, 0, "contacts_by_status", NULL, false},
        {"pipeline page", {.limit = 50, .pipeline_id = "p"}, 0, "contacts_by_pipeline", NULL, false},
        {"owner page", {.limit = 50, .owner_mode = CONTACT_OWNER_USER, .owner_id = "u"}, 0,
         "SEARCH x USING PRIMARY KEY", NULL, false},
        {"owner count", {.limit = 50, .owner_mode = CONTACT_OWNER_USER, .owner_id = "u"}, 1,
         "SEARCH x USING PRIMARY KEY", NULL, false},
        {"visible page", {.limit = 50, .visible_to = "u"}, 0, "SEARCH x USING PRIMARY KEY", NULL, false},
        {"visible keyset page", {.limit = 50, .visible_to = "u", .after = true}, 0,
         "(created_at,contact_id)<", NULL, false},
        {"owner and visible page", {.limit = 50, .owner_mode = CONTACT_OWNER_USER, .owner_id = "u",
         .visible_to = "v"}, 0, "SEARCH x USING PRIMARY KEY", "contact_access", false},
        {"short search of a SALES_REP", {.limit = 50, .search = "jo", .visible_to = "u"}, 0,
         "SEARCH x USING PRIMARY KEY", NULL, false},
        {"search page", {.limit = 50, .search = "jane"}, 0, "SCAN contact_search VIRTUAL TABLE",
         "SEARCH m USING INTEGER PRIMARY KEY", true},
        {"search count", {.limit = 50, .search = "jane"}, 1, "SCAN contact_search VIRTUAL TABLE", NULL, false},
        {"digits page", {.limit = 50, .search_digits = "5550103"}, 0, "SCAN contact_search VIRTUAL TABLE",
         NULL, true},
        {"search and digits page", {.limit = 50, .search = "jane", .search_digits = "5550103"}, 0,
         "SCAN contact_search VIRTUAL TABLE", NULL, true},
        {"search of a SALES_REP", {.limit = 50, .search = "jane", .visible_to = "u"}, 0,
         "SCAN contact_search VIRTUAL TABLE", "contact_access", true},
        {"search on a stage", {.limit = 50, .search = "jane", .stage_id = "s"}, 1,
         "SCAN contact_search VIRTUAL TABLE", NULL, false},
        {"short search page", {.limit = 50, .search = "jo"}, 0, "contact_emails_by_value", NULL, true},
        {"short digits page", {.limit = 50, .search_digits = "55"}, 0, "contact_phones", NULL, true},
        {"unassigned page", {.limit = 50, .owner_mode = CONTACT_OWNER_UNASSIGNED}, 0, "contacts_by_created",
         "SEARCH a USING PRIMARY KEY", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        contact_query q = cases[i].q;
        strcpy(q.after_id, id);
        int rc = store_sqlite_list_plan(s, &q, cases[i].count, plan, sizeof plan);
        bool good = rc == 0 && strstr(plan, cases[i].uses) && (!cases[i].uses2 || strstr(plan, cases[i].uses2)) &&
                    (cases[i].sorts || !strstr(plan, "TEMP B-TREE")) && !strstr(plan, "SCAN c ") &&
                    !strstr(plan, "SCAN contacts");
        if (!ok(good, "plan of the %s uses %s%s", cases[i].label, cases[i].uses,
                cases[i].sorts ? "" : ", without a sort"))
            fprintf(stderr, "#   plan:\n%s", plan);
    }
    s->ops->close(s);
}

/* A database made by an older crmd (schema version 1, with contacts) upgrades in place: the
 * search and access indexes are built for the contacts it holds. */
static void test_upgrade_from_v1(const char *dir)
{
    char path[1024], url[1100], err[512];
    snprintf(path, sizeof path, "%s/v1.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "store_open for the upgrade"))
        return;
    is_int(store_sqlite_migrate_to(s, 1), 0, "a database at schema version 1");
    s->ops->close(s);

    static const char *const v1_rows =
        "INSERT INTO organizations VALUES ('0000000000000000000000a1', 'Old', NULL, NULL, 'UTC', 'US', 1, 1);"
        "INSERT INTO users (id, organization_id, email, full_name, password_hash, role, created_at, updated_at)"
        "  VALUES ('0000000000000000000000b1', '0000000000000000000000a1', 'b1@old.example', 'B1', 'x', 'ADMIN', 1, 1),"
        "         ('0000000000000000000000b2', '0000000000000000000000a1', 'b2@old.example', 'B2', 'x', 'SALES_REP', 1, 1);"
        "INSERT INTO pipelines VALUES ('0000000000000000000000a1', '0000000000000000000000c1', 'Sales', NULL,"
        "  'Contact', 1, 1, NULL, NULL, 1, 1);"
        "INSERT INTO pipeline_stages VALUES ('0000000000000000000000a1', '0000000000000000000000d1',"
        "  '0000000000000000000000c1', 'New Lead', NULL, 0, 1);"
        "INSERT INTO contacts VALUES ('0000000000000000000000a1', '0000000000000000000000e1',"
        "  '0000000000000000000000b1', '0000000000000000000000b1', 'Legacy', 'Person', 'New Lead', NULL, NULL,"
        "  '0000000000000000000000c1', '0000000000000000000000d1', 1000, 1000, 0),"
        "  ('0000000000000000000000a1', '0000000000000000000000e2', '0000000000000000000000b1',"
        "  '0000000000000000000000b1', 'Other', 'One', 'New Lead', NULL, NULL,"
        "  '0000000000000000000000c1', '0000000000000000000000d1', 2000, 2000, 0);"
        "INSERT INTO contact_phones VALUES ('0000000000000000000000a1', '+12125550123',"
        "  '0000000000000000000000e1', 0, 1, 0),"
        "  ('0000000000000000000000a1', '+12125550124', '0000000000000000000000e2', 0, 1, 0),"
        "  ('0000000000000000000000a1', '+14165559876', '0000000000000000000000e2', 1, 0, 0);"
        "INSERT INTO contact_emails VALUES ('0000000000000000000000a1', '0000000000000000000000e1', 0,"
        "  'legacy@old.example', 1);"
        "INSERT INTO contact_assignees VALUES ('0000000000000000000000a1', '0000000000000000000000e1', 0,"
        "  '0000000000000000000000b2');";
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, v1_rows, NULL, NULL, NULL);
    is_int(rc, SQLITE_OK, "version 1 rows written by hand");
    sqlite3_close(db);

    s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "reopen the version 1 database"))
        return;
    is_int(s->ops->migrate(s), 0, "migrate upgrades it");
    arena *a = arena_new();
    store_conn *r = s->ops->reader(s);
    const char *org = "0000000000000000000000a1";
    crm_contact *got = NULL;
    size_t n = 0;
    int64_t total = -1;
    contact_query q = {.limit = 10, .search = "legacy"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 1 && total == 1 && strcmp(got[0].id, "0000000000000000000000e1") == 0 && got[0].nemails == 1,
       "an old contact is found by name");
    q = (contact_query){.limit = 10, .search = "LD.EXAM"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 1 && strcmp(got[0].id, "0000000000000000000000e1") == 0, "and by email");
    q = (contact_query){.limit = 10, .search_digits = "4165559876"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 1 && strcmp(got[0].id, "0000000000000000000000e2") == 0, "and by a secondary number");
    q = (contact_query){.limit = 10, .owner_mode = CONTACT_OWNER_USER, .owner_id = "0000000000000000000000b2"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 1 && strcmp(got[0].id, "0000000000000000000000e1") == 0, "an old assignment counts for the owner filter");
    q = (contact_query){.limit = 10, .visible_to = "0000000000000000000000b1"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 2 && total == 2 && strcmp(got[0].id, "0000000000000000000000e2") == 0, "and for visibility, newest first");

    /* New contacts beside the old ones. */
    crm_phone ph[1] = {{"+12125550125", true}};
    crm_contact ct;
    memset(&ct, 0, sizeof ct);
    objectid_new(ct.id);
    strcpy(ct.org_id, org);
    strcpy(ct.user_id, "0000000000000000000000b2");
    strcpy(ct.created_by, "0000000000000000000000b2");
    strcpy(ct.pipeline_id, "0000000000000000000000c1");
    strcpy(ct.stage_id, "0000000000000000000000d1");
    ct.status = "New Lead";
    ct.first_name = "Legacyish";
    ct.phones = ph;
    ct.nphones = 1;
    ct.created_at = ct.updated_at = 3000;
    is_int(s->ops->write(s, u_contact_insert, &ct), 0, "a new contact in the upgraded database");
    q = (contact_query){.limit = 10, .search = "legacy"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 2 && total == 2 && strcmp(got[0].id, ct.id) == 0, "found with the old one");
    s->ops->close(s);

    /* Deleting a contact, however it is done, takes it out of the indexes (a trigger). */
    static const char *const checks =
        "PRAGMA foreign_keys = ON;"
        "DELETE FROM contacts WHERE organization_id = '0000000000000000000000a1'"
        "  AND id = '0000000000000000000000e2';"
        "INSERT INTO contact_search (contact_search) VALUES ('integrity-check');";
    rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, checks, NULL, NULL, NULL);
    is_int(rc, SQLITE_OK, "a contact deleted by hand; the search index passes its integrity check");
    sqlite3_stmt *st = NULL;
    int left = -1;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM contact_search_rows WHERE contact_id = "
                           "'0000000000000000000000e2') + (SELECT count(*) FROM contact_access WHERE "
                           "contact_id = '0000000000000000000000e2') + (SELECT count(*) FROM contact_search) - "
                           "(SELECT count(*) FROM contacts)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        left = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    is_int(left, 0, "nothing of it is left in the indexes, and every contact has one document");
    s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "reopen after the delete"))
        goto done;
    r = s->ops->reader(s);
    q = (contact_query){.limit = 10, .search_digits = "4165559876"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 0 && total == 0, "the deleted contact is not found by its number");
    q = (contact_query){.limit = 10, .visible_to = "0000000000000000000000b1"};
    r->ops->contact_list(r, org, &q, a, &got, &n, &total);
    ok(n == 1 && total == 1, "nor in its owner's list");
    s->ops->close(s);
done:
    arena_destroy(a);

    int version = -1;
    st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    ok(version >= 2, "the upgraded file is past schema version 1 (%d)", version);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    char dir[] = "/tmp/crmd-test-store-XXXXXX", url[1100], path[1024];
    log_set_quiet(1);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/crm.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);

    run_contract(url);
    const char *pg = getenv("CRMD_TEST_PG_URL");
    if (pg && *pg)
        run_contract(pg);

    test_open_errors(dir);
    test_durability(url, path);
    test_list_plans(url);
    test_upgrade_from_v1(dir);
    remove_dir(dir);
    return tap_done();
}
