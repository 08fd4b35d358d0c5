/* MongoDB-style ObjectIds: 4-byte big-endian seconds, 5 random bytes (per process), 3-byte counter. */
#ifndef CRM_OBJECTID_H
#define CRM_OBJECTID_H

#include <stdbool.h>

#define OBJECTID_LEN 24
typedef char objectid[OBJECTID_LEN + 1];   /* 24 lowercase hex + NUL */

void objectid_new(objectid out);           /* thread-safe; unique within and across processes */
bool objectid_valid(const char *s);        /* exactly 24 lowercase hex characters */

#endif
