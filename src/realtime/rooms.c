/* Rooms as a chained hash table keyed by organization id; a room disappears with its last
 * member, so the table holds only organizations that have someone listening. */
#include "realtime/rooms.h"

#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024

struct room {
    room *next;              /* in its bucket */
    objectid org_id;
    room_link *head;
};

struct rooms {
    room *bucket[NBUCKETS];
    size_t n;
};

static size_t hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

rooms *rooms_new(void)
{
    rooms *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    return t;
}

void rooms_free(rooms *t)
{
    if (!t)
        return;
    for (size_t b = 0; b < NBUCKETS; b++)
        while (t->bucket[b]) {
            room *r = t->bucket[b];
            t->bucket[b] = r->next;
            free(r);
        }
    free(t);
}

static room *find(rooms *t, const char *org_id, room ***slot)
{
    room **p = &t->bucket[hash(org_id)];
    for (; *p; p = &(*p)->next)
        if (strcmp((*p)->org_id, org_id) == 0)
            break;
    if (slot)
        *slot = p;
    return *p;
}

void rooms_join(rooms *t, const char *org_id, room_link *l)
{
    room **slot;
    room *r = find(t, org_id, &slot);
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            abort();
        strncpy(r->org_id, org_id, OBJECTID_LEN);
        r->org_id[OBJECTID_LEN] = '\0';
        *slot = r;
        t->n++;
    }
    l->room = r;
    l->prev = NULL;
    l->next = r->head;
    if (r->head)
        r->head->prev = l;
    r->head = l;
}

void rooms_leave(rooms *t, room_link *l)
{
    room *r = l->room, **slot;
    if (!r)
        return;
    if (l->prev)
        l->prev->next = l->next;
    else
        r->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->room = NULL;
    l->prev = l->next = NULL;
    if (!r->head && find(t, r->org_id, &slot) == r) {
        *slot = r->next;
        free(r);
        t->n--;
    }
}

room_link *rooms_first(rooms *t, const char *org_id)
{
    room *r = find(t, org_id, NULL);
    return r ? r->head : NULL;
}

size_t rooms_count(const rooms *t)
{
    return t->n;
}
