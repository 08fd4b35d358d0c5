/* Unit tests for lib/json_writer and service/render_text: each primitive prints what jansson's
 * json_dumps(JSON_COMPACT) prints for the same value, and render_text_contact prints, to the
 * byte, what render_contact's tree dumps to, for contacts with every field set and unset and
 * with hostile text. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/json_writer.h"
#include "service/contacts.h"
#include "service/render.h"
#include "service/render_text.h"
#include "tap.h"

static char *dumped(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    return text;
}

/* jw_string(s) against jansson's json_string(s). */
static void string_as_jansson(arena *a, const char *s, const char *what)
{
    jw_writer w;
    char *want = dumped(json_string(s));
    jw_init(&w, a, 0);
    jw_string(&w, s);
    is_str(jw_text(&w, NULL), want, "string: %s", what);
    ok(!jw_refused(&w), "string: %s is not refused", what);
    free(want);
}

static void test_strings(arena *a)
{
    char one[2] = { 0, 0 };
    int escaped_ok = 1;
    /* Every ASCII character alone, the control characters included. */
    for (int c = 1; c < 0x80; c++) {
        jw_writer w;
        one[0] = (char)c;
        char *want = dumped(json_string(one));
        jw_init(&w, a, 0);
        jw_string(&w, one);
        if (strcmp(jw_text(&w, NULL), want) != 0) {
            escaped_ok = 0;
            fprintf(stderr, "# 0x%02x: got %s, want %s\n", c, jw_text(&w, NULL), want);
        }
        free(want);
    }
    ok(escaped_ok, "string: each of the characters 0x01..0x7f alone prints as jansson prints it");

    string_as_jansson(a, "", "empty");
    string_as_jansson(a, "plain text", "plain");
    string_as_jansson(a, "say \"hi\" \\ back\\", "quotes and backslashes");
    string_as_jansson(a, "\b\f\n\r\t\x01\x1f\x7f", "named escapes, \\u00XX and DEL");
    string_as_jansson(a, "</script><script>alert(1)</script>", "</script> (no slash escape)");
    string_as_jansson(a, "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "U+2028 and U+2029 stay raw");
    string_as_jansson(a, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", "2-, 3- and 4-byte UTF-8");
    string_as_jansson(a, "\xef\xbb\xbf" "BOM", "a byte order mark");

    jw_writer w;
    jw_init(&w, a, 0);
    jw_string(&w, "\x1f/\xc3\xa9");
    is_str(jw_text(&w, NULL), "\"\\u001F/\xc3\xa9\"", "string: upper-case hex, '/' and non-ASCII as they are");

    /* Long strings, through the buffer's growth from its smallest size. */
    size_t n = 200000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "ab\"\\\n\x01/\xc3\xa9"[i % 10];
    big[n] = '\0';
    /* The cut above may split the 2-byte é at the end: keep the text valid. */
    while ((unsigned char)big[n - 1] >= 0x80)
        big[--n] = '\0';
    string_as_jansson(a, big, "200,000 bytes of mixed escapes");
    memset(big, 'x', n);
    string_as_jansson(a, big, "200,000 plain bytes");
    free(big);
}

static void refused(arena *a, const char *s, const char *what)
{
    jw_writer w;
    jw_init(&w, a, 0);
    jw_array_begin(&w);
    jw_string(&w, s);
    jw_int(&w, 1);
    jw_array_end(&w);
    ok(jw_refused(&w), "refused: %s", what);
    is_str(jw_text(&w, NULL), "[null,1]", "refused: %s prints null in its place", what);
    if (s) {
        json_t *j = json_string(s);
        ok(j == NULL, "refused: jansson refuses %s too", what);
        json_decref(j);
    }
}

static void test_refused(arena *a)
{
    refused(a, NULL, "a NULL string");
    refused(a, "\xff", "a byte that is never UTF-8");
    refused(a, "ab\x80", "a lone continuation byte");
    refused(a, "\xc3", "a truncated sequence");
    refused(a, "\xc0\xaf", "an overlong '/'");
    refused(a, "\xed\xa0\x80", "a surrogate");
    refused(a, "\xf4\x90\x80\x80", "past U+10FFFF");
}

static void test_numbers_and_literals(arena *a)
{
    static const int64_t ints[] = { 0, 1, -1, 9, 10, -10, 123456789, INT32_MAX, INT32_MIN,
                                    (int64_t)INT32_MAX + 1, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        jw_writer w;
        char *want = dumped(json_integer((json_int_t)ints[i]));
        jw_init(&w, a, 0);
        jw_int(&w, ints[i]);
        is_str(jw_text(&w, NULL), want, "int %lld", (long long)ints[i]);
        free(want);
    }
    jw_writer w;
    jw_init(&w, a, 0);
    jw_array_begin(&w);
    jw_bool(&w, true);
    jw_bool(&w, false);
    jw_null(&w);
    jw_string_or_null(&w, NULL);
    jw_string_or_null(&w, "");
    jw_string_or_null(&w, "x");
    jw_array_end(&w);
    is_str(jw_text(&w, NULL), "[true,false,null,null,null,\"x\"]", "true, false, null and string_or_null");

    static const int64_t times[] = { 0, -1, 1777645800123LL, INT64_MAX, INT64_MIN };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char *want = dumped(json_time(times[i]));
        jw_init(&w, a, 0);
        jw_time(&w, times[i]);
        is_str(jw_text(&w, NULL), want, "time %lld as json_time", (long long)times[i]);
        free(want);
    }
}

static void test_nesting(arena *a)
{
    jw_writer w;
    size_t len;
    jw_init(&w, a, 0);
    jw_object_begin(&w);
    jw_object_end(&w);
    is_str(jw_text(&w, NULL), "{}", "empty object");
    jw_init(&w, a, 0);
    jw_array_begin(&w);
    jw_array_end(&w);
    is_str(jw_text(&w, NULL), "[]", "empty array");

    json_t *j = json_pack("{s:[], s:{}, s:[{}, [], [i, {s:n}], s], s:{s:{s:[]}}, s:i}", "a", "b", "c", 1, "k", "x",
                          "d", "e", "f", "g", 7);
    char *want = dumped(j);
    jw_init(&w, a, 0);
    jw_object_begin(&w);
    jw_key(&w, "a");
    jw_array_begin(&w);
    jw_array_end(&w);
    jw_key(&w, "b");
    jw_object_begin(&w);
    jw_object_end(&w);
    jw_key(&w, "c");
    jw_array_begin(&w);
    jw_object_begin(&w);
    jw_object_end(&w);
    jw_array_begin(&w);
    jw_array_end(&w);
    jw_array_begin(&w);
    jw_int(&w, 1);
    jw_object_begin(&w);
    jw_key(&w, "k");
    jw_null(&w);
    jw_object_end(&w);
    jw_array_end(&w);
    jw_string(&w, "x");
    jw_array_end(&w);
    jw_key(&w, "d");
    jw_object_begin(&w);
    jw_key(&w, "e");
    jw_object_begin(&w);
    jw_key(&w, "f");
    jw_array_begin(&w);
    jw_array_end(&w);
    jw_object_end(&w);
    jw_object_end(&w);
    jw_key(&w, "g");
    jw_int(&w, 7);
    jw_object_end(&w);
    char *got = jw_text(&w, &len);
    is_str(got, want, "nested objects and arrays: commas and order as jansson's");
    is_int(len, strlen(want), "jw_text's length");
    free(want);

    /* A key is escaped as a string is. */
    jw_init(&w, a, 0);
    jw_object_begin(&w);
    jw_key(&w, "a\"b\n");
    jw_int(&w, 1);
    jw_object_end(&w);
    want = dumped(json_pack("{s:i}", "a\"b\n", 1));
    is_str(jw_text(&w, NULL), want, "an escaped key");
    free(want);
}

/* ---- contacts, through render_contact and render_text_contact ---- */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool coin(void) { return rnd() & 1; }

/* Text made of hostile pieces: quotes, backslashes, control characters, markup, U+2028,
 * 4-byte UTF-8; sometimes NULL or "" (fields that may be unset), sometimes very long. */
static char *hostile(arena *a, bool may_be_unset)
{
    static const char *const pieces[] = {
        "Ann", "O'Brien", "\"", "\\", "\\\"", "/", "</script>", "\xe2\x80\xa8", "\xe2\x80\xa9",
        "\xf0\x9f\x98\x80", "\xc3\xa9", "\xe6\x97\xa5", "\x7f", " ", "\t", "\n", "\r", "\b", "\f",
        "\x01", "\x1b[31m", "\x1f", "{\"a\":1}", "null", "\\u0000",
    };
    if (may_be_unset && rnd() % 5 == 0)
        return coin() ? NULL : "";
    size_t n = rnd() % 10 == 0 ? 2000 + rnd() % 3000 : rnd() % 8;
    char *s = arena_alloc(a, n * 12 + 1), *o = s;
    for (size_t i = 0; i < n; i++) {
        const char *p;
        char ctl[2] = { (char)(1 + rnd() % 0x1f), 0 };
        p = rnd() % 4 == 0 ? ctl : pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
        strcpy(o, p);
        o += strlen(p);
    }
    return s;
}

static void random_id(objectid id)
{
    for (int i = 0; i < OBJECTID_LEN; i++)
        id[i] = "0123456789abcdef"[rnd() % 16];
    id[OBJECTID_LEN] = '\0';
}

static int64_t random_time(void)
{
    switch (rnd() % 5) {
    case 0: return 0;
    case 1: return -(int64_t)(rnd() % 100000000000LL);
    case 2: return INT64_MAX;
    default: return 1700000000000LL + (int64_t)(rnd() % 100000000000LL);
    }
}

static void random_verification(arena *a, crm_verification *v)
{
    if (coin()) {
        memset(v, 0, sizeof *v);
        return;
    }
    v->at = random_time();
    if (v->at == 0)
        v->at = 1;
    random_id(v->by);
    v->source = hostile(a, true);
}

static void random_phones(crm_phone **out, size_t *n, size_t max)
{
    *n = rnd() % (max + 1);
    *out = calloc(*n + 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        snprintf((*out)[i].e164, sizeof (*out)[i].e164, "+1%010llu", (unsigned long long)(rnd() % 10000000000ULL));
        (*out)[i].is_primary = rnd() % 3 == 0;
    }
}

/* A contact whose every field is drawn at random, and some of its numbers and emails verified. */
static void random_contact(arena *a, crm_contact *ct)
{
    memset(ct, 0, sizeof *ct);
    random_id(ct->id);
    random_id(ct->org_id);
    random_id(ct->user_id);
    random_id(ct->created_by);
    if (coin())
        ct->created_by[0] = '\0';   /* "" is printed as "" here, not null */
    ct->nassignees = rnd() % 4 == 0 ? 0 : rnd() % 50;
    ct->assignees = arena_alloc(a, (ct->nassignees + 1) * sizeof *ct->assignees);
    for (size_t i = 0; i < ct->nassignees; i++)
        random_id(ct->assignees[i]);
    ct->first_name = hostile(a, true);
    ct->last_name = hostile(a, true);
    random_phones(&ct->phones, &ct->nphones, 20);
    random_phones(&ct->secondary, &ct->nsecondary, 5);
    ct->nemails = rnd() % 4 == 0 ? 0 : rnd() % 20;
    ct->emails = arena_alloc(a, (ct->nemails + 1) * sizeof *ct->emails);
    for (size_t i = 0; i < ct->nemails; i++) {
        ct->emails[i].value = coin() ? arena_printf(a, "user%llu@example.com", (unsigned long long)(rnd() % 1000))
                                     : hostile(a, false);
        ct->emails[i].is_primary = rnd() % 3 == 0;
    }
    ct->status = hostile(a, true);
    ct->process = hostile(a, true);
    ct->source = hostile(a, true);
    random_id(ct->pipeline_id);
    random_id(ct->stage_id);
    ct->created_at = random_time();
    ct->updated_at = random_time();
    ct->version = coin() ? (int64_t)(rnd() % 100) : (int64_t)rnd();
    random_verification(a, &ct->verified);
    size_t max = ct->nphones + ct->nsecondary + ct->nemails;
    ct->methods = arena_alloc(a, (max + 1) * sizeof *ct->methods);
    for (size_t i = 0; i < max; i++) {
        if (coin())
            continue;
        crm_method_verification *m = &ct->methods[ct->nmethods++];
        if (i < ct->nphones)
            m->type = "phone", m->value = ct->phones[i].e164;
        else if (i < ct->nphones + ct->nsecondary)
            m->type = "phone", m->value = ct->secondary[i - ct->nphones].e164;
        else
            m->type = "email", m->value = ct->emails[i - ct->nphones - ct->nsecondary].value;
        random_verification(a, &m->v);
        m->v.at = m->v.at ? m->v.at : 1;
    }
}

static void free_contact(crm_contact *ct)
{
    free(ct->phones);
    free(ct->secondary);
}

/* Both renderings of ct; 1 when they are the same bytes. */
static int same_bytes(arena *a, const crm_contact *ct, char **got_out, char **want_out)
{
    jw_writer w;
    char *want = dumped(render_contact(ct));
    jw_init(&w, a, 2048);
    render_text_contact(&w, ct);
    char *got = jw_text(&w, NULL);
    *got_out = got;
    *want_out = want;
    return !jw_refused(&w) && want && strcmp(got, want) == 0;
}

static void test_contacts(void)
{
    enum { N = 3000 };
    int same = 0, same_created = 0, first_bad = -1;
    char *got = NULL, *want = NULL;
    for (int i = 0; i < N; i++) {
        arena *a = arena_new();
        crm_contact ct;
        random_contact(a, &ct);
        if (same_bytes(a, &ct, &got, &want))
            same++;
        else if (first_bad < 0) {
            first_bad = i;
            fprintf(stderr, "# contact %d\n#   got: %s\n#  want: %s\n", i, got, want ? want : "(null)");
        }
        free(want);
        want = dumped(render_contact_created(&ct));
        got = render_text_contact_created(render_text_contact_alone(&ct, a), a);
        if (want && strcmp(got, want) == 0)
            same_created++;
        free(want);
        free_contact(&ct);
        arena_destroy(a);
    }
    is_int(same, N, "render_text_contact prints render_contact's bytes for %d random contacts", N);
    is_int(same_created, N, "a create's reply around render_text_contact_alone is render_contact_created's bytes");

    /* A contact with nothing optional set: empty arrays and nulls. */
    arena *a = arena_new();
    crm_contact ct = { 0 };
    strcpy(ct.id, "0123456789abcdef01234567");
    ok(same_bytes(a, &ct, &got, &want), "a contact with every field unset");
    is_str(got, want, "its text");
    free(want);
    arena_destroy(a);
}

/* contact_move_changes_json against contact_changes_json for random contacts moved: the status,
 * the stage and sometimes the pipeline changed (or set, or cleared, or the same). */
static void test_move_changes(void)
{
    enum { N = 2000 };
    int same = 0, first_bad = -1, none = 0;
    for (int i = 0; i < N; i++) {
        arena *a = arena_new();
        crm_contact before, after;
        random_contact(a, &before);
        after = before;
        switch (rnd() % 4) {
        case 0: break;                                       /* the status unchanged */
        case 1: after.status = NULL; break;
        case 2: after.status = ""; break;
        default: after.status = hostile(a, true); break;
        }
        if (coin())
            random_id(after.stage_id);
        if (coin())
            random_id(after.pipeline_id);
        char *got = contact_move_changes_json(&before, &after, a), *want = contact_changes_json(&before, &after, a);
        none += !want;
        if ((!got && !want) || (got && want && strcmp(got, want) == 0))
            same++;
        else if (first_bad < 0) {
            first_bad = i;
            fprintf(stderr, "# move %d\n#   got: %s\n#  want: %s\n", i, got ? got : "(null)", want ? want : "(null)");
        }
        free_contact(&before);
        arena_destroy(a);
    }
    is_int(same, N, "contact_move_changes_json prints contact_changes_json's text for %d random moves", N);
    ok(none > 0 && none < N, "some of them change nothing (%d)", none);
}

/* A contact with text jansson refuses: render_contact gives no tree, so the writer must say so
 * (api_ok_send then falls back to the jansson path, whose reply stays what it was). */
static void test_contact_refused(void)
{
    arena *a = arena_new();
    crm_contact ct = { 0 };
    jw_writer w;
    strcpy(ct.id, "0123456789abcdef01234567");
    ct.first_name = "\xff";
    json_t *j = render_contact(&ct);
    ok(j == NULL, "render_contact gives no tree for a name that is not UTF-8");
    json_decref(j);
    jw_init(&w, a, 0);
    render_text_contact(&w, &ct);
    ok(jw_refused(&w), "render_text_contact leaves the writer refused");
    arena_destroy(a);
}

int main(void)
{
    arena *a = arena_new();
    test_strings(a);
    test_refused(a);
    test_numbers_and_literals(a);
    test_nesting(a);
    arena_destroy(a);
    test_contacts();
    test_contact_refused();
    test_move_changes();
    return tap_done();
}
