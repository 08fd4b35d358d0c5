/* Records printed straight to JSON text (lib/json_writer.h) for the hot read paths. Each prints
 * the bytes that json_dumps(JSON_COMPACT) prints for its json_t twin in service/render.h; the
 * twins keep the same keys in the same order, and tests/unit/test_json_writer.c holds them to
 * it. A record with a string jansson refuses (not UTF-8) leaves the writer refused. */
#ifndef CRM_RENDER_TEXT_H
#define CRM_RENDER_TEXT_H

#include "lib/json_writer.h"
#include "model/model.h"

void render_text_contact(jw_writer *w, const crm_contact *ct);   /* render_contact's object */

/* render_contact's text in a: by the writer, or by jansson where the writer refuses. */
char *render_text_contact_alone(const crm_contact *ct, arena *a);
/* render_contact_created's text around that of its contact: a create prints its contact once,
 * for its event's payload and for its reply. */
char *render_text_contact_created(const char *contact_text, arena *a);

#endif
