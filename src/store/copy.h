/* Copying a whole installation from one database to another, of either backend (crmd migrate):
 * every record, token secret and event, so that tokens, API keys, event numbers and webhook
 * progress carry over. */
#ifndef CRM_STORE_COPY_H
#define CRM_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

#define STORE_COPY_TABLES 24

typedef struct store_copy_count {
    const char *table;
    int64_t source, target;
} store_copy_count;

/* The rows of each table on both sides once the copy has committed. */
typedef struct store_copy_report {
    store_copy_count counts[STORE_COPY_TABLES];
    size_t n;
} store_copy_report;

/* The tables copied, parents before children; *n is their number. */
const store_table *store_copy_tables(size_t *n);

/* Copies every row of `from` into `to` (both schemas migrated to the latest first) in one unit
 * of work on `to`, reading one snapshot of `from`, then counts both sides. `to` must hold no
 * record. 0, or -1 with one line in err (a count that differs is an error too). */
int store_copy(store *from, store *to, store_copy_report *report, char *err, size_t errlen);

#endif
