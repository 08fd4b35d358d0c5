/* Unit tests for lib/log: line format, quiet mode, newline neutering, long lines, and whole
 * lines from concurrent threads. stderr is redirected to a temporary file. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/timefmt.h"
#include "tap.h"

static char path[] = "/tmp/crmd-test-log-XXXXXX";
static int saved_stderr, log_fd;

/* Everything logged since the last call, as a malloc'd string. */
static char *drain(void)
{
    static off_t pos;
    off_t end = lseek(log_fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)(end - pos) + 1);
    if (pread(log_fd, buf, (size_t)(end - pos), pos) != end - pos)
        buf[0] = '\0';
    pos = end;
    return buf;
}

static int line_ok(const char *line, const char *level, const char *msg)
{
    int64_t ms;
    char stamp[TIMEFMT_ISO_LEN + 1];
    memcpy(stamp, line, TIMEFMT_ISO_LEN);
    stamp[TIMEFMT_ISO_LEN] = '\0';
    if (!time_parse_iso8601(stamp, &ms) || line[TIMEFMT_ISO_LEN] != ' ')
        return 0;
    line += TIMEFMT_ISO_LEN + 1;
    if (strncmp(line, level, strlen(level)) != 0 || line[strlen(level)] != ' ')
        return 0;
    line += strlen(level) + 1;
    return strncmp(line, msg, strlen(msg)) == 0 && line[strlen(msg)] == '\n';
}

static void test_format(void)
{
    char *s;
    int64_t before = time_now_ms(), at;
    char stamp[TIMEFMT_ISO_LEN + 1];
    log_info("hello %s %d", "world", 42);
    s = drain();
    ok(line_ok(s, "INFO", "hello world 42"), "info line: %.*s", (int)strcspn(s, "\n"), s);
    memcpy(stamp, s, TIMEFMT_ISO_LEN);
    stamp[TIMEFMT_ISO_LEN] = '\0';
    ok(time_parse_iso8601(stamp, &at) && at >= before && at - before < 5000, "timestamp is now");
    is_int(strlen(s), TIMEFMT_ISO_LEN + 1 + 4 + 1 + 14 + 1, "one line exactly");
    free(s);
    log_warn("careful");
    s = drain();
    ok(line_ok(s, "WARN", "careful"), "warn line");
    free(s);
    log_error("broken: %d", -1);
    s = drain();
    ok(line_ok(s, "ERROR", "broken: -1"), "error line");
    free(s);
}

static void test_quiet(void)
{
    char *s;
    log_set_quiet(1);
    log_info("dropped");
    log_warn("kept warn");
    log_error("kept error");
    s = drain();
    ok(strstr(s, "dropped") == NULL, "quiet drops info");
    ok(strstr(s, "WARN kept warn\n") && strstr(s, "ERROR kept error\n"), "quiet keeps the rest");
    free(s);
    log_set_quiet(0);
    log_info("back");
    s = drain();
    ok(line_ok(s, "INFO", "back"), "info again after quiet off");
    free(s);
}

static void test_injection(void)
{
    char *s;
    log_info("user said %s", "hi\n2026-01-01T00:00:00.000Z ERROR forged\r");
    s = drain();
    ok(strchr(s, '\n') == s + strlen(s) - 1, "a newline in the message does not start a line");
    ok(strchr(s, '\r') == NULL, "carriage return neutered");
    ok(strstr(s, "forged") != NULL, "the text itself is kept");
    free(s);
}

static void test_long(void)
{
    char *big = malloc(10000), *s;
    memset(big, 'q', 9999);
    big[9999] = '\0';
    log_warn("%s", big);
    s = drain();
    ok(strlen(s) <= 4096 && strlen(s) > 4000, "long line cut to %zu bytes", strlen(s));
    ok(s[strlen(s) - 1] == '\n' && strchr(s, '\n') == s + strlen(s) - 1, "still one line");
    ok(strstr(s, "...\n") != NULL, "cut marked with ...");
    free(s);
    free(big);
}

static void *spam(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < 500; i++)
        log_info("thread %ld line %d %s", id, i,
                 "padding padding padding padding padding padding padding padding padding");
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    char *s, *line, *save = NULL;
    int lines = 0, whole = 1;
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, spam, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    s = drain();
    for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lines++;
        if (strlen(line) < 30 || strncmp(line + TIMEFMT_ISO_LEN, " INFO thread ", 13) != 0 ||
            !strstr(line, "padding padding padding padding padding padding padding padding padding"))
            whole = 0;
    }
    is_int(lines, 2000, "2000 lines from 4 threads");
    ok(whole, "every line intact");
    free(s);
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    unlink(path);
    log_fd = fd;
    /* O_APPEND semantics are not needed: every write goes to one shared file offset. */
    saved_stderr = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    test_format();
    test_quiet();
    test_injection();
    test_long();
    test_threads();
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    close(fd);
    return tap_done();
}
