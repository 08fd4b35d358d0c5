/* CSV reading (csv.h): one pass over the bytes, a field at a time into a scratch buffer. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csv.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

struct csv_reader {
    const char *p, *end;
    size_t line;
    char delimiter;
    bool failed;
    char *field;                 /* scratch: the field being read */
    size_t len, cap;
};

/* The delimiter that occurs most often outside quotes in the first record; a comma on a tie. */
static char guess_delimiter(const char *p, const char *end)
{
    static const char candidates[] = {',', ';', '\t'};
    size_t count[3] = {0};
    bool quoted = false;
    for (; p < end; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == '\n' || *p == '\r'))
            break;
        else if (!quoted)
            for (int i = 0; i < 3; i++)
                count[i] += *p == candidates[i];
    }
    int best = 0;
    for (int i = 1; i < 3; i++)
        if (count[i] > count[best])
            best = i;
    return candidates[best];
}

csv_reader *csv_open(const char *data, size_t len, char delimiter)
{
    csv_reader *r = xcalloc(1, sizeof *r);
    r->p = data;
    r->end = data + len;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->p += 3;
    r->line = 1;
    r->delimiter = delimiter ? delimiter : guess_delimiter(r->p, r->end);
    return r;
}

void csv_close(csv_reader *r)
{
    if (!r)
        return;
    free(r->field);
    free(r);
}

char csv_delimiter(const csv_reader *r)
{
    return r->delimiter;
}

static int fail(csv_reader *r, size_t line, char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "line %zu: %s", line, why);
    r->failed = true;
    return -1;
}

static bool put(csv_reader *r, char c)
{
    if (r->len == CSV_MAX_FIELD)
        return false;
    if (r->len == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->field = xrealloc(r->field, r->cap);
    }
    r->field[r->len++] = c;
    return true;
}

/* At a line end (CRLF, LF or CR): consumes it. */
static bool line_end(csv_reader *r)
{
    if (r->p < r->end && *r->p == '\r') {
        r->p++;
        if (r->p < r->end && *r->p == '\n')
            r->p++;
    } else if (r->p < r->end && *r->p == '\n') {
        r->p++;
    } else {
        return false;
    }
    r->line++;
    return true;
}

/* Reads one field into the scratch buffer; stops at the delimiter, a line end or the end (not
 * consumed). 0, or -1 with err. */
static int read_field(csv_reader *r, size_t start_line, char *err, size_t errlen)
{
    r->len = 0;
    if (r->p < r->end && *r->p == '"') {
        size_t opened = r->line;
        r->p++;
        for (;;) {
            if (r->p == r->end)
                return fail(r, opened, err, errlen, "a quoted field is never closed");
            char c = *r->p++;
            if (c == '"') {
                if (r->p < r->end && *r->p == '"')
                    r->p++;
                else
                    break;
            } else if (c == '\n' || (c == '\r' && (r->p == r->end || *r->p != '\n'))) {
                r->line++;
            }
            if (!put(r, c))
                return fail(r, start_line, err, errlen, "a field is longer than 64 KiB");
        }
        if (r->p < r->end && *r->p != r->delimiter && *r->p != '\n' && *r->p != '\r')
            return fail(r, r->line, err, errlen, "a closing quote is followed by something other than a delimiter");
        return 0;
    }
    while (r->p < r->end && *r->p != r->delimiter && *r->p != '\n' && *r->p != '\r')
        if (!put(r, *r->p++))
            return fail(r, start_line, err, errlen, "a field is longer than 64 KiB");
    return 0;
}

int csv_next(csv_reader *r, arena *a, csv_record *out, char *err, size_t errlen)
{
    if (r->failed)
        return fail(r, r->line, err, errlen, "the data was already found malformed");
    while (line_end(r))   /* empty lines */
        ;
    if (r->p == r->end)
        return 0;
    size_t cap = 16;
    *out = (csv_record){.fields = arena_alloc(a, cap * sizeof(char *)), .line = r->line};
    for (;;) {
        if (read_field(r, out->line, err, errlen))
            return -1;
        if (!utf8_valid(r->field, r->len))
            return fail(r, out->line, err, errlen, "a field is not valid UTF-8 (or holds a NUL byte)");
        if (out->n == CSV_MAX_FIELDS)
            return fail(r, out->line, err, errlen, "a record has more than 256 fields");
        if (out->n == cap) {
            char **grown = arena_alloc(a, cap * 2 * sizeof(char *));
            memcpy(grown, out->fields, cap * sizeof(char *));
            out->fields = grown;
            cap *= 2;
        }
        out->fields[out->n++] = arena_strndup(a, r->field ? r->field : "", r->len);
        if (r->p < r->end && *r->p == r->delimiter) {
            r->p++;
            continue;
        }
        line_end(r);
        return 1;
    }
}
