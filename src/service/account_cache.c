/* The per-thread cache of users and organizations (see account_cache.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "service/account_cache.h"

typedef struct slot {
    bool used;
    uint64_t version;     /* the store's accounts_version read before the record was */
    unsigned last_use;
    objectid id;
    union {
        crm_user user;
        crm_org org;
    } rec;                /* its strings live in a */
    arena *a;
} slot;

enum kind { KIND_USER, KIND_ORG, KINDS };

typedef struct cache {
    slot slots[KINDS][ACCOUNT_CACHE_SLOTS];
    unsigned tick;
} cache;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    cache *k = p;
    for (int t = 0; t < KINDS; t++)
        for (int i = 0; i < ACCOUNT_CACHE_SLOTS; i++)
            if (k->slots[t][i].a)
                arena_destroy(k->slots[t][i].a);
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
        if (!(k = calloc(1, sizeof *k)) || pthread_setspecific(key, k) != 0)
            abort();
    }
    return k;
}

static void copy_user(void *to, const void *from, arena *a)
{
    crm_user *dst = to;
    const crm_user *src = from;
    *dst = *src;
    dst->email = arena_strdup(a, src->email);
    dst->full_name = arena_strdup(a, src->full_name);
    dst->password_hash = arena_strdup(a, src->password_hash);
    dst->phone_number = arena_strdup(a, src->phone_number);
    dst->designation = arena_strdup(a, src->designation);
    dst->sinch_phone_number = arena_strdup(a, src->sinch_phone_number);
}

static void copy_org(void *to, const void *from, arena *a)
{
    crm_org *dst = to;
    const crm_org *src = from;
    *dst = *src;
    dst->name = arena_strdup(a, src->name);
    dst->phone_number = arena_strdup(a, src->phone_number);
    dst->address = arena_strdup(a, src->address);
    dst->timezone = arena_strdup(a, src->timezone);
}

typedef int (*read_fn)(store_conn *c, const char *id, arena *a, void *out);
typedef void (*copy_fn)(void *to, const void *from, arena *a);

static int read_user(store_conn *c, const char *id, arena *a, void *out)
{
    return c->ops->user_get(c, id, a, out);
}

static int read_org(store_conn *c, const char *id, arena *a, void *out)
{
    return c->ops->org_get(c, id, a, out);
}

static int cached(crm_app *app, store_conn *c, enum kind kind, const char *id, arena *a, void *out,
                  read_fn read, copy_fn copy)
{
    const store_ops *o = app->st->ops;
    if (o->version < 5 || !o->accounts_version)
        return read(c, id, a, out);
    uint64_t version = o->accounts_version(app->st);   /* before the read, never after */
    cache *k = this_thread();
    slot *slots = k->slots[kind], *victim = &slots[0], *same = NULL;
    for (int i = 0; i < ACCOUNT_CACHE_SLOTS; i++) {
        slot *s = &slots[i];
        if (s->used && strcmp(s->id, id) == 0) {
            if (s->version == version) {
                s->last_use = ++k->tick;
                copy(out, &s->rec, a);
                return 0;
            }
            same = s;   /* an older read of this record: its slot is the one to refill */
        }
        if (!s->used || (victim->used && s->last_use < victim->last_use))
            victim = s;
    }
    if (same)
        victim = same;
    int rc = read(c, id, a, out);
    if (rc)
        return rc;
    if (victim->a)
        arena_reset(victim->a);
    else
        victim->a = arena_new();
    copy(&victim->rec, out, victim->a);
    memcpy(victim->id, id, strnlen(id, sizeof victim->id - 1));
    victim->id[strnlen(id, sizeof victim->id - 1)] = '\0';
    victim->version = version;
    victim->last_use = ++k->tick;
    victim->used = true;
    return 0;
}

int account_cache_user(crm_app *app, store_conn *c, const char *user_id, arena *a, crm_user *out)
{
    return cached(app, c, KIND_USER, user_id, a, out, read_user, copy_user);
}

int account_cache_org(crm_app *app, store_conn *c, const char *org_id, arena *a, crm_org *out)
{
    return cached(app, c, KIND_ORG, org_id, a, out, read_org, copy_org);
}
