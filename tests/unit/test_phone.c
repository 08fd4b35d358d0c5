/* Unit tests for lib/phone: what libphonenumber makes of numbers as people write them, per
 * country. Every expectation below was checked against the installed library. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/phone.h"
#include "tap.h"

#define OK_(e164) PHONE_OK, e164
#define ERR(r) r, ""

static const struct {
    const char *region, *input;
    enum phone_result want;
    const char *e164;
} rows[] = {
    /* ---- United States ---- */
    {"US", "(201) 555-0123", OK_("+12015550123")},
    {"US", "201-555-0123", OK_("+12015550123")},
    {"US", "201.555.0123", OK_("+12015550123")},
    {"US", "201/555/0123", OK_("+12015550123")},
    {"US", "2015550123", OK_("+12015550123")},
    {"US", "1 201 555 0123", OK_("+12015550123")},           /* national prefix 1 */
    {"US", "+1 201 555 0123", OK_("+12015550123")},
    {"US", "+1 (201) 555-0123", OK_("+12015550123")},
    {"US", "+1.201.555.0123", OK_("+12015550123")},
    {"US", "+12015550123", OK_("+12015550123")},
    {"US", "  201 555 0123  ", OK_("+12015550123")},
    {"US", "\t(415) 555-2671\n", OK_("+14155552671")},
    {"US", "(416) 555-0100", OK_("+14165550100")},           /* API.md's example: a Toronto number */
    {"US", "011 44 20 7946 0958", OK_("+442079460958")},     /* US international prefix is 011 */
    {"US", "+44 20 7946 0958", OK_("+442079460958")},        /* '+' overrides the region */
    {"US", "1-800-FLOWERS", OK_("+18003569377")},            /* vanity letters */
    {"US", "1-800-flowers", OK_("+18003569377")},
    {"US", "800-FLOWERS", OK_("+18003569377")},
    {"US", "+1-800-FLOWERS", OK_("+18003569377")},
    {"US", "1 (800) GOT-JUNK", OK_("+18004685865")},
    {"US", "800 356 9377", OK_("+18003569377")},             /* same as the vanity form */
    {"US", "tel:+1-201-555-0123", OK_("+12015550123")},      /* RFC 3966 */
    {"US", "\xef\xbc\x8b" "1 201 555 0123", OK_("+12015550123")},   /* full-width plus */
    {"US", "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x91\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95"
           "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", OK_("+12015550123")},   /* full-width digits */
    {"US", "Tel: +1 201 555 0123", OK_("+12015550123")},     /* leading text is skipped */
    {"US", "+1 201 555 0123 ext. 45", OK_("+12015550123")},  /* extension dropped from E.164 */
    {"US", "+1 201-555-0123;ext=45", OK_("+12015550123")},
    {"US", "201 555 0123 #45", OK_("+12015550123")},
    {"US", "001 201 555 0123", ERR(PHONE_TOO_LONG)},         /* 00 is not a US prefix */
    {"US", "555-0123", ERR(PHONE_TOO_SHORT)},                /* no area code */
    {"US", "20155501", ERR(PHONE_TOO_SHORT)},
    {"US", "(201) 555-012", ERR(PHONE_TOO_SHORT)},
    {"US", "+1 201 555 012", ERR(PHONE_TOO_SHORT)},
    {"US", "123", ERR(PHONE_TOO_SHORT)},
    {"US", "911", ERR(PHONE_TOO_SHORT)},
    {"US", "*123", ERR(PHONE_TOO_SHORT)},
    {"US", "00", ERR(PHONE_TOO_SHORT)},
    {"US", "201 555 01234", ERR(PHONE_TOO_LONG)},
    {"US", "201555012345", ERR(PHONE_TOO_LONG)},
    {"US", "+1 201 555 01234", ERR(PHONE_TOO_LONG)},
    {"US", "+1 201 555 0123 4567 8901 2345", ERR(PHONE_TOO_LONG)},
    {"US", "1-800-FLOWERSS", ERR(PHONE_TOO_LONG)},
    {"US", "201 555 0123 abc", ERR(PHONE_TOO_LONG)},         /* trailing letters read as digits */
    {"US", "1-800-FLOWER", ERR(PHONE_INVALID)},              /* 10 digits, area code 180 */
    {"US", "(555) 555-0100", ERR(PHONE_INVALID)},            /* no such area code */
    {"US", "(201) 055-0123", ERR(PHONE_INVALID)},            /* exchange cannot start with 0 */
    {"US", "+1 999 555 0123", ERR(PHONE_INVALID)},
    {"US", "01 42 68 53 00", ERR(PHONE_INVALID)},            /* a French national number */
    {"US", "+999 123 456", ERR(PHONE_INVALID_COUNTRY)},      /* unassigned calling code */
    {"US", "abc", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "2O1 555 0123", ERR(PHONE_NOT_A_NUMBER)},         /* letter O for zero */
    {"US", "1", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "0", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "+", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "++1", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "+1", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "+0", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "1e10", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "-", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "()", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "...", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "#", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "+12015550123#", ERR(PHONE_NOT_A_NUMBER)},
    {"US", "", ERR(PHONE_EMPTY)},
    {"US", "   ", ERR(PHONE_EMPTY)},
    {"US", "\t \r\n", ERR(PHONE_EMPTY)},
    {"US", "\xff\xfe" "201", ERR(PHONE_NOT_A_NUMBER)},       /* not UTF-8 */
    {"US", "201 555 0123\xc3", ERR(PHONE_NOT_A_NUMBER)},     /* truncated UTF-8 */

    /* ---- Canada (same +1 plan; a CA org reads US numbers too) ---- */
    {"CA", "(416) 555-0100", OK_("+14165550100")},
    {"CA", "416 555 0100", OK_("+14165550100")},
    {"CA", "1-416-555-0100", OK_("+14165550100")},
    {"CA", "+1 416 555 0100", OK_("+14165550100")},
    {"CA", "613 555 0123", OK_("+16135550123")},
    {"CA", "(613) 555-0123", OK_("+16135550123")},
    {"CA", "(201) 555-0123", OK_("+12015550123")},
    {"CA", "011 33 1 42 68 53 00", OK_("+33142685300")},
    {"CA", "011 44 20 7946 0958", OK_("+442079460958")},
    {"CA", "1-866-FLOWERS", OK_("+18663569377")},
    {"CA", "(800) 555-0100", OK_("+18005550100")},
    {"CA", "00 44 20 7946 0958", ERR(PHONE_TOO_LONG)},       /* 00 is not a Canadian prefix */
    {"CA", "416555010", ERR(PHONE_TOO_SHORT)},
    {"CA", "613-555-012", ERR(PHONE_TOO_SHORT)},
    {"CA", "613-555-01234", ERR(PHONE_TOO_LONG)},

    /* ---- United Kingdom ---- */
    {"GB", "020 7946 0958", OK_("+442079460958")},
    {"GB", "(020) 7946-0958", OK_("+442079460958")},
    {"GB", "020.7946.0958", OK_("+442079460958")},
    {"GB", "+44 20 7946 0958", OK_("+442079460958")},
    {"GB", "+44 (0)20 7946 0958", OK_("+442079460958")},     /* the "(0)" habit */
    {"GB", "0044 20 7946 0958", OK_("+442079460958")},
    {"GB", "07911 123456", OK_("+447911123456")},
    {"GB", "07911-123-456", OK_("+447911123456")},
    {"GB", "(07911) 123456", OK_("+447911123456")},
    {"GB", "+44 7911 123456", OK_("+447911123456")},
    {"GB", "+44 07911 123456", OK_("+447911123456")},        /* stray trunk 0 after +44 */
    {"GB", "+447911123456", OK_("+447911123456")},
    {"GB", "7911 123456", OK_("+447911123456")},             /* trunk 0 left out */
    {"GB", "0800 123 4567", OK_("+448001234567")},
    {"GB", "0800 FLOWERS", OK_("+448003569377")},
    {"GB", "00 1 201 555 0123", OK_("+12015550123")},
    {"GB", "020 7946 0958 ext 12", OK_("+442079460958")},
    {"GB", "07700 900123", ERR(PHONE_INVALID)},              /* Ofcom's range reserved for drama */
    {"GB", "01632 960123", ERR(PHONE_INVALID)},              /* likewise, fixed line */
    {"GB", "020 7946 095", ERR(PHONE_INVALID)},
    {"GB", "07911 12345", ERR(PHONE_INVALID)},
    {"GB", "020 7946 09588", ERR(PHONE_TOO_LONG)},
    {"GB", "07911 1234567", ERR(PHONE_TOO_LONG)},
    {"GB", "+44 20 7946 0958 0958", ERR(PHONE_TOO_LONG)},
    {"GB", "011 1 201 555 0123", ERR(PHONE_TOO_LONG)},       /* 011 is not a UK prefix */
    {"GB", "00", ERR(PHONE_TOO_SHORT)},
    {"GB", "+44", ERR(PHONE_NOT_A_NUMBER)},
    {"GB", "+4", ERR(PHONE_NOT_A_NUMBER)},

    /* ---- France ---- */
    {"FR", "01 42 68 53 00", OK_("+33142685300")},
    {"FR", "01-42-68-53-00", OK_("+33142685300")},
    {"FR", "(01) 42 68 53 00", OK_("+33142685300")},
    {"FR", "+33 1 42 68 53 00", OK_("+33142685300")},
    {"FR", "+33 0 1 42 68 53 00", OK_("+33142685300")},
    {"FR", "0033 1 42 68 53 00", OK_("+33142685300")},
    {"FR", "06 12 34 56 78", OK_("+33612345678")},
    {"FR", "06.12.34.56.78", OK_("+33612345678")},
    {"FR", "06-12-34-56-78", OK_("+33612345678")},
    {"FR", "0612345678", OK_("+33612345678")},
    {"FR", "6 12 34 56 78", OK_("+33612345678")},
    {"FR", "+33 6 12 34 56 78", OK_("+33612345678")},
    {"FR", "+33 (0)6 12 34 56 78", OK_("+33612345678")},
    {"FR", "+33612345678", OK_("+33612345678")},
    {"FR", "09 12 34 56 78", OK_("+33912345678")},
    {"FR", "08 00 12 34 56", OK_("+33800123456")},
    {"FR", "00 44 20 7946 0958", OK_("+442079460958")},
    {"FR", "00 1 201 555 0123", OK_("+12015550123")},
    {"FR", "061234567", ERR(PHONE_INVALID)},
    {"FR", "06123456789", ERR(PHONE_TOO_LONG)},
    {"FR", "+33 1 42 68 53 00 00", ERR(PHONE_TOO_LONG)},
    {"FR", "011 1 201 555 0123", ERR(PHONE_TOO_LONG)},
    {"FR", "01 42 68 53", ERR(PHONE_TOO_SHORT)},
    {"FR", "+33 6 12 34 56 7", ERR(PHONE_TOO_SHORT)},

    /* ---- Germany (variable-length numbers) ---- */
    {"DE", "030 123456", OK_("+4930123456")},
    {"DE", "030 1234567", OK_("+49301234567")},
    {"DE", "030-1234567", OK_("+49301234567")},
    {"DE", "030.1234567", OK_("+49301234567")},
    {"DE", "030/1234567", OK_("+49301234567")},
    {"DE", "(030) 1234567", OK_("+49301234567")},
    {"DE", "0 30 1234567", OK_("+49301234567")},
    {"DE", "30 1234567", OK_("+49301234567")},
    {"DE", "+49 30 1234567", OK_("+49301234567")},
    {"DE", "+49 (0)30 1234567", OK_("+49301234567")},
    {"DE", "0049 30 1234567", OK_("+49301234567")},
    {"DE", "089 1234567", OK_("+49891234567")},
    {"DE", "+49 89 123456", OK_("+4989123456")},
    {"DE", "0151 23456789", OK_("+4915123456789")},
    {"DE", "+49 151 23456789", OK_("+4915123456789")},
    {"DE", "+49 1512 3456789", OK_("+4915123456789")},
    {"DE", "0170 1234567", OK_("+491701234567")},
    {"DE", "0800 1234567", OK_("+498001234567")},
    {"DE", "00 33 1 42 68 53 00", OK_("+33142685300")},
    {"DE", "01512345678", ERR(PHONE_INVALID)},               /* 0151 numbers have 8 more digits */
    {"DE", "0152 123456789", ERR(PHONE_INVALID)},
    {"DE", "030 12", ERR(PHONE_INVALID)},
    {"DE", "+49 30 12", ERR(PHONE_INVALID)},
    {"DE", "030 123456789012345", ERR(PHONE_TOO_LONG)},
    {"DE", "+49 30 12345678901234", ERR(PHONE_TOO_LONG)},

    /* ---- India ---- */
    {"IN", "98765 43210", OK_("+919876543210")},
    {"IN", "98765-43210", OK_("+919876543210")},
    {"IN", "9876543210", OK_("+919876543210")},
    {"IN", "098765 43210", OK_("+919876543210")},
    {"IN", "+91 98765 43210", OK_("+919876543210")},
    {"IN", "+91-98765-43210", OK_("+919876543210")},
    {"IN", "+91 (0) 98765 43210", OK_("+919876543210")},
    {"IN", "+919876543210", OK_("+919876543210")},
    {"IN", "0091 98765 43210", OK_("+919876543210")},
    {"IN", "022 2345 6789", OK_("+912223456789")},
    {"IN", "(022) 2345 6789", OK_("+912223456789")},
    {"IN", "022-23456789", OK_("+912223456789")},
    {"IN", "+91 22 2345 6789", OK_("+912223456789")},
    {"IN", "011 2345 6789", OK_("+911123456789")},           /* Delhi, not an international prefix */
    {"IN", "1800 123 4567", OK_("+9118001234567")},          /* toll-free, 13 digits */
    {"IN", "00 1 201 555 0123", OK_("+12015550123")},
    {"IN", "98765 4321", ERR(PHONE_INVALID)},
    {"IN", "98765 432109", ERR(PHONE_INVALID)},
    {"IN", "987654321", ERR(PHONE_INVALID)},
    {"IN", "+91 98765 4321", ERR(PHONE_INVALID)},
    {"IN", "+91 98765 432101", ERR(PHONE_INVALID)},
    {"IN", "011 1 201 555 0123", ERR(PHONE_INVALID)},
    {"IN", "98765432101234", ERR(PHONE_TOO_LONG)},

    /* ---- regions that are absent, unknown or mis-cased ---- */
    {"ZZ", "+1 201 555 0123", OK_("+12015550123")},
    {"ZZ", "201 555 0123", ERR(PHONE_INVALID_COUNTRY)},
    {"XX", "+44 20 7946 0958", OK_("+442079460958")},
    {"XX", "201 555 0123", ERR(PHONE_INVALID_COUNTRY)},
    {"us", "201 555 0123", ERR(PHONE_INVALID_COUNTRY)},     /* region codes are upper case */
    {"USA", "201 555 0123", ERR(PHONE_INVALID_COUNTRY)},
    {"", "201 555 0123", ERR(PHONE_INVALID_COUNTRY)},
    {NULL, "201 555 0123", ERR(PHONE_INVALID_COUNTRY)},
    {NULL, "+33 6 12 34 56 78", OK_("+33612345678")},
};

static const char *names[] = {"OK", "EMPTY", "NOT_A_NUMBER", "INVALID_COUNTRY", "TOO_SHORT",
                              "TOO_LONG", "INVALID"};

static const char *show(const char *s)
{
    static char buf[512];
    size_t o = 0;
    for (; *s && o < sizeof buf - 5; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}

static void test_table(void)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[PHONE_E164_MAX];
        const char *got = out;
        enum phone_result r;
        memset(out, 'X', sizeof out);
        r = phone_normalize(rows[i].input, rows[i].region, out);
        if (!(is_int(r, rows[i].want, "%s \"%s\" → %s", rows[i].region ? rows[i].region : "NULL",
                    show(rows[i].input), names[rows[i].want])))
            fprintf(stderr, "#   got %s\n", names[r]);
        is_str(got, rows[i].e164, "%s \"%s\" → expected E.164 (or \"\")",
               rows[i].region ? rows[i].region : "NULL", show(rows[i].input));
    }
}

static void test_limits(void)
{
    char in[200], out[PHONE_E164_MAX];
    const char *got = out;
    /* 64 bytes is the most handed to the library, counted after trimming. */
    snprintf(in, sizeof in, "%-48s%s%-40s", "", "+1 201 555 0123", "");
    is_int(phone_normalize(in, "US", out), PHONE_OK, "blanks around a number do not count");
    snprintf(in, sizeof in, "+1%50s201 555 0123", "");
    is_int(strlen(in), 64, "built a 64-byte input");
    is_int(phone_normalize(in, "US", out), PHONE_OK, "64 bytes are parsed");
    snprintf(in, sizeof in, "+1%51s201 555 0123", "");
    is_int(phone_normalize(in, "US", out), PHONE_TOO_LONG, "65 bytes are too long");
    memset(in, '1', 65);
    in[65] = '\0';
    is_int(phone_normalize(in, "US", out), PHONE_TOO_LONG, "65 digits too long");
    {
        static char huge[1 << 20];
        memset(huge, '5', sizeof huge - 1);
        is_int(phone_normalize(huge, "US", out), PHONE_TOO_LONG, "1 MiB of digits");
        memset(huge, ' ', sizeof huge - 1);
        is_int(phone_normalize(huge, "US", out), PHONE_EMPTY, "1 MiB of blanks");
    }
    is_int(phone_normalize(NULL, "US", out), PHONE_EMPTY, "NULL input is empty");
    is_str(got, "", "NULL input leaves out empty");
    is_int(phone_normalize("+1 201 555 0123", "US", NULL), PHONE_INVALID, "NULL out refused");
}

static void test_regions(void)
{
    static const struct {
        const char *r;
        int want;
    } cases[] = {
        {"US", 1}, {"CA", 1}, {"GB", 1}, {"FR", 1}, {"DE", 1}, {"IN", 1}, {"JP", 1}, {"BR", 1},
        {"us", 0}, {"UK", 0}, {"ZZ", 0}, {"XX", 0}, {"USA", 0}, {"U", 0}, {"", 0}, {"001", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(phone_region_supported(cases[i].r), cases[i].want, "region \"%s\" %s", cases[i].r,
               cases[i].want ? "supported" : "unsupported");
    ok(!phone_region_supported(NULL), "NULL region unsupported");
}

static void test_messages(void)
{
    for (int r = PHONE_OK; r <= PHONE_INVALID; r++) {
        const char *m = phone_result_message((enum phone_result)r);
        ok(m && m[0], "message for %s: %s", names[r], m ? m : "(null)");
    }
    ok(phone_result_message((enum phone_result)99) != NULL, "unknown result still has a message");
}

/* libphonenumber is documented thread-safe; crmd calls it from every worker thread. */
static void *worker(void *arg)
{
    int *bad = arg;
    for (int n = 0; n < 300; n++) {
        size_t i = (size_t)n % (sizeof rows / sizeof rows[0]);
        char out[PHONE_E164_MAX];
        if (phone_normalize(rows[i].input, rows[i].region, out) != rows[i].want ||
            strcmp(out, rows[i].e164) != 0)
            (*bad)++;
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    int bad[4] = {0};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, &bad[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    is_int(bad[0] + bad[1] + bad[2] + bad[3], 0, "4 threads get the same answers");
}

int main(void)
{
    test_table();
    test_limits();
    test_regions();
    test_messages();
    test_threads();
    return tap_done();
}
