/* realtime/user_sockets: the per-user socket counts behind the Socket.IO cap. */
#include <stdio.h>

#include "lib/objectid.h"
#include "realtime/user_sockets.h"
#include "tap.h"

int main(void)
{
    user_sockets *t = user_sockets_new();
    objectid a, b, ids[3000];
    objectid_new(a);
    objectid_new(b);
    is_int(user_sockets_count(t, a), 0, "nobody has sockets at first");
    user_sockets_add(t, a);
    user_sockets_add(t, a);
    user_sockets_add(t, b);
    is_int(user_sockets_count(t, a), 2, "two for a");
    is_int(user_sockets_count(t, b), 1, "one for b");
    user_sockets_remove(t, a);
    is_int(user_sockets_count(t, a), 1, "one left for a");
    user_sockets_remove(t, a);
    is_int(user_sockets_count(t, a), 0, "none left for a");
    is_int(user_sockets_count(t, b), 1, "b is untouched");

    /* Many users (more than buckets): each count is its own. */
    for (int i = 0; i < 3000; i++) {
        objectid_new(ids[i]);
        for (int k = 0; k <= i % 3; k++)
            user_sockets_add(t, ids[i]);
    }
    int right = 0;
    for (int i = 0; i < 3000; i++)
        right += user_sockets_count(t, ids[i]) == (unsigned)(i % 3 + 1);
    is_int(right, 3000, "3,000 users, every count right");
    for (int i = 0; i < 3000; i += 2)
        while (user_sockets_count(t, ids[i]) > 0)
            user_sockets_remove(t, ids[i]);
    right = 0;
    for (int i = 0; i < 3000; i++)
        right += user_sockets_count(t, ids[i]) == (i % 2 ? (unsigned)(i % 3 + 1) : 0u);
    is_int(right, 3000, "after half of them left, the others' counts are unchanged");
    user_sockets_free(t);   /* with entries still in it */
    user_sockets_free(NULL);
    return tap_done();
}
