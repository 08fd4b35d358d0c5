/* The per-thread cache of users (see user_cache.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "service/user_cache.h"

typedef struct slot {
    bool used;
    uint64_t version;     /* the store's users_version read before the user was */
    unsigned last_use;
    crm_user user;        /* its strings live in a */
    arena *a;
} slot;

typedef struct cache {
    slot slots[USER_CACHE_SLOTS];
    unsigned tick;
} cache;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    cache *k = p;
    for (int i = 0; i < USER_CACHE_SLOTS; i++)
        if (k->slots[i].a)
            arena_destroy(k->slots[i].a);
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

static void copy_user(crm_user *dst, const crm_user *src, arena *a)
{
    *dst = *src;
    dst->email = arena_strdup(a, src->email);
    dst->full_name = arena_strdup(a, src->full_name);
    dst->password_hash = arena_strdup(a, src->password_hash);
    dst->phone_number = arena_strdup(a, src->phone_number);
    dst->designation = arena_strdup(a, src->designation);
    dst->sinch_phone_number = arena_strdup(a, src->sinch_phone_number);
}

int user_cache_get(crm_app *app, store_conn *c, const char *user_id, arena *a, crm_user *out)
{
    const store_ops *o = app->st->ops;
    if (o->version < 5 || !o->users_version)
        return c->ops->user_get(c, user_id, a, out);
    uint64_t version = o->users_version(app->st);   /* before the read, never after */
    cache *k = this_thread();
    slot *victim = &k->slots[0], *same = NULL;
    for (int i = 0; i < USER_CACHE_SLOTS; i++) {
        slot *s = &k->slots[i];
        if (s->used && strcmp(s->user.id, user_id) == 0) {
            if (s->version == version) {
                s->last_use = ++k->tick;
                copy_user(out, &s->user, a);
                return 0;
            }
            same = s;   /* an older read of this user: its slot is the one to refill */
        }
        if (!s->used || (victim->used && s->last_use < victim->last_use))
            victim = s;
    }
    if (same)
        victim = same;
    int rc = c->ops->user_get(c, user_id, a, out);
    if (rc)
        return rc;
    if (victim->a)
        arena_reset(victim->a);
    else
        victim->a = arena_new();
    copy_user(&victim->user, out, victim->a);
    victim->version = version;
    victim->last_use = ++k->tick;
    victim->used = true;
    return 0;
}
