/* The command line: the options every command shares and one function per command. main.c
 * picks the command; each file here holds a group of them. */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <stdbool.h>
#include "service/app.h"

#define CRMD_VERSION "0.1.0"
#define DEFAULT_DB "sqlite:crmd.db"
#define DEFAULT_LISTEN "127.0.0.1:2212"
/* serve's request threads on PostgreSQL (on SQLite: serve.c) */
#define DEFAULT_THREADS 32

struct cli_options {
    const char *db, *listen, *email, *password, *tls_cert, *tls_key, *from, *to, *org, *file, *user;
    unsigned threads;   /* --threads, CRMD_THREADS; 0: serve's default */
    bool quiet;
};

extern const char cli_usage_text[];

/* takes_file: the command takes one FILE argument after its options. 0, or the exit status of
 * a usage error (2, after printing it). */
int cli_parse_options(int argc, char **argv, struct cli_options *o, bool takes_file);
int cli_usage_error(const char *fmt, const char *arg);   /* prints it and the usage; returns 2 */
const char *cli_env_or(const char *name, const char *def);
int cli_open_app(crm_app *app, const struct cli_options *o);   /* 0, or 1 after printing why */
int cli_print_err(const char *what, const crm_err *err);       /* prints; returns 1 */

/* The commands; each returns the process's exit status. */
int cli_init(const struct cli_options *o);      /* setup.c */
int cli_demo(const struct cli_options *o);
int cli_serve(const struct cli_options *o);     /* serve.c */
int cli_check(const struct cli_options *o);     /* data.c */
int cli_backup(const struct cli_options *o);
int cli_migrate(const struct cli_options *o);
int cli_export(const struct cli_options *o);
int cli_import(const struct cli_options *o);

#endif
