/* The per-user socket counts (see user_sockets.h): an id_table of counts by user id. */
#include <stdlib.h>

#include "lib/id_table.h"
#include "lib/xalloc.h"
#include "realtime/user_sockets.h"

struct user_sockets {
    id_table *by_user;   /* unsigned: sockets connected */
};

user_sockets *user_sockets_new(void)
{
    user_sockets *t = xcalloc(1, sizeof *t);
    t->by_user = id_table_new(sizeof(unsigned));
    return t;
}

void user_sockets_free(user_sockets *t)
{
    if (!t)
        return;
    id_table_free(t->by_user);
    free(t);
}

unsigned user_sockets_count(const user_sockets *t, const char *user_id)
{
    const unsigned *n = id_table_get(t->by_user, user_id);
    return n ? *n : 0;
}

void user_sockets_add(user_sockets *t, const char *user_id)
{
    unsigned *n = id_table_put(t->by_user, user_id);
    (*n)++;
}

void user_sockets_remove(user_sockets *t, const char *user_id)
{
    unsigned *n = id_table_get(t->by_user, user_id);
    if (n && --*n == 0)
        id_table_remove(t->by_user, user_id);
}
