/* crmd: picks the command of the command line (src/cli/ holds them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "lib/password.h"

static const struct {
    const char *name;
    int (*run)(const struct cli_options *o);
    bool takes_file;
} commands[] = {
    {"init", cli_init, false},       {"demo", cli_demo, false},       {"serve", cli_serve, false},
    {"check", cli_check, false},     {"backup", cli_backup, false},   {"migrate", cli_migrate, false},
    {"export", cli_export, true},    {"import", cli_import, true},
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
    /* Test suites only: `serve` says so in its log, any command at its first hash (lib/password.c). */
    const char *weak = getenv("CRMD_TEST_WEAK_PASSWORD_HASHES");
    if (weak && strcmp(weak, "1") == 0)
        password_use_test_limits();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        int rc = cli_parse_options(argc, argv, &o, commands[i].takes_file);
        return rc ? rc : commands[i].run(&o);
    }
    return cli_usage_error("unknown command '%s'", cmd);
}
