/* tests/unit/tap.h itself: each macro evaluates its arguments once, failing or not (a failing
 * is_int used to evaluate `got` again to print it, so a write under test ran twice). The
 * failing checks run in a child whose TAP output is thrown away, so they fail nothing here. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "tap.h"

static int calls;

static int counted(int v)
{
    calls++;
    return v;
}

static const char *counted_str(const char *s)
{
    calls++;
    return s;
}

/* Runs check() in a child with stdout and stderr on /dev/null; the child's exit status is the
 * number of evaluations it counted. */
static int evaluations_in_child(void (*check)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        calls = 0;
        check();
        fflush(stdout);
        _exit(calls);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void failing_is_int(void) { is_int(counted(1), 2, "fails"); }
static void passing_is_int(void) { is_int(counted(2), 2, "passes"); }
static void failing_is_str(void) { is_str(counted_str("a"), "b", "fails"); }
static void failing_ok(void) { ok(counted(0), "fails"); }

int main(void)
{
    is_int(evaluations_in_child(failing_is_int), 1, "a failing is_int evaluates got once");
    is_int(evaluations_in_child(passing_is_int), 1, "a passing is_int evaluates got once");
    is_int(evaluations_in_child(failing_is_str), 1, "a failing is_str evaluates got once");
    is_int(evaluations_in_child(failing_ok), 1, "a failing ok evaluates its condition once");
    return tap_done();
}
