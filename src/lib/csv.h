/* Reading CSV as spreadsheets write it (RFC 4180 and its usual variants), for imports: a UTF-8
 * byte-order mark skipped; the delimiter (comma, semicolon or tab) guessed from the first record
 * unless given; fields quoted with " (quotes doubled inside, line breaks allowed); records ended
 * by CRLF, LF or CR; empty lines skipped. A quote inside an unquoted field is kept as a
 * character, as spreadsheets do. Every field must be UTF-8 without NUL. */
#ifndef CRM_CSV_H
#define CRM_CSV_H

#include <stddef.h>
#include "lib/arena.h"

#define CSV_MAX_FIELDS 256           /* fields of one record */
#define CSV_MAX_FIELD (64 * 1024)    /* bytes of one field */

typedef struct csv_reader csv_reader;

typedef struct csv_record {
    char **fields;                   /* NUL-terminated, in the arena given to csv_next */
    size_t n;
    size_t line;                     /* the line it starts on, from 1 */
} csv_record;

/* Reads data[0..len) (not copied: it must outlive the reader). delimiter 0: guess. */
csv_reader *csv_open(const char *data, size_t len, char delimiter);
void csv_close(csv_reader *r);       /* NULL is fine */
char csv_delimiter(const csv_reader *r);
/* The next record: 1, 0 at the end of the data, or -1 for a malformed one (err: its line and
 * why; the reader cannot go on after that). */
int csv_next(csv_reader *r, arena *a, csv_record *out, char *err, size_t errlen);

#endif
