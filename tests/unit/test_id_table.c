/* lib/id_table and the realtime rooms built on it. */
#include <stdint.h>
#include <string.h>

#include "lib/id_table.h"
#include "lib/objectid.h"
#include "realtime/rooms.h"
#include "tap.h"

typedef struct {
    int64_t a;
    char tag[8];
} value;

static void test_table(void)
{
    id_table *t = id_table_new(sizeof(value));
    objectid x, y;
    objectid_new(x);
    objectid_new(y);
    ok(id_table_get(t, x) == NULL, "an empty table has no entry");
    is_int(id_table_count(t), 0, "and counts none");
    value *v = id_table_put(t, x);
    ok(v && v->a == 0 && v->tag[0] == 0, "a new entry's value is zeroed");
    v->a = 42;
    strcpy(v->tag, "x");
    ok(id_table_put(t, x) == v, "put of an existing id gives the same value");
    ok(id_table_get(t, x) == v && v->a == 42, "get finds it, unchanged");
    ok(id_table_get(t, y) == NULL, "another id is absent");
    value *w = id_table_put(t, y);
    ok(w != v && w->a == 0, "another id has its own value");
    is_int(id_table_count(t), 2, "two entries");
    id_table_remove(t, x);
    ok(id_table_get(t, x) == NULL, "removed");
    ok(id_table_get(t, y) == w, "the other entry stays where it was");
    id_table_remove(t, x);
    is_int(id_table_count(t), 1, "removing an absent id changes nothing");

    /* More ids than buckets: every value is its own and stays at its address. */
    enum { N = 5000 };
    static objectid ids[N];
    static value *at[N];
    for (int i = 0; i < N; i++) {
        objectid_new(ids[i]);
        at[i] = id_table_put(t, ids[i]);
        at[i]->a = i;
    }
    int right = 0;
    for (int i = 0; i < N; i++)
        right += id_table_get(t, ids[i]) == at[i] && at[i]->a == i;
    is_int(right, N, "5,000 ids: each found at its address with its value");
    for (int i = 0; i < N; i += 2)
        id_table_remove(t, ids[i]);
    right = 0;
    for (int i = 0; i < N; i++)
        right += i % 2 ? id_table_get(t, ids[i]) == at[i] && at[i]->a == i : id_table_get(t, ids[i]) == NULL;
    is_int(right, N, "after removing half, the others are untouched");
    is_int(id_table_count(t), N / 2 + 1, "count follows");
    id_table_free(t);   /* with entries in it */
    id_table_free(NULL);
}

static void test_rooms(void)
{
    rooms *r = rooms_new();
    objectid org1, org2;
    objectid_new(org1);
    objectid_new(org2);
    room_link a = {0}, b = {0}, c = {0};
    ok(rooms_first(r, org1) == NULL, "nobody listens at first");
    rooms_join(r, org1, &a);
    rooms_join(r, org1, &b);
    rooms_join(r, org2, &c);
    is_int(rooms_count(r), 2, "two organizations have listeners");
    int n = 0;
    for (room_link *l = rooms_first(r, org1); l; l = l->next)
        n += l == &a || l == &b;
    is_int(n, 2, "both members of org1 are in its room");
    ok(rooms_first(r, org2) == &c && c.next == NULL, "org2's room holds only its member");
    rooms_leave(r, &a);
    ok(rooms_first(r, org1) == &b && b.next == NULL && b.prev == NULL, "after a leaves, b alone");
    ok(a.room == NULL, "a is in no room");
    rooms_leave(r, &a);
    rooms_leave(r, &b);
    ok(rooms_first(r, org1) == NULL, "the room went with its last member");
    is_int(rooms_count(r), 1, "only org2 is left");
    rooms_join(r, org1, &a);
    ok(rooms_first(r, org1) == &a, "a room comes back on a new join");
    rooms_leave(r, &a);
    rooms_leave(r, &c);
    is_int(rooms_count(r), 0, "every room is gone");
    rooms_free(r);
}

int main(void)
{
    test_table();
    test_rooms();
    return tap_done();
}
