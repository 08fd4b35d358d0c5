/* The CSV reader (lib/csv.c) on any bytes: it never reads out of bounds, every field it gives is
 * UTF-8 within the limits, line numbers only go forward, and what it read, written out again
 * with every field quoted, reads back to the same records, field for field. */
#include <string.h>

#include "fuzz.h"
#include "lib/arena.h"
#include "lib/csv.h"
#include "lib/utf8.h"

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        FUZZ_CHECK(t->s != NULL, "out of memory");
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
}

/* A record written back: every field quoted, quotes doubled, CRLF at the end. */
static void write_record(text *t, const csv_record *rec, char delim)
{
    for (size_t i = 0; i < rec->n; i++) {
        if (i)
            add(t, &delim, 1);
        add(t, "\"", 1);
        for (const char *p = rec->fields[i]; *p; p++) {
            if (*p == '"')
                add(t, "\"\"", 2);
            else
                add(t, p, 1);
        }
        add(t, "\"", 1);
    }
    add(t, "\r\n", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[200];
    arena *a = arena_new();
    csv_reader *r = csv_open((const char *)data, size, 0);
    char delim = csv_delimiter(r);
    FUZZ_CHECK(delim == ',' || delim == ';' || delim == '\t', "delimiter %d", delim);
    text t = {0};
    csv_record *seen = NULL;
    size_t nseen = 0, last_line = 0;
    csv_record rec;
    int rc;
    while ((rc = csv_next(r, a, &rec, err, sizeof err)) == 1) {
        FUZZ_CHECK(rec.n >= 1 && rec.n <= CSV_MAX_FIELDS, "%zu fields", rec.n);
        FUZZ_CHECK(rec.line > last_line, "line %zu after %zu", rec.line, last_line);
        last_line = rec.line;
        for (size_t i = 0; i < rec.n; i++) {
            size_t n = strlen(rec.fields[i]);
            FUZZ_CHECK(n <= CSV_MAX_FIELD && utf8_valid(rec.fields[i], n), "field %zu", i);
        }
        write_record(&t, &rec, delim);
        seen = realloc(seen, (nseen + 1) * sizeof *seen);
        FUZZ_CHECK(seen != NULL, "out of memory");
        seen[nseen++] = rec;
    }
    FUZZ_CHECK(rc == 0 || strncmp(err, "line ", 5) == 0, "error text: %s", err);
    csv_close(r);

    arena *b = arena_new();
    csv_reader *again = csv_open(t.s ? t.s : "", t.len, delim);
    for (size_t k = 0; k < nseen; k++) {
        rc = csv_next(again, b, &rec, err, sizeof err);
        FUZZ_CHECK(rc == 1, "record %zu did not read back: %d %s", k, rc, rc < 0 ? err : "");
        FUZZ_CHECK(rec.n == seen[k].n, "record %zu: %zu fields, then %zu", k, seen[k].n, rec.n);
        for (size_t i = 0; i < rec.n; i++)
            FUZZ_CHECK(strcmp(rec.fields[i], seen[k].fields[i]) == 0, "record %zu field %zu changed", k, i);
    }
    FUZZ_CHECK(csv_next(again, b, &rec, err, sizeof err) == 0, "a record more when read back");
    csv_close(again);
    arena_destroy(b);
    free(seen);
    free(t.s);
    arena_destroy(a);
    return 0;
}
