/* Unit tests for lib/multipart: the boundary of a Content-Type, and finding a named part of a
 * multipart/form-data body in place, as browsers and curl write them, and refusing broken ones. */
#include <string.h>

#include "lib/arena.h"
#include "lib/multipart.h"
#include "tap.h"

/* The part `name` of body as "filename|data", "none", or "ERROR <why>". */
static const char *find(const char *body, const char *boundary, const char *name, arena *a)
{
    multipart_part p;
    const char *why;
    int rc = multipart_find(body, strlen(body), boundary, name, a, &p, &why);
    if (rc < 0)
        return arena_printf(a, "ERROR %s", why);
    if (rc == 0)
        return "none";
    return arena_printf(a, "%s|%.*s", p.filename ? p.filename : "-", (int)p.len, p.data);
}

int main(void)
{
    char b[71];
    arena *a = arena_new();

    ok(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk", b), "browser boundary");
    is_str(b, "----WebKitFormBoundary7MA4YWxk", "read whole");
    ok(multipart_boundary("Multipart/Form-Data;boundary=\"a b\"", b) == false, "a space inside is refused");
    ok(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=\"xyz\"", b), "quoted, after a parameter");
    is_str(b, "xyz", "without its quotes");
    ok(!multipart_boundary("multipart/form-data", b), "no boundary");
    ok(!multipart_boundary("multipart/form-data; boundary=", b), "an empty boundary");
    ok(!multipart_boundary("multipart/mixed; boundary=x", b), "another multipart type");
    ok(!multipart_boundary("text/csv", b), "not multipart");
    ok(!multipart_boundary(NULL, b), "no Content-Type");
    char long_b[120] = "multipart/form-data; boundary=";
    memset(long_b + strlen(long_b), 'x', 71);
    ok(!multipart_boundary(long_b, b), "a boundary over 70 characters");

    const char *form = "--XX\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
                       "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\n"
                       "Content-Type: text/csv\r\n\r\nPhone\r\n+1 415 555 0100\r\n\r\n--XX--\r\n";
    is_str(find(form, "XX", "file", a), "leads.csv|Phone\r\n+1 415 555 0100\r\n", "the file part, its own CRLFs kept");
    is_str(find(form, "XX", "note", a), "-|hi", "a field without a filename");
    is_str(find(form, "XX", "other", a), "none", "no such part");
    is_str(find("preamble\r\n--XX\r\ncontent-disposition: form-data; filename=a.csv; name=file\r\n\r\nx,y\r\n--XX--",
                "XX", "file", a), "a.csv|x,y", "a preamble, lower-case header, unquoted parameters in any order");
    is_str(find("--XX\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--XX--\r\n", "XX", "file", a), "-|",
           "an empty part");
    is_str(find("--XX\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nab--XX\r\n--XX--", "XX", "file", a),
           "-|ab--XX", "the boundary without CRLF before it is data");
    is_str(find("--XX\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nno\r\n--XX--", "XX", "file", a),
           "none", "name=\"filename\" is not the part \"file\"");
    is_str(find("no boundary here", "XX", "file", a), "ERROR the body does not start with the boundary", "not multipart");
    is_str(find("--XX\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunclosed", "XX", "file", a),
           "ERROR the last part is not closed by the boundary", "no closing boundary");
    is_str(find("--XX\r\nContent-Disposition: form-data; name=\"file\"", "XX", "file", a),
           "ERROR a part has no end of headers", "cut in the headers");
    is_str(find("--XXjunk", "XX", "file", a), "ERROR a boundary is not followed by CRLF", "junk after a boundary");
    is_str(find("--XX--\r\n", "XX", "file", a), "none", "an empty form");
    arena_destroy(a);
    return tap_done();
}
