/* Unit tests for lib/utf8: strict validation, code point counting and trimming. */
#include <string.h>

#include "lib/utf8.h"
#include "tap.h"

static const struct {
    const char *name;
    const char *s;
    size_t len;   /* 0: use strlen */
    int valid;
    size_t points;
} cases[] = {
    {"empty", "", 0, 1, 0},
    {"ascii", "hello", 0, 1, 5},
    {"2-byte é", "caf\xc3\xa9", 0, 1, 4},
    {"3-byte €", "\xe2\x82\xac", 0, 1, 1},
    {"4-byte 😀", "\xf0\x9f\x98\x80", 0, 1, 1},
    {"U+0080 lowest 2-byte", "\xc2\x80", 0, 1, 1},
    {"U+07FF", "\xdf\xbf", 0, 1, 1},
    {"U+0800 lowest 3-byte", "\xe0\xa0\x80", 0, 1, 1},
    {"U+D7FF below surrogates", "\xed\x9f\xbf", 0, 1, 1},
    {"U+E000 above surrogates", "\xee\x80\x80", 0, 1, 1},
    {"U+FFFD", "\xef\xbf\xbd", 0, 1, 1},
    {"U+FFFF noncharacter is still UTF-8", "\xef\xbf\xbf", 0, 1, 1},
    {"U+10000 lowest 4-byte", "\xf0\x90\x80\x80", 0, 1, 1},
    {"U+10FFFF highest", "\xf4\x8f\xbf\xbf", 0, 1, 1},
    {"mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 0, 1, 5},
    {"control chars other than NUL are UTF-8", "\t\x01\x7f", 0, 1, 3},
    {"NUL inside", "ab\0cd", 5, 0, 0},
    {"NUL alone", "\0", 1, 0, 0},
    {"overlong NUL C0 80", "\xc0\x80", 0, 0, 0},
    {"overlong '/' C0 AF", "\xc0\xaf", 0, 0, 0},
    {"overlong C1 BF", "\xc1\xbf", 0, 0, 0},
    {"overlong 3-byte E0 80 AF", "\xe0\x80\xaf", 0, 0, 0},
    {"overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", 0, 0, 0},
    {"overlong 4-byte F0 80 80 AF", "\xf0\x80\x80\xaf", 0, 0, 0},
    {"overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf", 0, 0, 0},
    {"surrogate U+D800", "\xed\xa0\x80", 0, 0, 0},
    {"surrogate U+DFFF", "\xed\xbf\xbf", 0, 0, 0},
    {"surrogate pair CESU-8", "\xed\xa0\xbd\xed\xb8\x80", 0, 0, 0},
    {"U+110000", "\xf4\x90\x80\x80", 0, 0, 0},
    {"F5 lead", "\xf5\x80\x80\x80", 0, 0, 0},
    {"F8 5-byte lead", "\xf8\x88\x80\x80\x80", 0, 0, 0},
    {"FE", "\xfe", 0, 0, 0},
    {"FF", "\xff", 0, 0, 0},
    {"lone continuation", "\x80", 0, 0, 0},
    {"continuation after ascii", "a\xbf", 0, 0, 0},
    {"truncated 2-byte at end", "ab\xc3", 0, 0, 0},
    {"truncated 3-byte at end", "ab\xe2\x82", 0, 0, 0},
    {"truncated 4-byte at end", "\xf0\x9f\x98", 0, 0, 0},
    {"truncated 2-byte before ascii", "\xc3" "a", 0, 0, 0},
    {"truncated 3-byte before ascii", "\xe2\x82" "a", 0, 0, 0},
    {"truncated 4-byte before ascii", "\xf0\x9f\x98" "a", 0, 0, 0},
    {"bad second continuation", "\xe2\x28\xa1", 0, 0, 0},
    {"bad third continuation", "\xf0\x9f\x28\x80", 0, 0, 0},
    {"latin-1 é", "caf\xe9", 0, 0, 0},
    {"len cuts a sequence", "\xc3\xa9", 1, 0, 0},
};

static void test_valid(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);
        is_int(utf8_valid(cases[i].s, len), cases[i].valid, "%s: %s", cases[i].name,
               cases[i].valid ? "valid" : "invalid");
        if (cases[i].valid)
            is_int(utf8_length(cases[i].s, len), cases[i].points, "%s: %zu code points",
                   cases[i].name, cases[i].points);
    }
    ok(utf8_valid(NULL, 0), "NULL with length 0 is the empty string");
    ok(!utf8_valid(NULL, 1), "NULL with a length is invalid");
    is_int(utf8_length(NULL, 3), 0, "length of NULL is 0");
    ok(utf8_valid("abc\xc3\xa9", 3), "only len bytes are looked at");
}

static const struct {
    const char *in, *out;
} trims[] = {
    {"", ""},
    {"a", "a"},
    {"  a  ", "a"},
    {"\t\r\n a b \v\f", "a b"},
    {"   ", ""},
    {"x  ", "x"},
    {"  x", "x"},
    {"\xc2\xa0x\xc2\xa0", "\xc2\xa0x\xc2\xa0"},   /* NBSP is not ASCII blank: left alone */
};

static void test_trim(void)
{
    for (size_t i = 0; i < sizeof trims / sizeof trims[0]; i++) {
        char buf[64];
        strcpy(buf, trims[i].in);
        is_str(str_trim(buf), trims[i].out, "trim case %zu", i);   /* input may hold newlines */
    }
    ok(str_trim(NULL) == NULL, "trim NULL → NULL");
}

int main(void)
{
    test_valid();
    test_trim();
    return tap_done();
}
