/* Unit tests for lib/timefmt: the clock, the ISO-8601 output format and the strict parser. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/timefmt.h"
#include "tap.h"

static const struct {
    long long ms;
    const char *iso;
} fmt_cases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {1, "1970-01-01T00:00:00.001Z"},
    {999, "1970-01-01T00:00:00.999Z"},
    {-1, "1969-12-31T23:59:59.999Z"},
    {-1000, "1969-12-31T23:59:59.000Z"},
    {1777645800000LL, "2026-05-01T14:30:00.000Z"},
    {1777645800123LL, "2026-05-01T14:30:00.123Z"},
    {951782400000LL, "2000-02-29T00:00:00.000Z"},
    {4102444799999LL, "2099-12-31T23:59:59.999Z"},
    {253402300799999LL, "9999-12-31T23:59:59.999Z"},
    {253402300800000LL, "9999-12-31T23:59:59.999Z"},     /* clamped */
    {-62167219200000LL, "0000-01-01T00:00:00.000Z"},
    {-62167219200001LL, "0000-01-01T00:00:00.000Z"},     /* clamped */
    {INT64_MAX, "9999-12-31T23:59:59.999Z"},
    {INT64_MIN, "0000-01-01T00:00:00.000Z"},
};

static const struct {
    const char *s;
    int ok;
    long long ms;
} parse_cases[] = {
    {"2026-05-01T14:30:00.000Z", 1, 1777645800000LL},
    {"2026-05-01T14:30:00.123Z", 1, 1777645800123LL},
    {"2026-05-01T14:30:00Z", 1, 1777645800000LL},
    {"2026-05-01", 1, 1777593600000LL},
    {"2026-05-01T14:30:00.1Z", 1, 1777645800100LL},
    {"2026-05-01T14:30:00.12Z", 1, 1777645800120LL},
    {"2026-05-01T14:30:00.123456Z", 1, 1777645800123LL},
    {"2026-05-01T14:30:00.123456789Z", 1, 1777645800123LL},
    {"2026-05-01T16:30:00.000+02:00", 1, 1777645800000LL},
    {"2026-05-01T09:30:00-05:00", 1, 1777645800000LL},
    {"2026-05-01T14:30:00+00:00", 1, 1777645800000LL},
    {"2026-05-01T00:30:00+01:00", 1, 1777595400000LL - 3600000LL},
    {"1970-01-01T00:00:00.000Z", 1, 0},
    {"1969-12-31T23:59:59.999Z", 1, -1},
    {"2000-02-29T00:00:00Z", 1, 951782400000LL},
    {"2024-02-29", 1, 1709164800000LL},
    {"9999-12-31T23:59:59.999Z", 1, 253402300799999LL},
    {"0000-01-01T00:00:00.000Z", 1, -62167219200000LL},
    /* rejected */
    {"", 0, 0},
    {"2026", 0, 0},
    {"2026-05", 0, 0},
    {"2026-5-01", 0, 0},
    {"2026-05-1", 0, 0},
    {"26-05-01", 0, 0},
    {"2026/05/01", 0, 0},
    {"20260501", 0, 0},
    {"2026-00-01", 0, 0},
    {"2026-13-01", 0, 0},
    {"2026-05-00", 0, 0},
    {"2026-05-32", 0, 0},
    {"2026-04-31", 0, 0},
    {"2025-02-29", 0, 0},
    {"1900-02-29", 0, 0},
    {"2026-05-01T", 0, 0},
    {"2026-05-01T14:30", 0, 0},
    {"2026-05-01T14:30Z", 0, 0},
    {"2026-05-01T14:30:00", 0, 0},         /* no zone */
    {"2026-05-01T24:00:00Z", 0, 0},
    {"2026-05-01T14:60:00Z", 0, 0},
    {"2026-05-01T14:30:60Z", 0, 0},
    {"2026-05-01T14:30:00.Z", 0, 0},
    {"2026-05-01T14:30:00.1234567890Z", 0, 0},
    {"2026-05-01T14:30:00.000z", 0, 0},
    {"2026-05-01t14:30:00.000Z", 0, 0},
    {"2026-05-01 14:30:00.000Z", 0, 0},
    {"2026-05-01T14:30:00.000ZZ", 0, 0},
    {"2026-05-01T14:30:00.000Z ", 0, 0},
    {" 2026-05-01T14:30:00.000Z", 0, 0},
    {"2026-05-01x", 0, 0},
    {"2026-05-01T14:30:00+0200", 0, 0},
    {"2026-05-01T14:30:00+02", 0, 0},
    {"2026-05-01T14:30:00+24:00", 0, 0},
    {"2026-05-01T14:30:00+02:60", 0, 0},
    {"2026-05-01T14:30:00+02:00Z", 0, 0},
    {"2026-05-01T1a:30:00Z", 0, 0},
    {"+2026-05-01", 0, 0},
    {"-2026-05-01", 0, 0},
    {"2026-05-01T14:30:00.-12Z", 0, 0},
    {"abcd-ef-ghTij:kl:mnZ", 0, 0},
};

static void test_format(void)
{
    for (size_t i = 0; i < sizeof fmt_cases / sizeof fmt_cases[0]; i++) {
        char out[TIMEFMT_ISO_LEN + 1];
        const char *got = out;   /* a pointer: tap.h's is_str tests its arguments for NULL */
        memset(out, 'X', sizeof out);
        time_iso8601(fmt_cases[i].ms, out);
        is_str(got, fmt_cases[i].iso, "format %lld", fmt_cases[i].ms);
        is_int(strlen(out), TIMEFMT_ISO_LEN, "format %lld is 24 characters", fmt_cases[i].ms);
    }
}

static void test_parse(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        int64_t ms = -12345;
        int got = time_parse_iso8601(parse_cases[i].s, &ms);
        is_int(got, parse_cases[i].ok, "parse \"%s\" %s", parse_cases[i].s,
               parse_cases[i].ok ? "accepted" : "rejected");
        if (parse_cases[i].ok && got)
            is_int(ms, parse_cases[i].ms, "parse \"%s\" value", parse_cases[i].s);
    }
    {
        int64_t ms;
        ok(!time_parse_iso8601(NULL, &ms), "NULL string rejected");
        ok(!time_parse_iso8601("2026-05-01", NULL), "NULL out rejected");
    }
}

static void test_roundtrip(void)
{
    static const long long samples[] = {0, 1, -1, 86399999, 1777645800123LL, 4102444799999LL,
                                        -2208988800000LL, 253402300799999LL};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char out[TIMEFMT_ISO_LEN + 1];
        int64_t back = 0;
        time_iso8601(samples[i], out);
        ok(time_parse_iso8601(out, &back) && back == samples[i], "round trip %lld via %s",
           samples[i], out);
    }
}

/* The same text as gmtime_r gives (what time_iso8601 used before): midnight, noon and the last
 * millisecond of every day of years 0000 to 9999, and random instants. */
static void test_as_gmtime(void)
{
    long bad = 0, n = 0;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int64_t day = -719528; day <= 2932896; day++) {
        static const int64_t offsets[] = { 0, 43200000, 86399999 };
        for (size_t k = 0; k < 3; k++, n++) {
            int64_t ms = day * 86400000 + offsets[k];
            if (k == 1) {   /* and a random instant of the day */
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                ms = day * 86400000 + (int64_t)(x % 86400000);
            }
            char got[TIMEFMT_ISO_LEN + 1], want[64];
            time_t secs = (time_t)(day * 86400 + (ms - day * 86400000) / 1000);
            struct tm tm;
            gmtime_r(&secs, &tm);
            snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((ms - day * 86400000) % 1000));
            time_iso8601(ms, got);
            if (strcmp(got, want) != 0 && bad++ < 5)
                fprintf(stderr, "# %lld: got %s, want %s\n", (long long)ms, got, want);
        }
    }
    is_int(bad, 0, "time_iso8601 prints gmtime_r's date and time for %ld instants of 0000-9999", n);
}

static void test_now(void)
{
    struct timespec ts;
    int64_t now, sys;
    char out[TIMEFMT_ISO_LEN + 1];
    int64_t back;
    clock_gettime(CLOCK_REALTIME, &ts);
    sys = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    now = time_now_ms();
    ok(now >= sys && now - sys < 1000, "time_now_ms is the wall clock in ms");
    ok(now > 1700000000000LL, "time_now_ms is after 2023");
    time_iso8601(now, out);
    ok(time_parse_iso8601(out, &back) && back == now, "now round-trips: %s", out);
}

int main(void)
{
    test_format();
    test_parse();
    test_roundtrip();
    test_as_gmtime();
    test_now();
    return tap_done();
}
