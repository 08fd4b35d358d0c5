/* The command line's shared part: the usage text, options, and small helpers. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

const char cli_usage_text[] =
    "usage: crmd <command> [options]\n"
    "\n"
    "commands:\n"
    "  init  --db URL --email E --password P   create or migrate the database and its SUPERADMIN\n"
    "  demo  --db URL                          init plus a demo organization; prints logins and a token\n"
    "  serve [--db URL] [--listen HOST:PORT] [--threads N] [--quiet]\n"
    "        [--tls-cert FILE --tls-key FILE]  serve the HTTP API until SIGTERM or SIGINT\n"
    "                                          (HTTPS and WSS with a PEM certificate chain and key)\n"
    "  check --db URL                          verify the database's integrity and crmd's invariants\n"
    "                                          (exit 0: sound; 3: violations, listed; 1: cannot check)\n"
    "  backup --db sqlite:PATH --to FILE       a consistent copy of a SQLite database, also while it\n"
    "                                          serves (PostgreSQL: pg_dump; docs/operations.md)\n"
    "  migrate --from URL --to URL             copy every record into an empty database of either\n"
    "                                          backend (stop the servers of --from first)\n"
    "  export --db URL --org ID [FILE]         the organization's contacts as CSV (stdout without FILE)\n"
    "  import --db URL --org ID --user EMAIL FILE\n"
    "                                          import a CSV file of contacts as that user, like POST\n"
    "                                          /api/contacts/import (exit 0: every row in; 3: some failed)\n"
    "  --help, --version\n"
    "\n"
    "URL is sqlite:PATH (default " DEFAULT_DB ") or postgresql://... in libpq's form; the listen\n"
    "address defaults to " DEFAULT_LISTEN ". --threads: the threads that read requests and run\n"
    "their handlers (on SQLite, twice the cores, from 4 to 64, and the handlers that write run on\n"
    "CRMD_WAIT_THREADS more, 64, or on them with 0; on PostgreSQL, 32 for everything).\n"
    "Environment: CRMD_DB, CRMD_LISTEN, CRMD_THREADS, CRMD_JWT_SECRET (overrides the token secret\n"
    "kept in the database; the signing key is the SHA-256 of its bytes), CRMD_PING_INTERVAL_MS and\n"
    "CRMD_PING_TIMEOUT_MS (Socket.IO heartbeat; 25000 and 20000), CRMD_SOCKETIO_PER_USER (sockets\n"
    "one user may have connected; 20), CRMD_SSE_KEEPALIVE_MS (15000),\n"
    "CRMD_JANITOR_INTERVAL_MS (600000: how often expired Idempotency-Key records, bulk jobs\n"
    "finished a day ago and imports finished a week ago are purged), CRMD_BULK_LEASE_MS (15000:\n"
    "how long a server holds a bulk job between batches; a job whose server died is taken over\n"
    "after it), CRMD_BULK_POLL_MS (5000: how often a server looks for such jobs), CRMD_BULK_BATCH\n"
    "(500: contacts a bulk job deletes per transaction),\n"
    "CRMD_WEBHOOK_ALLOW_PRIVATE=1 (webhooks may reach loopback, private and link-local addresses).\n"
    "Abuse limits (N/SECONDS: N at once, all back after SECONDS; 0: off): CRMD_RATE_LIMIT (requests\n"
    "per user token or API key; 1200/60), CRMD_LOGIN_LIMIT (failed logins per account and address;\n"
    "10/600), CRMD_LOGIN_LIMIT_ADDRESS (50/600), CRMD_LOGIN_LIMIT_ACCOUNT (from addresses the account\n"
    "never logged in from; 100/3600), CRMD_LOGIN_TRUST_DAYS (30), CRMD_RATE_LIMIT_KEYS (100000).\n"
    "Slow and greedy clients (0 turns a limit off; docs/security.md): CRMD_HEADER_TIMEOUT_MS\n"
    "(10000: to send a whole request head, and to idle between keep-alive requests),\n"
    "CRMD_CONNECTIONS_PER_IP (256), CRMD_SSE_PER_IP (32), CRMD_SOCKETIO_PER_IP (64).\n"
    "CRMD_IMPORT_RUNNERS (16): threads that create the rows of an import.\n"
    "CRMD_TLS_CERT and CRMD_TLS_KEY stand for --tls-cert and --tls-key. CRMD_DRAIN_MS (0): after\n"
    "SIGTERM, how long /readyz answers 503 while requests are still served (behind a load balancer).\n";

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "crmd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", cli_usage_text);
    return 2;
}

const char *cli_env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

int cli_parse_options(int argc, char **argv, struct cli_options *o, bool takes_file)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },      { "listen", required_argument, NULL, 'l' },
        { "email", required_argument, NULL, 'e' },   { "password", required_argument, NULL, 'p' },
        { "threads", required_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
        { "tls-cert", required_argument, NULL, 'c' }, { "tls-key", required_argument, NULL, 'k' },
        { "from", required_argument, NULL, 'f' },    { "to", required_argument, NULL, 'T' },
        { "org", required_argument, NULL, 'o' },      { "user", required_argument, NULL, 'u' },
        { NULL, 0, NULL, 0 },
    };
    o->db = cli_env_or("CRMD_DB", DEFAULT_DB);
    o->listen = cli_env_or("CRMD_LISTEN", DEFAULT_LISTEN);
    o->threads = (unsigned)atoi(cli_env_or("CRMD_THREADS", "0"));
    o->tls_cert = cli_env_or("CRMD_TLS_CERT", NULL);
    o->tls_key = cli_env_or("CRMD_TLS_KEY", NULL);
    opterr = 0;
    optind = 2;
    for (int ch; (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'd': o->db = optarg; break;
        case 'l': o->listen = optarg; break;
        case 'e': o->email = optarg; break;
        case 'p': o->password = optarg; break;
        case 'q': o->quiet = true; break;
        case 'c': o->tls_cert = optarg; break;
        case 'k': o->tls_key = optarg; break;
        case 'f': o->from = optarg; break;
        case 'T': o->to = optarg; break;
        case 'o': o->org = optarg; break;
        case 'u': o->user = optarg; break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1024)
                return cli_usage_error("--threads takes a number from 1 to 1024, not '%s'", optarg);
            o->threads = (unsigned)n;
            break;
        }
        default: return cli_usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (takes_file && optind < argc)
        o->file = argv[optind++];
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->tls_cert != !o->tls_key)
        return cli_usage_error("%s", "--tls-cert and --tls-key go together");
    if (o->threads > 1024)
        o->threads = 0;   /* serve's default */
    return 0;
}

int cli_open_app(crm_app *app, const struct cli_options *o)
{
    char err[512];
    if (app_open(app, o->db, getenv("CRMD_JWT_SECRET"), err, sizeof err) != 0) {
        fprintf(stderr, "crmd: %s\n", err);
        return 1;
    }
    return 0;
}

int cli_print_err(const char *what, const crm_err *err)
{
    fprintf(stderr, "crmd: %s: %s\n", what, err->message[0] ? err->message : crm_error_message(err->code));
    return 1;
}

