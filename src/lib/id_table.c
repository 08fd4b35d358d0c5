/* id_table: 1024 buckets of singly linked entries, FNV-1a of the id picks the bucket. */
#include "lib/id_table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/objectid.h"
#include "lib/xalloc.h"

#define BUCKETS 1024u

typedef struct entry {
    struct entry *next;
    objectid id;
    max_align_t value[];   /* value_size bytes */
} entry;

struct id_table {
    entry *buckets[BUCKETS];
    size_t value_size, n;
};

static entry **find(const id_table *t, const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *c = id; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    entry **e = (entry **)&t->buckets[h % BUCKETS];
    while (*e && strcmp((*e)->id, id) != 0)
        e = &(*e)->next;
    return e;
}

id_table *id_table_new(size_t value_size)
{
    id_table *t = xcalloc(1, sizeof *t);
    t->value_size = value_size;
    return t;
}

void id_table_free(id_table *t)
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

void *id_table_get(const id_table *t, const char *id)
{
    entry *e = *find(t, id);
    return e ? e->value : NULL;
}

void *id_table_put(id_table *t, const char *id)
{
    entry **e = find(t, id);
    if (!*e) {
        *e = xcalloc(1, sizeof **e + t->value_size);
        memcpy((*e)->id, id, strnlen(id, OBJECTID_LEN));
        t->n++;
    }
    return (*e)->value;
}

void id_table_remove(id_table *t, const char *id)
{
    entry **e = find(t, id);
    if (*e) {
        entry *gone = *e;
        *e = gone->next;
        free(gone);
        t->n--;
    }
}

size_t id_table_count(const id_table *t)
{
    return t->n;
}
