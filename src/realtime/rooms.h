/* Rooms: the sessions connected per organization, so an event reaches only its organization.
 * Not thread-safe: one thread (the real-time loop) owns a table. */
#ifndef CRM_REALTIME_ROOMS_H
#define CRM_REALTIME_ROOMS_H

#include <stddef.h>
#include "lib/objectid.h"

typedef struct room room;
typedef struct rooms rooms;

/* Embedded in each member; NULL room when in none. */
typedef struct room_link {
    struct room_link *prev, *next;
    room *room;
} room_link;

rooms *rooms_new(void);
void rooms_free(rooms *t);   /* every room must be empty */
void rooms_join(rooms *t, const char *org_id, room_link *l);   /* l in no room yet */
void rooms_leave(rooms *t, room_link *l);                      /* no-op when in none */
room_link *rooms_first(rooms *t, const char *org_id);          /* NULL: nobody */
size_t rooms_count(const rooms *t);                            /* non-empty rooms */

#endif
