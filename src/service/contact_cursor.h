/* Keyset cursors of the contact list (`after=` / nextCursor). Opaque to clients: base64url of
 * "<created_at ms>.<id>" of the last row of a page. The decoder reads untrusted text. */
#ifndef CRM_SERVICE_CONTACT_CURSOR_H
#define CRM_SERVICE_CONTACT_CURSOR_H

#include <stdbool.h>
#include "lib/arena.h"
#include "model/model.h"
#include "store/store.h"

/* The cursor that continues after `last` (in the arena). */
char *contact_cursor_encode(const crm_contact *last, arena *a);
/* Sets q's keyset fields from a cursor; false (q untouched) when it is not one we issued. */
bool contact_cursor_decode(const char *cursor, contact_query *q);

#endif
