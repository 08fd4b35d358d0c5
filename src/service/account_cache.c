/* The per-thread cache of users and organizations (see account_cache.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "service/account_cache.h"
#include "lib/password.h"
#include "lib/xalloc.h"

typedef struct slot {
    bool used;
    uint64_t version;     /* the store's accounts_version read before the record was */
    unsigned last_use;
    objectid id;
    union {
        crm_user user;
        crm_org org;
    } rec;                /* its strings point into blob */
    char *blob;           /* exactly the record's strings, one allocation */
} slot;

enum kind { KIND_USER, KIND_ORG, KINDS };

/* An API key (its hash) and the user it named at that accounts_version. */
typedef struct key_slot {
    bool used;
    uint64_t version;
    unsigned last_use;
    char hash[APIKEY_HASH_HEX];
    objectid user_id;
} key_slot;

typedef struct cache {
    slot slots[KINDS][ACCOUNT_CACHE_SLOTS];
    key_slot keys[ACCOUNT_CACHE_SLOTS];
    unsigned tick;
} cache;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    cache *k = p;
    for (int t = 0; t < KINDS; t++)
        for (int i = 0; i < ACCOUNT_CACHE_SLOTS; i++)
            free(k->slots[t][i].blob);
    free(k);
}

static void make_key(void)
{
    if (pthread_key_create(&key, cache_free) != 0)
        abort();
}

static cache *this_thread(void)
{
    pthread_once(&key_once, make_key);
    cache *k = pthread_getspecific(key);
    if (!k) {
        k = xcalloc(1, sizeof *k);
        if (pthread_setspecific(key, k) != 0)
            abort();
    }
    return k;
}

#define MAX_FIELDS 6

/* The string members of a record (each may be NULL). */
typedef size_t (*fields_fn)(void *rec, char **out[MAX_FIELDS]);

static size_t user_fields(void *rec, char **f[MAX_FIELDS])
{
    crm_user *u = rec;
    f[0] = &u->email;
    f[1] = &u->full_name;
    f[2] = &u->password_hash;
    f[3] = &u->phone_number;
    f[4] = &u->designation;
    f[5] = &u->sinch_phone_number;
    return 6;
}

static size_t org_fields(void *rec, char **f[MAX_FIELDS])
{
    crm_org *o = rec;
    f[0] = &o->name;
    f[1] = &o->phone_number;
    f[2] = &o->address;
    f[3] = &o->timezone;
    return 4;
}

/* Points the strings of rec (a copy of a record) into one new allocation holding them. */
static char *pack(void *rec, fields_fn fields)
{
    char **f[MAX_FIELDS];
    size_t n = fields(rec, f), total = 1;
    for (size_t i = 0; i < n; i++)
        if (*f[i])
            total += strlen(*f[i]) + 1;
    char *blob = xmalloc(total), *p = blob;
    for (size_t i = 0; i < n; i++)
        if (*f[i]) {
            size_t len = strlen(*f[i]) + 1;
            memcpy(p, *f[i], len);
            *f[i] = p;
            p += len;
        }
    return blob;
}

/* Gives rec (a copy of a cached record) strings of its own, in a. */
static void unpack(void *rec, fields_fn fields, arena *a)
{
    char **f[MAX_FIELDS];
    size_t n = fields(rec, f);
    for (size_t i = 0; i < n; i++)
        *f[i] = arena_strdup(a, *f[i]);
}

typedef int (*read_fn)(store_conn *c, const char *id, arena *a, void *out);

static int read_user(store_conn *c, const char *id, arena *a, void *out)
{
    return c->ops->user_get(c, id, a, out);
}

static int read_org(store_conn *c, const char *id, arena *a, void *out)
{
    return c->ops->org_get(c, id, a, out);
}

/* The slot of record id read at version (*hit), or else the one to fill: id's older read, a free
 * slot, or the least recently used. */
static slot *find_slot(cache *k, enum kind kind, const char *id, uint64_t version, bool *hit)
{
    slot *slots = k->slots[kind], *victim = &slots[0], *same = NULL;
    *hit = false;
    for (int i = 0; i < ACCOUNT_CACHE_SLOTS; i++) {
        slot *s = &slots[i];
        if (s->used && strcmp(s->id, id) == 0) {
            if (s->version == version) {
                *hit = true;
                return s;
            }
            same = s;
        }
        if (!s->used || (victim->used && s->last_use < victim->last_use))
            victim = s;
    }
    return same ? same : victim;
}

/* Keeps a copy of rec (record id, read at version) in s. */
static void fill(cache *k, slot *s, const char *id, const void *rec, size_t size, fields_fn fields,
                 uint64_t version)
{
    free(s->blob);
    memcpy(&s->rec, rec, size);
    s->blob = pack(&s->rec, fields);
    size_t len = strnlen(id, sizeof s->id - 1);
    memcpy(s->id, id, len);
    s->id[len] = '\0';
    s->version = version;
    s->last_use = ++k->tick;
    s->used = true;
}

static int cached(crm_app *app, store_conn *c, enum kind kind, const char *id, arena *a, void *out, size_t size,
                  read_fn read, fields_fn fields)
{
    const store_ops *o = app->st->ops;
    if (o->version < 5 || !o->accounts_version)
        return read(c, id, a, out);
    uint64_t version = o->accounts_version(app->st);   /* before the read, never after */
    cache *k = this_thread();
    bool hit;
    slot *s = find_slot(k, kind, id, version, &hit);
    if (hit) {
        s->last_use = ++k->tick;
        memcpy(out, &s->rec, size);
        unpack(out, fields, a);
        return 0;
    }
    int rc = read(c, id, a, out);
    if (rc == 0)
        fill(k, s, id, out, size, fields, version);
    return rc;
}

int account_cache_user(crm_app *app, store_conn *c, const char *user_id, arena *a, crm_user *out)
{
    return cached(app, c, KIND_USER, user_id, a, out, sizeof *out, read_user, user_fields);
}

int account_cache_org(crm_app *app, store_conn *c, const char *org_id, arena *a, crm_org *out)
{
    return cached(app, c, KIND_ORG, org_id, a, out, sizeof *out, read_org, org_fields);
}

int account_cache_apikey_user(crm_app *app, store_conn *c, const char *apikey_hash, arena *a, crm_user *out)
{
    const store_ops *o = app->st->ops;
    if (o->version < 5 || !o->accounts_version || strlen(apikey_hash) >= APIKEY_HASH_HEX)
        return c->ops->user_get_by_apikey(c, apikey_hash, a, out);
    uint64_t version = o->accounts_version(app->st);   /* before the read, never after */
    cache *k = this_thread();
    key_slot *victim = &k->keys[0];
    for (int i = 0; i < ACCOUNT_CACHE_SLOTS; i++) {
        key_slot *s = &k->keys[i];
        if (s->used && s->version == version && strcmp(s->hash, apikey_hash) == 0) {
            s->last_use = ++k->tick;
            int rc = account_cache_user(app, c, s->user_id, a, out);
            /* the key's user, unless an account changed meanwhile: then read as below */
            if (rc != 0 || o->accounts_version(app->st) == version)
                return rc;
            break;
        }
        if (!s->used || (victim->used && s->last_use < victim->last_use))
            victim = s;
    }
    int rc = c->ops->user_get_by_apikey(c, apikey_hash, a, out);
    if (rc)
        return rc;   /* a key that names no one is not remembered */
    for (int i = 0; i < ACCOUNT_CACHE_SLOTS; i++)
        if (k->keys[i].used && strcmp(k->keys[i].hash, apikey_hash) == 0)
            victim = &k->keys[i];   /* this key's older entry */
    strcpy(victim->hash, apikey_hash);
    memcpy(victim->user_id, out->id, sizeof victim->user_id);
    victim->version = version;
    victim->last_use = ++k->tick;
    victim->used = true;
    /* the record too, for the next time, as read: at the same version as the key */
    bool hit;
    fill(k, find_slot(k, KIND_USER, out->id, version, &hit), out->id, out, sizeof *out, user_fields, version);
    return 0;
}
