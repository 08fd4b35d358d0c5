/* The storage contract: one suite that runs against any backend through store_ops only.
 * It runs against SQLite in a fresh temp dir, and against PostgreSQL when CRMD_TEST_PG_URL
 * names a database. Every record it makes has a fresh id (and fresh emails), so it can run on a
 * database that already holds data. The SQLite-only checks (open errors, durability pragmas)
 * are at the end. */
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
#include "store/sqlite.h"
#include "store/store.h"
#include "tap.h"

/* Units of work: each calls one operation on the writer connection. */

static int u_org_insert(store_conn *c, void *arg) { return c->ops->org_insert(c, arg); }
static int u_org_update(store_conn *c, void *arg) { return c->ops->org_update(c, arg); }
static int u_user_insert(store_conn *c, void *arg) { return c->ops->user_insert(c, arg); }
static int u_user_update(store_conn *c, void *arg) { return c->ops->user_update(c, arg); }
static int u_pipeline_insert(store_conn *c, void *arg) { return c->ops->pipeline_insert(c, arg); }
static int u_contact_insert(store_conn *c, void *arg) { return c->ops->contact_insert(c, arg); }
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

struct append_arg { const char *org_id, *name, *payload; int64_t seq; };
static int u_event_append(store_conn *c, void *arg)
{
    struct append_arg *a = arg;
    return c->ops->event_append(c, a->org_id, a->name, a->payload, &a->seq);
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

/* A Contact pipeline with the five stages, inserted in reverse position order. */
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
    p->created_at = p->updated_at = 1700000000000;
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

/* Arrays as plain pointers, for is_str. */
static const char *str(const char *s)
{
    return s;
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
    int64_t prev = 0;
    bool increasing = true;
    for (int i = 0; i < 5; i++) {
        if (s->ops->write(s, u_event_append, &x) != 0 || x.seq <= prev)
            increasing = false;
        prev = x.seq;
    }
    ok(increasing && prev > 0, "event_append: seq increases");
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
    remove_dir(dir);
    return tap_done();
}
