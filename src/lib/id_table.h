/* A chained hash table keyed by object id, for tables one thread owns (not thread-safe). Each
 * entry holds a value of the size given at creation, zeroed when the entry is made; a value's
 * address stays the same until its entry is removed. */
#ifndef CRM_ID_TABLE_H
#define CRM_ID_TABLE_H

#include <stddef.h>

typedef struct id_table id_table;

id_table *id_table_new(size_t value_size);
void id_table_free(id_table *t);
void *id_table_get(const id_table *t, const char *id);   /* NULL: no entry */
void *id_table_put(id_table *t, const char *id);         /* the entry's value, made if absent */
void id_table_remove(id_table *t, const char *id);       /* no-op when absent */
size_t id_table_count(const id_table *t);                /* entries */

#endif
