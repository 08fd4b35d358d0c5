/* A tiny TAP producer for the unit tests: ok/not ok lines, a plan at the end, exit status.
 * Each macro evaluates its arguments exactly once, so `is_int(write_something(), 1, ...)` runs
 * the write once whether it passes or not. */
#ifndef CRM_TAP_H
#define CRM_TAP_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((unused))
static int tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    tap_n++;
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        fprintf(stderr, "#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pass = tap_vok(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

__attribute__((format(printf, 5, 6), unused))
static int tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int pass = (got && want && strcmp(got, want) == 0) || (!got && !want);
    va_start(ap, fmt);
    pass = tap_vok(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        fprintf(stderr, "#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
    return pass;
}

__attribute__((format(printf, 5, 6), unused))
static int tap_is_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int pass = tap_vok(got == want, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        fprintf(stderr, "#   got: %lld\n#  want: %lld\n", got, want);
    return pass;
}

__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
