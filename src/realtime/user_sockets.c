/* The per-user socket counts (see user_sockets.h): a chained hash table of user ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/objectid.h"
#include "realtime/user_sockets.h"

#define BUCKETS 1024u

typedef struct entry {
    struct entry *next;
    objectid user_id;
    unsigned n;
} entry;

struct user_sockets {
    entry *buckets[BUCKETS];
};

static unsigned bucket(const char *id)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % BUCKETS;
}

static entry **find(user_sockets *t, const char *user_id)
{
    entry **e = &t->buckets[bucket(user_id)];
    while (*e && strcmp((*e)->user_id, user_id) != 0)
        e = &(*e)->next;
    return e;
}

user_sockets *user_sockets_new(void)
{
    user_sockets *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    return t;
}

void user_sockets_free(user_sockets *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < BUCKETS; i++)
        while (t->buckets[i]) {
            entry *e = t->buckets[i];
            t->buckets[i] = e->next;
            free(e);
        }
    free(t);
}

unsigned user_sockets_count(const user_sockets *t, const char *user_id)
{
    entry *const *e = find((user_sockets *)t, user_id);
    return *e ? (*e)->n : 0;
}

void user_sockets_add(user_sockets *t, const char *user_id)
{
    entry **e = find(t, user_id);
    if (!*e) {
        if (!(*e = calloc(1, sizeof **e)))
            abort();
        memcpy((*e)->user_id, user_id, strnlen(user_id, sizeof(objectid) - 1));
    }
    (*e)->n++;
}

void user_sockets_remove(user_sockets *t, const char *user_id)
{
    entry **e = find(t, user_id);
    if (*e && --(*e)->n == 0) {
        entry *gone = *e;
        *e = gone->next;
        free(gone);
    }
}
