/* Unit tests for lib/csv: records and fields as spreadsheets write them, line numbers, the
 * delimiter guess, and every malformed input refused with its line. */
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/csv.h"
#include "tap.h"

/* Every record of data joined as "f|f|f@line;" (or "ERROR <err>" at the first failure). */
static char *records(const char *data, size_t len, char delim, char *got_delim)
{
    static char out[200000];
    char err[200];
    arena *a = arena_new();
    csv_reader *r = csv_open(data, len ? len : strlen(data), delim);
    csv_record rec;
    int rc;
    size_t at = 0;
    out[0] = '\0';
    while ((rc = csv_next(r, a, &rec, err, sizeof err)) == 1) {
        for (size_t i = 0; i < rec.n; i++)
            at += (size_t)snprintf(out + at, sizeof out - at, "%s%s", i ? "|" : "", rec.fields[i]);
        at += (size_t)snprintf(out + at, sizeof out - at, "@%zu;", rec.line);
    }
    if (rc < 0)
        snprintf(out + at, sizeof out - at, "ERROR %s", err);
    if (got_delim)
        *got_delim = csv_delimiter(r);
    csv_close(r);
    arena_destroy(a);
    return out;
}

int main(void)
{
    char d;
    is_str(records("a,b,c\r\n1,2,3\r\n", 0, 0, &d), "a|b|c@1;1|2|3@2;", "CRLF records");
    is_int(d, ',', "a comma by default");
    is_str(records("\xEF\xBB\xBFname;phone\nJo;+1 415 555 0100\n", 0, 0, &d), "name|phone@1;Jo|+1 415 555 0100@2;",
           "a BOM is skipped");
    is_int(d, ';', "semicolons guessed from the header");
    is_str(records("a\tb\n1\t2", 0, 0, &d), "a|b@1;1|2@2;", "tabs, and a last record without a line end");
    is_int(d, '\t', "tab guessed");
    is_str(records("\"a;b\",c\n", 0, 0, &d), "a;b|c@1;", "a delimiter inside quotes is not counted");
    is_int(d, ',', "so this is comma-separated");
    is_str(records("\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\"\nnext,x,y\n", 0, 0, NULL),
           "a,b|say \"hi\"|l1\nl2@1;next|x|y@3;", "quoted commas, doubled quotes, a line break in a field");
    is_str(records("\"l1\r\nl2\",b\r\nc,d\r\n", 0, 0, NULL), "l1\r\nl2|b@1;c|d@3;", "a CRLF inside quotes is kept");
    is_str(records("a\n\n\r\n\nb", 0, 0, NULL), "a@1;b@5;", "empty lines are skipped, lines still counted");
    is_str(records(",,\n", 0, 0, NULL), "||@1;", "empty fields");
    is_str(records("a,\"\",b\n", 0, 0, NULL), "a||b@1;", "an empty quoted field");
    is_str(records("ab\"c,d\n", 0, 0, NULL), "ab\"c|d@1;", "a quote inside an unquoted field is a character");
    is_str(records("a,b\rc,d\r", 0, 0, NULL), "a|b@1;c|d@2;", "CR alone ends a record");
    is_str(records("a;b,c\n", 0, ',', NULL), "a;b|c@1;", "a delimiter given is not guessed");
    is_str(records("", 0, 0, NULL), "", "empty input: no record");
    is_str(records("\xEF\xBB\xBF", 0, 0, NULL), "", "a BOM alone: no record");
    is_str(records("Zoë,Łukasz,東京\n", 0, 0, NULL), "Zoë|Łukasz|東京@1;", "UTF-8 kept as it is");

    is_str(records("a,b\n\"open,c\n", 0, 0, NULL), "a|b@1;ERROR line 2: a quoted field is never closed",
           "an unclosed quote");
    is_str(records("\"a\"b,c\n", 0, 0, NULL),
           "ERROR line 1: a closing quote is followed by something other than a delimiter", "text after a closing quote");
    is_str(records("ok\nbad\xff,x\n", 0, 0, NULL), "ok@1;ERROR line 2: a field is not valid UTF-8 (or holds a NUL byte)",
           "invalid UTF-8");
    is_str(records("a\0b,c\n", 6, 0, NULL), "ERROR line 1: a field is not valid UTF-8 (or holds a NUL byte)",
           "a NUL byte");
    char *wide = malloc(CSV_MAX_FIELDS * 2 + 3);
    for (int i = 0; i <= CSV_MAX_FIELDS; i++)
        wide[2 * i] = 'x', wide[2 * i + 1] = ',';
    wide[2 * CSV_MAX_FIELDS + 1] = '\n';
    wide[2 * CSV_MAX_FIELDS + 2] = '\0';
    is_str(records(wide, 0, 0, NULL), "ERROR line 1: a record has more than 256 fields", "too many fields");
    wide[2 * CSV_MAX_FIELDS - 1] = '\n';   /* exactly 256 */
    wide[2 * CSV_MAX_FIELDS] = '\0';
    ok(strstr(records(wide, 0, 0, NULL), "ERROR") == NULL, "256 fields are fine");
    free(wide);
    char *big = malloc(CSV_MAX_FIELD + 3);
    memset(big, 'y', CSV_MAX_FIELD + 1);
    strcpy(big + CSV_MAX_FIELD + 1, "\n");
    is_str(records(big, 0, 0, NULL), "ERROR line 1: a field is longer than 64 KiB", "a field too long");
    big[0] = '"';
    big[CSV_MAX_FIELD] = '"';
    ok(strstr(records(big, 0, 0, NULL), "ERROR") == NULL, "a quoted field of 64 KiB less two is fine");
    free(big);

    /* After a failure the reader stays failed. */
    char err[100];
    arena *a = arena_new();
    csv_record rec;
    csv_reader *r = csv_open("\"x", 2, 0);
    is_int(csv_next(r, a, &rec, err, sizeof err), -1, "malformed");
    is_int(csv_next(r, a, &rec, err, sizeof err), -1, "and again");
    csv_close(r);
    arena_destroy(a);
    return tap_done();
}
