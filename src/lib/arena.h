/* Region allocator: many small allocations, freed together (one per request). Out of memory aborts. */
#ifndef CRM_ARENA_H
#define CRM_ARENA_H

#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);                 /* caller owns; free with arena_destroy */
void arena_destroy(arena *a);           /* frees the arena and everything allocated from it */
void arena_reset(arena *a);             /* frees every allocation but keeps the first block */
void *arena_alloc(arena *a, size_t n);  /* zeroed, aligned for any type */
char *arena_strdup(arena *a, const char *s);          /* NULL in → NULL out */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* before, text and after joined (none NULL): printf's "%s%s%s" without its parsing, for text of
 * any length (a contact's JSON inside an envelope). */
char *arena_wrap(arena *a, const char *before, const char *text, const char *after);

#endif
