/* A tiny TAP producer for the unit tests: ok/not ok lines, a plan at the end, exit status. */
#ifndef CRM_TAP_H
#define CRM_TAP_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) \
    (tap_ok(((got) && (want) && strcmp((got), (want)) == 0) || (!(got) && !(want)), __FILE__, __LINE__, __VA_ARGS__) \
        ? 1 : (fprintf(stderr, "#   got: '%s'\n#  want: '%s'\n", (got) ? (got) : "(null)", (want) ? (want) : "(null)"), 0))
#define is_int(got, want, ...) \
    (tap_ok((long long)(got) == (long long)(want), __FILE__, __LINE__, __VA_ARGS__) \
        ? 1 : (fprintf(stderr, "#   got: %lld\n#  want: %lld\n", (long long)(got), (long long)(want)), 0))

__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        fprintf(stderr, "#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
