/* One-line logs on stderr. Each line goes out in a single write() so lines from different
 * threads never interleave, without a lock around stdio. */
#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/timefmt.h"

#define LINE_MAX_BYTES 4096

static atomic_int quiet;

static void emit(const char *level, const char *fmt, va_list ap)
{
    char line[LINE_MAX_BYTES];
    size_t n, head, off = 0;
    int m, saved_errno = errno;   /* callers log and then still look at errno */
    time_iso8601(time_now_ms(), line);
    head = TIMEFMT_ISO_LEN;
    head += (size_t)snprintf(line + head, sizeof line - head, " %s ", level);
    m = vsnprintf(line + head, sizeof line - head, fmt, ap);
    if (m < 0)
        m = 0;
    n = head + (size_t)m;
    if (n > sizeof line - 2) {
        /* Cut long messages and say so, rather than write a line in two pieces. */
        n = sizeof line - 2;
        memcpy(line + n - 3, "...", 3);
    }
    /* A message may carry client input: a newline in it must not forge a second log line. */
    for (size_t i = head; i < n; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            line[i] = ' ';
    line[n++] = '\n';
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, line + off, n - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;   /* nowhere left to report a failure to log */
        }
        off += (size_t)w;
    }
    errno = saved_errno;
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    if (atomic_load(&quiet))
        return;
    va_start(ap, fmt);
    emit("INFO", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("WARN", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("ERROR", fmt, ap);
    va_end(ap);
}

void log_set_quiet(int q)
{
    atomic_store(&quiet, q != 0);
}
