/* JSON text printed straight into one arena buffer, with no tree of values: for replies on hot
 * paths. It prints exactly what jansson's json_dumps(JSON_COMPACT) prints for the same values,
 * so a reply written either way is the same to the byte (tests/unit/test_json_writer.c). */
#ifndef CRM_JSON_WRITER_H
#define CRM_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/arena.h"

/* The caller nests begin/end pairs and puts a key before each member of an object; the writer
 * adds the commas. A string that is not valid UTF-8, or a NULL string, is printed as null and
 * marks the writer refused: jansson refuses such a string, so the caller that must answer as
 * jansson does falls back to it (jw_refused). */
typedef struct jw_writer {
    arena *a;
    char *buf;         /* in a; NUL-terminated once jw_text returns it */
    size_t len, cap;   /* cap counts the terminating NUL */
    bool comma;        /* what comes next follows another member or element */
    bool refused;
} jw_writer;

void jw_init(jw_writer *w, arena *a, size_t cap);   /* cap: expected length; it grows as needed */
void jw_object_begin(jw_writer *w);
void jw_object_end(jw_writer *w);
void jw_array_begin(jw_writer *w);
void jw_array_end(jw_writer *w);
void jw_key(jw_writer *w, const char *key);
void jw_string(jw_writer *w, const char *s);
void jw_string_or_null(jw_writer *w, const char *s);   /* NULL or "" → null, as render.h's ids */
void jw_int(jw_writer *w, int64_t v);
void jw_bool(jw_writer *w, bool v);
void jw_null(jw_writer *w);
void jw_time(jw_writer *w, int64_t ms);               /* lib/timefmt.h's ISO-8601 string */
bool jw_refused(const jw_writer *w);
/* The text so far, NUL-terminated, in the writer's arena; *len without the NUL (len may be NULL). */
char *jw_text(jw_writer *w, size_t *len);

#endif
