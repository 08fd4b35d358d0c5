/* Wall-clock milliseconds and the one timestamp format of the API,
 * "2026-05-01T14:30:00.000Z", both ways. */
#include "lib/timefmt.h"

#include <time.h>

/* 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range four year digits hold. */
#define MS_MIN (-62167219200000LL)
#define MS_MAX (253402300799999LL)

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *put(char *p, long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* The proleptic Gregorian date of a day since 1970-01-01 (H. Hinnant's civil_from_days, the
 * inverse of days_from_civil below). Not gmtime_r: glibc's takes a process-wide lock (tzset's)
 * on every call, and every timestamp of every reply comes through here. */
static void civil_from_days(int64_t z, long *y, long *m, long *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (long)(doy - (153 * mp + 2) / 5 + 1);
    *m = (long)(mp < 10 ? mp + 3 : mp - 9);
    *y = (long)(yoe + era * 400 + (*m <= 2));
}

void time_iso8601(int64_t ms, char out[TIMEFMT_ISO_LEN + 1])
{
    int64_t days, rest;
    long y, mo, d;
    char *p = out;
    /* Clamped so the output always has exactly the documented shape. */
    if (ms < MS_MIN)
        ms = MS_MIN;
    if (ms > MS_MAX)
        ms = MS_MAX;
    /* Floor division: -1 ms is 1969-12-31T23:59:59.999Z, not ...00.-01. */
    days = ms / 86400000;
    rest = ms % 86400000;
    if (rest < 0) {
        rest += 86400000;
        days -= 1;
    }
    civil_from_days(days, &y, &mo, &d);
    p = put(p, y, 4);
    *p++ = '-';
    p = put(p, mo, 2);
    *p++ = '-';
    p = put(p, d, 2);
    *p++ = 'T';
    p = put(p, (long)(rest / 3600000), 2);
    *p++ = ':';
    p = put(p, (long)(rest / 60000 % 60), 2);
    *p++ = ':';
    p = put(p, (long)(rest / 1000 % 60), 2);
    *p++ = '.';
    p = put(p, (long)(rest % 1000), 3);
    *p++ = 'Z';
    *p = '\0';
}

/* Reads exactly n digits; false on anything else. */
static bool digits(const char **s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *s += n;
    *v = x;
    return true;
}

static bool expect(const char **s, char c)
{
    if (**s != c)
        return false;
    (*s)++;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); no
 * timegm, whose behaviour on out-of-range fields differs between libcs. */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool time_parse_iso8601(const char *s, int64_t *ms)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0, milli = 0, off = 0;
    int64_t t;
    if (!s || !ms)
        return false;
    if (!digits(&s, 4, &y) || !expect(&s, '-') || !digits(&s, 2, &mo) || !expect(&s, '-') ||
        !digits(&s, 2, &d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    if (*s == '\0')
        goto done;
    if (!expect(&s, 'T') || !digits(&s, 2, &h) || !expect(&s, ':') || !digits(&s, 2, &mi) ||
        !expect(&s, ':') || !digits(&s, 2, &sec))
        return false;
    if (h > 23 || mi > 59 || sec > 59)   /* no leap seconds: Unix time has none either */
        return false;
    if (*s == '.') {
        /* 1 to 9 digits (clients send ms, µs or ns); kept to the millisecond, truncated. */
        int n = 0;
        s++;
        while (*s >= '0' && *s <= '9') {
            if (n < 3)
                milli = milli * 10 + (*s - '0');
            n++;
            s++;
        }
        if (n == 0 || n > 9)
            return false;
        for (; n < 3; n++)
            milli *= 10;
    }
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, oh, om;
        s++;
        if (!digits(&s, 2, &oh) || !expect(&s, ':') || !digits(&s, 2, &om) || oh > 23 || om > 59)
            return false;
        off = sign * (oh * 60 + om);
    } else {
        return false;   /* a time without a zone is ambiguous */
    }
    if (*s != '\0')
        return false;
done:
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
    *ms = t * 1000 + milli;
    return true;
}

int64_t time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec time_deadline(clockid_t clock, int64_t ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
