/* crmd: picks the command of the command line (src/cli/ holds them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "lib/log.h"
#include "lib/password.h"

static const struct {
    const char *name;
    int (*run)(const struct cli_options *o);
    bool takes_file;
    bool hashes;   /* may hash a new password */
} commands[] = {
    {"init", cli_init, false, true},     {"demo", cli_demo, false, true},     {"serve", cli_serve, false, true},
    {"check", cli_check, false, false},  {"backup", cli_backup, false, false}, {"migrate", cli_migrate, false, false},
    {"export", cli_export, true, false}, {"import", cli_import, true, false},
};

int main(int argc, char **argv)
{
    struct cli_options o = { 0 };
    if (argc < 2)
        return cli_usage_error("%s", "a command is required");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(cli_usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("crmd " CRMD_VERSION);
        return 0;
    }
    /* Test suites only; each command that may hash a new password says so. */
    const char *weak = getenv("CRMD_TEST_WEAK_PASSWORD_HASHES");
    bool weak_hashes = weak && strcmp(weak, "1") == 0;
    if (weak_hashes)
        password_use_test_limits();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        if (weak_hashes && commands[i].hashes)
            log_warn("CRMD_TEST_WEAK_PASSWORD_HASHES=1: new passwords are hashed with test limits (1 pass, "
                     "8 KiB), not the interactive ones; never set it outside a test suite");
        int rc = cli_parse_options(argc, argv, &o, commands[i].takes_file);
        return rc ? rc : commands[i].run(&o);
    }
    return cli_usage_error("unknown command '%s'", cmd);
}
