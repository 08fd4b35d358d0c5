/* Rooms in an id_table keyed by organization id; a room disappears with its last member, so the
 * table holds only organizations that have someone listening. */
#include "realtime/rooms.h"

#include <stdlib.h>
#include <string.h>
#include "lib/id_table.h"
#include "lib/xalloc.h"

struct room {
    objectid org_id;         /* its key, for leaving */
    room_link *head;
};

struct rooms {
    id_table *by_org;
};

rooms *rooms_new(void)
{
    rooms *t = xcalloc(1, sizeof *t);
    t->by_org = id_table_new(sizeof(room));
    return t;
}

void rooms_free(rooms *t)
{
    if (!t)
        return;
    id_table_free(t->by_org);
    free(t);
}

void rooms_join(rooms *t, const char *org_id, room_link *l)
{
    room *r = id_table_put(t->by_org, org_id);
    if (!r->head)
        memcpy(r->org_id, org_id, strnlen(org_id, OBJECTID_LEN));
    l->room = r;
    l->prev = NULL;
    l->next = r->head;
    if (r->head)
        r->head->prev = l;
    r->head = l;
}

void rooms_leave(rooms *t, room_link *l)
{
    room *r = l->room;
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
    if (!r->head) {
        objectid org;
        memcpy(org, r->org_id, sizeof org);   /* the key outlives the entry it names */
        id_table_remove(t->by_org, org);
    }
}

room_link *rooms_first(rooms *t, const char *org_id)
{
    room *r = id_table_get(t->by_org, org_id);
    return r ? r->head : NULL;
}

size_t rooms_count(const rooms *t)
{
    return id_table_count(t->by_org);
}
