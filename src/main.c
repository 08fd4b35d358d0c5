/* crmd: the command line — init (create or migrate a database and its SUPERADMIN), demo (the
 * data `make run` starts with), serve (run the HTTP API until SIGTERM or SIGINT), the operator's
 * check and backup (store/store_tools.h), migrate (copy an installation to another database,
 * store/copy.h) and export (contacts as CSV). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include "api/api.h"
#include "http/http.h"
#include "lib/log.h"
#include "lib/password.h"
#include "lib/timefmt.h"
#include "realtime/realtime.h"
#include "realtime/sse.h"
#include "service/auth.h"
#include "service/event_hub.h"
#include "service/janitor.h"
#include "service/orgs.h"
#include "service/throttle.h"
#include "service/users.h"
#include "service/webhook_worker.h"
#include "service/contact_export.h"
#include "store/copy.h"
#include "store/store_tools.h"

#define CRMD_VERSION "0.1.0"
#define DEFAULT_DB "sqlite:crmd.db"
#define DEFAULT_LISTEN "127.0.0.1:2212"
#define DEFAULT_THREADS 32

static const char usage_text[] =
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
    "  --help, --version\n"
    "\n"
    "URL is sqlite:PATH (default " DEFAULT_DB ") or postgresql://... in libpq's form; the listen\n"
    "address defaults to " DEFAULT_LISTEN ".\n"
    "Environment: CRMD_DB, CRMD_LISTEN, CRMD_THREADS, CRMD_JWT_SECRET (overrides the token secret\n"
    "kept in the database; the signing key is the SHA-256 of its bytes), CRMD_PING_INTERVAL_MS and\n"
    "CRMD_PING_TIMEOUT_MS (Socket.IO heartbeat; 25000 and 20000), CRMD_SOCKETIO_PER_USER (sockets\n"
    "one user may have connected; 20), CRMD_SSE_KEEPALIVE_MS (15000),\n"
    "CRMD_JANITOR_INTERVAL_MS (600000: how often expired Idempotency-Key records are purged),\n"
    "CRMD_WEBHOOK_ALLOW_PRIVATE=1 (webhooks may reach loopback, private and link-local addresses).\n"
    "Abuse limits (N/SECONDS: N at once, all back after SECONDS; 0: off): CRMD_RATE_LIMIT (requests\n"
    "per user token or API key; 1200/60), CRMD_LOGIN_LIMIT (failed logins per account and address;\n"
    "10/600), CRMD_LOGIN_LIMIT_ADDRESS (50/600), CRMD_LOGIN_LIMIT_ACCOUNT (from addresses the account\n"
    "never logged in from; 100/3600), CRMD_LOGIN_TRUST_DAYS (30), CRMD_RATE_LIMIT_KEYS (100000).\n"
    "Slow and greedy clients (0 turns a limit off; docs/security.md): CRMD_HEADER_TIMEOUT_MS\n"
    "(10000: to send a whole request head, and to idle between keep-alive requests),\n"
    "CRMD_CONNECTIONS_PER_IP (256), CRMD_SSE_PER_IP (32), CRMD_SOCKETIO_PER_IP (64).\n"
    "CRMD_TLS_CERT and CRMD_TLS_KEY stand for --tls-cert and --tls-key. CRMD_DRAIN_MS (0): after\n"
    "SIGTERM, how long /readyz answers 503 while requests are still served (behind a load balancer).\n";

struct options {
    const char *db, *listen, *email, *password, *tls_cert, *tls_key, *from, *to, *org, *file;
    unsigned threads;
    bool quiet;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "crmd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return 2;
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* takes_file: the command takes one FILE argument after its options. */
static int parse_options(int argc, char **argv, struct options *o, bool takes_file)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },      { "listen", required_argument, NULL, 'l' },
        { "email", required_argument, NULL, 'e' },   { "password", required_argument, NULL, 'p' },
        { "threads", required_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
        { "tls-cert", required_argument, NULL, 'c' }, { "tls-key", required_argument, NULL, 'k' },
        { "from", required_argument, NULL, 'f' },    { "to", required_argument, NULL, 'T' },
        { "org", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 },
    };
    o->db = env_or("CRMD_DB", DEFAULT_DB);
    o->listen = env_or("CRMD_LISTEN", DEFAULT_LISTEN);
    o->threads = (unsigned)atoi(env_or("CRMD_THREADS", "0"));
    o->tls_cert = env_or("CRMD_TLS_CERT", NULL);
    o->tls_key = env_or("CRMD_TLS_KEY", NULL);
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
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1024)
                return usage_error("--threads takes a number from 1 to 1024, not '%s'", optarg);
            o->threads = (unsigned)n;
            break;
        }
        default: return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (takes_file && optind < argc)
        o->file = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->tls_cert != !o->tls_key)
        return usage_error("%s", "--tls-cert and --tls-key go together");
    if (o->threads == 0 || o->threads > 1024)
        o->threads = DEFAULT_THREADS;
    return 0;
}

static int open_app(crm_app *app, const struct options *o)
{
    char err[512];
    if (app_open(app, o->db, getenv("CRMD_JWT_SECRET"), err, sizeof err) != 0) {
        fprintf(stderr, "crmd: %s\n", err);
        return 1;
    }
    return 0;
}

static int print_err(const char *what, const crm_err *err)
{
    fprintf(stderr, "crmd: %s: %s\n", what, err->message[0] ? err->message : crm_error_message(err->code));
    return 1;
}

static int cmd_init(const struct options *o)
{
    crm_app app;
    crm_err err = { 0 };
    crm_user admin;
    if (!o->email || !o->password)
        return usage_error("%s", "init needs --email and --password");
    if (strlen(o->password) < PASSWORD_MIN)
        return usage_error("%s", "the password needs at least 8 characters");
    if (open_app(&app, o))
        return 1;
    arena *a = arena_new();
    int rc = user_create_superadmin(&app, o->email, o->password, &admin, a, &err);
    if (rc == 0)
        printf("crmd: database ready; SUPERADMIN %s created\n", admin.email);
    else if (rc == 1)
        printf("crmd: database ready; SUPERADMIN %s already exists, nothing changed\n", admin.email);
    else
        print_err("cannot create the SUPERADMIN", &err);
    arena_destroy(a);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

/* Copies an installation into an empty database; prints the rows of each table on both sides. */
static int cmd_migrate(const struct options *o)
{
    if (!o->from || !o->to)
        return usage_error("%s", "migrate needs --from URL and --to URL");
    if (strcmp(o->from, o->to) == 0)
        return usage_error("%s", "--from and --to name the same database");
    char err[512];
    store *from = store_open(o->from, err, sizeof err), *to = NULL;
    if (!from) {
        fprintf(stderr, "crmd: source: %s\n", err);
        return 1;
    }
    if (!(to = store_open(o->to, err, sizeof err))) {
        fprintf(stderr, "crmd: target: %s\n", err);
        from->ops->close(from);
        return 1;
    }
    store_copy_report rep;
    int rc = store_copy(from, to, &rep, err, sizeof err);
    to->ops->close(to);
    from->ops->close(from);
    for (size_t i = 0; i < rep.n; i++)
        printf("  %-20s %10lld\n", rep.counts[i].table, (long long)rep.counts[i].target);
    if (rc) {
        fprintf(stderr, "crmd: migrate: %s\n", err);
        return 1;
    }
    printf("crmd: migrated; every table holds as many rows as in the source\n");
    return 0;
}

/* Progress on stderr: a bar redrawn in place on a terminal, else a line at every tenth. */
static void progress(const char *what, int64_t done, int64_t total, bool tty, int *shown)
{
    int tenth = total > 0 ? (int)(done * 10 / total) : 10;
    if (tty) {
        char bar[21];
        int fill = total > 0 ? (int)(done * 20 / total) : 20;
        for (int i = 0; i < 20; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[20] = '\0';
        fprintf(stderr, "\r%s [%s] %lld of %lld", what, bar, (long long)done, (long long)total);
    } else if (tenth > *shown) {
        fprintf(stderr, "%s: %lld of %lld\n", what, (long long)done, (long long)total);
    }
    *shown = tenth;
}

/* The organization's contacts as CSV, as an ADMIN of it would export them with ownerFilter=all. */
static int cmd_export(const struct options *o)
{
    if (!o->org || !objectid_valid(o->org))
        return usage_error("%s", "export needs --org with an organization id (24 hex characters)");
    crm_app app;
    if (open_app(&app, o))
        return 1;
    crm_user admin = {.role = ROLE_ADMIN};
    snprintf(admin.org_id, sizeof admin.org_id, "%s", o->org);
    contact_list_input in = {.page = 1, .size = 1, .owner_filter = "all"};
    crm_err err = { 0 };
    arena *a = arena_new();
    crm_org org;
    crm_contact *first;
    size_t n;
    int64_t total = 0;
    char *next;
    contact_export *x = NULL;
    FILE *out = stdout;
    int rc = 1;
    if (org_read(&app, &admin, o->org, a, &org, &err) || contact_list(&app, &admin, &in, a, &first, &n, &total, &next, &err) ||
        contact_export_open(&app, &admin, &in, &x, &err)) {
        print_err("export", &err);
        goto done;
    }
    if (o->file && !(out = fopen(o->file, "w"))) {
        fprintf(stderr, "crmd: export: cannot write %s: %s\n", o->file, strerror(errno));
        out = stdout;
        goto done;
    }
    bool tty = isatty(STDERR_FILENO);
    int shown = -1;
    char buf[64 * 1024];
    long got;
    while ((got = contact_export_read(x, buf, sizeof buf)) > 0) {
        if (fwrite(buf, 1, (size_t)got, out) != (size_t)got)
            break;
        progress("exporting", contact_export_rows(x), total, tty, &shown);
    }
    if (tty)
        fputc('\n', stderr);
    bool unwritten = ferror(out) != 0;
    unwritten |= (out == stdout ? fflush(out) : fclose(out)) != 0;
    out = stdout;
    if (got < 0 || unwritten) {
        fprintf(stderr, "crmd: export failed after %lld contacts%s\n", (long long)contact_export_rows(x),
                got < 0 ? ": the database could not be read" : ": the output could not be written");
        if (o->file)
            unlink(o->file);
        goto done;
    }
    fprintf(stderr, "crmd: exported %lld contacts of %s\n", (long long)contact_export_rows(x), org.name);
    rc = 0;
done:
    if (out != stdout)
        fclose(out);
    contact_export_close(x);
    arena_destroy(a);
    app_close(&app);
    return rc;
}

/* Logs in and prints the credentials, a token and a ready curl command. */
static int print_login(crm_app *app, const char *label, const char *email, const char *password, bool show_curl,
                       const char *listen)
{
    crm_err err = { 0 };
    crm_user u;
    char *token;
    arena *a = arena_new();
    int rc = auth_login(app, email, password, a, &u, &token, &err);
    if (rc == 0) {
        printf("  %-11s %s / %s\n", label, email, password);
        if (show_curl)
            printf("\nA bearer token for %s (valid 24 h):\n  %s\n\nCreate a contact:\n"
                   "  curl -s -X POST http://%s/api/contact \\\n"
                   "    -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
                   "    -d '{\"firstName\":\"Jane\",\"lastName\":\"Doe\",\"phoneNumber\":\"(212) 555-0143\","
                   "\"email\":\"jane.doe@example.com\"}'\n\n",
                   email, token, listen, token);
    } else {
        print_err(label, &err);
    }
    arena_destroy(a);
    return rc ? 1 : 0;
}

/* The demo data of `make run`: the passwords live in DB.demo next to the database (mode 0600)
 * so a second run can print them again. */
static int cmd_demo(const struct options *o)
{
    crm_app app;
    crm_err err = { 0 };
    char path[1024], su_pw[32], admin_pw[32];
    const char *su_email = "superadmin@crmd.local", *admin_email = "admin@demo.crmd.local";
    int rc = 1;

    snprintf(path, sizeof path, "%s.demo", strncmp(o->db, "sqlite:", 7) == 0 ? o->db + 7 : "crmd");
    if (open_app(&app, o))
        return 1;
    arena *a = arena_new();
    FILE *f = fopen(path, "r");
    if (f) {
        bool ok = fscanf(f, "%31s %31s", su_pw, admin_pw) == 2;
        fclose(f);
        if (!ok) {
            fprintf(stderr, "crmd: %s is damaged; remove it and the database to start over\n", path);
            goto done;
        }
    } else {
        unsigned char raw[9];
        crm_user su, admin;
        crm_org org;
        random_bytes(raw, sizeof raw);
        snprintf(su_pw, sizeof su_pw, "su-%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3]);
        snprintf(admin_pw, sizeof admin_pw, "demo-%02x%02x%02x%02x%02x", raw[4], raw[5], raw[6], raw[7], raw[8]);
        if (user_create_superadmin(&app, su_email, su_pw, &su, a, &err) < 0) {
            print_err("cannot create the SUPERADMIN", &err);
            goto done;
        }
        org_input in = { .name = "Demo Sales Co", .timezone = "America/New_York", .default_country = "US",
                         .admin = { .full_name = "Demo Admin", .email = admin_email, .password = admin_pw } };
        if (org_create(&app, &su, &in, a, &org, &admin, &err) != 0) {
            print_err("cannot create the demo organization", &err);
            goto done;
        }
        umask(077);
        f = fopen(path, "w");
        if (!f || fprintf(f, "%s %s\n", su_pw, admin_pw) < 0 || fclose(f) != 0) {
            fprintf(stderr, "crmd: cannot write %s: %s\n", path, strerror(errno));
            goto done;
        }
    }
    printf("\ncrmd demo logins (kept in %s):\n", path);
    rc = print_login(&app, "SUPERADMIN", su_email, su_pw, false, o->listen) ||
         print_login(&app, "ADMIN", admin_email, admin_pw, true, o->listen);
done:
    arena_destroy(a);
    app_close(&app);
    return rc;
}

static int split_listen(const char *listen, char *host, size_t hostlen, unsigned short *port)
{
    const char *colon = strrchr(listen, ':');
    char *end;
    if (!colon || colon == listen || (size_t)(colon - listen) >= hostlen)
        return -1;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return -1;
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {   /* [::1]:2212 */
        h++;
        n -= 2;
    }
    memcpy(host, h, n);
    host[n] = '\0';
    *port = (unsigned short)p;
    return 0;
}

/* A limit from the environment: def when unset; a value that is not a whole number in
 * [0, max] is an error rather than a silent default (a typo must not turn a defence off). */
static int env_limit(const char *name, unsigned def, unsigned max, unsigned *out)
{
    const char *v = getenv(name);
    char *end;
    unsigned long n;
    *out = def;
    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (*end || errno || v[0] == '-' || n > max) {
        fprintf(stderr, "crmd: %s takes a number from 0 to %u, not '%s'\n", name, max, v);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* The whole of a PEM file, NUL-terminated (for libmicrohttpd's in-memory certificate). */
static char *read_pem(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > 1024 * 1024) {
                snprintf(err, errlen, "%s is larger than 1 MiB: not a PEM certificate or key", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    if (!strstr(buf, "-----BEGIN ")) {
        snprintf(err, errlen, "%s is not PEM (no -----BEGIN line)", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/* The running parts, started in this order and stopped in the reverse one. */
struct running {
    event_hub *hub;
    webhook_worker *webhooks;
    realtime *rt;
    sse *sse;
    janitor *janitor;
    throttle *throttle;
    http_server *http;
};

static void stop_running(struct running *run)
{
    /* Long-lived connections first: the HTTP server cannot stop under them. */
    realtime_stop(run->rt);
    sse_stop(run->sse);
    api_set_sse(NULL);
    http_server_stop(run->http);
    api_set_throttle(NULL);
    throttle_free(run->throttle);
    api_set_realtime(NULL);
    realtime_free(run->rt);
    janitor_stop(run->janitor);
    webhook_worker_stop(run->webhooks);
    event_hub_stop(run->hub);
}

static int start_running(crm_app *app, const struct options *o, const char *host, unsigned short port,
                         struct running *run, char *err, size_t errlen)
{
    realtime_config rtc = { .ping_interval_ms = (unsigned)atoi(env_or("CRMD_PING_INTERVAL_MS", "0")),
                            .ping_timeout_ms = (unsigned)atoi(env_or("CRMD_PING_TIMEOUT_MS", "0")),
                            .per_user = (unsigned)atoi(env_or("CRMD_SOCKETIO_PER_USER", "0")) };
    http_config cfg = { .host = host, .port = port, .threads = o->threads, .on_error = api_on_http_error,
                        .access_log = !o->quiet };
    char *cert = NULL, *key = NULL;
    int rc = -1;

    if (env_limit("CRMD_HEADER_TIMEOUT_MS", 10000, 3600 * 1000, &cfg.head_timeout_ms) ||
        env_limit("CRMD_CONNECTIONS_PER_IP", 256, 1000000, &cfg.conns_per_ip) ||
        env_limit("CRMD_SSE_PER_IP", 32, 1000000, &cfg.streams_per_ip) ||
        env_limit("CRMD_SOCKETIO_PER_IP", 64, 1000000, &cfg.upgrades_per_ip)) {
        snprintf(err, errlen, "bad setting (see crmd --help)");
        return -1;
    }
    throttle_config limits;
    if (throttle_config_from_env(&limits, err, errlen) != 0)
        return -1;
    api_set_throttle(run->throttle = throttle_new(&limits));
    if (o->tls_cert && (!(cert = read_pem(o->tls_cert, err, errlen)) || !(key = read_pem(o->tls_key, err, errlen))))
        goto done;
    cfg.tls_cert_pem = cert;
    cfg.tls_key_pem = key;

    /* Committed events → the hub → Socket.IO, SSE and webhooks. */
    if (!(run->hub = event_hub_start(app, err, errlen)) ||
        !(run->webhooks = webhook_worker_start(app, run->hub, err, errlen)) ||
        !(run->rt = realtime_start(app, run->hub, &rtc, err, errlen)) ||
        !(run->sse = sse_start(app, run->hub, (unsigned)atoi(env_or("CRMD_SSE_KEEPALIVE_MS", "0")), err, errlen)) ||
        !(run->janitor = janitor_start(app, atoll(env_or("CRMD_JANITOR_INTERVAL_MS", "0")), err, errlen)))
        goto done;
    api_set_realtime(run->rt);
    api_set_sse(run->sse);
    cfg.routes = api_route_table(&cfg.nroutes);
    run->http = http_server_start(&cfg, err, errlen);
    rc = run->http ? 0 : -1;
done:
    /* MHD has its own copies once started; the key is wiped from ours */
    if (key)
        sodium_memzero(key, strlen(key));
    free(key);
    free(cert);
    return rc;
}

static int serve_until_signal(crm_app *app, const struct options *o, const char *host, unsigned short port,
                              sigset_t *sigs)
{
    struct running run = { 0 };
    char err[512];
    int sig;

    if (start_running(app, o, host, port, &run, err, sizeof err) != 0) {
        fprintf(stderr, "crmd: %s\n", err);
        stop_running(&run);
        return 1;
    }
    log_info("crmd %s listening on %s://%s:%u (database %s, %u threads)", CRMD_VERSION,
             http_server_tls(run.http) ? "https" : "http", host, http_server_port(run.http), o->db, o->threads);
    sigwait(sigs, &sig);
    /* Behind a load balancer: keep serving while /readyz tells it to send no more (a second
     * signal cuts this short). */
    long drain_ms = atol(env_or("CRMD_DRAIN_MS", "0"));
    if (drain_ms > 0) {
        log_info("crmd draining for %ld ms: /readyz answers 503, requests are still served", drain_ms);
        atomic_store(&app->draining, true);
        struct timespec ts = {drain_ms / 1000, (drain_ms % 1000) * 1000000L};
        if (sigtimedwait(sigs, NULL, &ts) > 0)
            log_info("crmd: a second signal ends the draining");
    }
    log_info("crmd stopping on %s: finishing in-flight requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop_running(&run);
    log_info("crmd stopped");
    return 0;
}

static int cmd_serve(const struct options *o)
{
    crm_app app;
    char host[256];
    unsigned short port;
    sigset_t sigs;

    if (split_listen(o->listen, host, sizeof host, &port) != 0)
        return usage_error("--listen takes HOST:PORT, not '%s'", o->listen);
    log_set_quiet(o->quiet);
    /* Block the stop signals before any thread starts so that only sigwait below sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (open_app(&app, o))
        return 1;
    api_init(&app);
    int rc = serve_until_signal(&app, o, host, port, &sigs);
    app_close(&app);
    return rc;
}

/* check's report: each violation on a line of stdout, at most CHECK_SHOWN of each kind. */
#define CHECK_SHOWN 20

struct check_report {
    int64_t total;
    const char *kinds[64];
    int64_t counts[64];
    size_t nkinds;
};

static void print_violation(void *ctx, const store_violation *v)
{
    struct check_report *r = ctx;
    size_t i = 0;
    while (i < r->nkinds && strcmp(r->kinds[i], v->kind) != 0)
        i++;
    if (i == r->nkinds && r->nkinds < sizeof r->kinds / sizeof r->kinds[0])
        r->kinds[r->nkinds++] = v->kind;   /* kinds are static strings of the store */
    r->total++;
    if (i < r->nkinds && ++r->counts[i] > CHECK_SHOWN)
        return;
    printf("violation %s: org %s: %s: %s\n", v->kind, v->org_id ? v->org_id : "-", v->subject ? v->subject : "-",
           v->rule);
}

/* Exit status: 0 sound, 3 violations found (listed on stdout), 1 the check could not run. */
static int cmd_check(const struct options *o)
{
    struct check_report r = { 0 };
    store_check_stats stats;
    char err[512];
    if (store_check(o->db, print_violation, &r, &stats, err, sizeof err) != 0) {
        fprintf(stderr, "crmd: check: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < r.nkinds; i++)
        if (r.counts[i] > CHECK_SHOWN)
            printf("violation %s: ... and %lld more\n", r.kinds[i], (long long)(r.counts[i] - CHECK_SHOWN));
    printf("crmd check: %s: %lld organizations, %lld users, %lld contacts, %lld events",
           r.total ? "VIOLATIONS" : "ok", (long long)stats.orgs, (long long)stats.users, (long long)stats.contacts,
           (long long)stats.events);
    if (stats.unnumbered)
        printf(" (%lld awaiting a number)", (long long)stats.unnumbered);
    if (r.total)
        printf("; %lld violations of %zu kinds\n", (long long)r.total, r.nkinds);
    else
        printf("\n");
    return r.total ? 3 : 0;
}

static volatile sig_atomic_t backup_stop;

static void on_backup_signal(int sig)
{
    (void)sig;
    backup_stop = 1;
}

static int cmd_backup(const struct options *o)
{
    store_backup_stats stats;
    struct sigaction sa = { .sa_handler = on_backup_signal };
    char err[1024];
    if (!o->to)
        return usage_error("%s", "backup needs --to FILE");
    /* Ctrl-C or SIGTERM abandon the copy between two steps and remove the temporary file. */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t started = time_now_ms();
    if (store_backup(o->db, o->to, &backup_stop, &stats, err, sizeof err) != 0) {
        fprintf(stderr, "crmd: backup: %s\n", err);
        return 1;
    }
    printf("crmd backup: %s written (%lld bytes, %lld pages, %lld contacts, events up to %lld) in %lld ms\n",
           o->to, (long long)stats.bytes, (long long)stats.pages, (long long)stats.contacts,
           (long long)stats.last_event_seq, (long long)(time_now_ms() - started));
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    if (argc < 2)
        return usage_error("%s", "a command is required");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("crmd " CRMD_VERSION);
        return 0;
    }
    static const char *const commands[] = { "init", "demo", "serve", "check", "backup", "migrate", "export" };
    size_t known = 0;
    while (known < sizeof commands / sizeof commands[0] && strcmp(cmd, commands[known]) != 0)
        known++;
    if (known == sizeof commands / sizeof commands[0])
        return usage_error("unknown command '%s'", cmd);
    int rc = parse_options(argc, argv, &o, strcmp(cmd, "export") == 0);
    if (rc)
        return rc;
    if (strcmp(cmd, "init") == 0)
        return cmd_init(&o);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(&o);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(&o);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(&o);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(&o);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(&o);
    return cmd_serve(&o);
}
