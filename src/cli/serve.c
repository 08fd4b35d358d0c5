/* serve: the HTTP API, Socket.IO, SSE, webhooks and the janitor until SIGTERM or SIGINT. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "api/api.h"
#include "cli/cli.h"
#include "http/http.h"
#include "lib/log.h"
#include "lib/password.h"
#include "lib/xalloc.h"
#include "realtime/realtime.h"
#include "realtime/sse.h"
#include "service/event_hub.h"
#include "service/bulk_job.h"
#include "service/imports.h"
#include "service/janitor.h"
#include "service/throttle.h"
#include "service/webhook_worker.h"

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
            buf = xrealloc(buf, cap);
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
    bulk_worker *bulk;
    import_worker *imports;
    throttle *throttle;
    http_server *http;
    unsigned threads, wait_threads;   /* the server's request threads; those of writes */
};

/* On SQLite a read is local and a write waits for the writer's group commit: the handlers that
 * write run on threads of their own (the waiting routes, http.h; CRMD_WAIT_THREADS, 0: on the
 * request threads), and the request threads, which then never wait, are twice the cores, from 4
 * to 64 (--threads sets them). Fewer request threads, each with more connections, sleep and wake
 * less often per request; more writes waiting at once make bigger group commits (bench/run 6 64:
 * 64 waiting threads made 11-17 % more creates than 32). On PostgreSQL every request waits on its
 * thread's own connection, and each thread that waits holds one: DEFAULT_THREADS request
 * threads, and none apart for writes. */
static void choose_threads(const crm_app *app, const struct cli_options *o, unsigned wait_threads,
                           struct running *run)
{
    if (app->st->ops->remote) {
        run->threads = o->threads ? o->threads : DEFAULT_THREADS;
        run->wait_threads = 0;
        return;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned local = cores < 2 ? 4 : cores > 32 ? 64 : 2 * (unsigned)cores;
    run->threads = o->threads ? o->threads : local;
    run->wait_threads = wait_threads;
}

static void stop_running(struct running *run)
{
    /* Long-lived connections first: the HTTP server cannot stop under them. */
    realtime_stop(run->rt);
    sse_stop(run->sse);
    api_set_sse(NULL);
    http_server_stop(run->http);
    api_set_import_worker(NULL);
    import_worker_stop(run->imports);
    api_set_throttle(NULL);
    throttle_free(run->throttle);
    api_set_realtime(NULL);
    realtime_free(run->rt);
    bulk_worker_stop(run->bulk);
    janitor_stop(run->janitor);
    webhook_worker_stop(run->webhooks);
    event_hub_stop(run->hub);
}

static int start_running(crm_app *app, const struct cli_options *o, const char *host, unsigned short port,
                         struct running *run, char *err, size_t errlen)
{
    realtime_config rtc = { .ping_interval_ms = (unsigned)atoi(cli_env_or("CRMD_PING_INTERVAL_MS", "0")),
                            .ping_timeout_ms = (unsigned)atoi(cli_env_or("CRMD_PING_TIMEOUT_MS", "0")),
                            .per_user = (unsigned)atoi(cli_env_or("CRMD_SOCKETIO_PER_USER", "0")) };
    http_config cfg = { .host = host, .port = port, .on_error = api_on_http_error, .access_log = !o->quiet };
    char *cert = NULL, *key = NULL;
    unsigned bulk_lease_ms, bulk_poll_ms, bulk_batch;
    unsigned import_runners;
    int rc = -1;

    if (env_limit("CRMD_HEADER_TIMEOUT_MS", 10000, 3600 * 1000, &cfg.head_timeout_ms) ||
        env_limit("CRMD_CONNECTIONS_PER_IP", 256, 1000000, &cfg.conns_per_ip) ||
        env_limit("CRMD_SSE_PER_IP", 32, 1000000, &cfg.streams_per_ip) ||
        env_limit("CRMD_SOCKETIO_PER_IP", 64, 1000000, &cfg.upgrades_per_ip) ||
        env_limit("CRMD_BULK_LEASE_MS", 0, 3600 * 1000, &bulk_lease_ms) ||
        env_limit("CRMD_BULK_POLL_MS", 0, 3600 * 1000, &bulk_poll_ms) ||
        env_limit("CRMD_BULK_BATCH", 0, 10000, &bulk_batch) ||
        env_limit("CRMD_IMPORT_RUNNERS", 16, 256, &import_runners) ||
        env_limit("CRMD_WAIT_THREADS", 64, 1024, &cfg.wait_threads)) {
        snprintf(err, errlen, "bad setting (see crmd --help)");
        return -1;
    }
    choose_threads(app, o, cfg.wait_threads, run);
    cfg.threads = run->threads;
    cfg.wait_threads = run->wait_threads;
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
        !(run->sse = sse_start(app, run->hub, (unsigned)atoi(cli_env_or("CRMD_SSE_KEEPALIVE_MS", "0")), err, errlen)) ||
        !(run->janitor = janitor_start(app, atoll(cli_env_or("CRMD_JANITOR_INTERVAL_MS", "0")), err, errlen)) ||
        !(run->bulk = bulk_worker_start(app, bulk_lease_ms, bulk_poll_ms, bulk_batch, err, errlen)) ||
        !(run->imports = import_worker_start(app, api_import_row_read, (unsigned)import_runners, err, errlen)))
        goto done;
    api_set_import_worker(run->imports);
    api_set_realtime(run->rt);
    api_set_sse(run->sse);
    cfg.routes = api_route_table(&cfg.nroutes);
    cfg.body_limits = api_body_limits(&cfg.nbody_limits);
    cfg.slow_routes = api_slow_routes(&cfg.nslow_routes);
    cfg.wait_routes = api_wait_routes(&cfg.nwait_routes);
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

static int serve_until_signal(crm_app *app, const struct cli_options *o, const char *host, unsigned short port,
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
    if (password_test_limits())
        password_warn_test_limits();
    log_info("crmd %s listening on %s://%s:%u (database %s, %u threads, %u more for writes)", CRMD_VERSION,
             http_server_tls(run.http) ? "https" : "http", host, http_server_port(run.http), o->db, run.threads,
             run.wait_threads);
    sigwait(sigs, &sig);
    /* Behind a load balancer: keep serving while /readyz tells it to send no more (a second
     * signal cuts this short). */
    long drain_ms = atol(cli_env_or("CRMD_DRAIN_MS", "0"));
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

int cli_serve(const struct cli_options *o)
{
    crm_app app;
    char host[256];
    unsigned short port;
    sigset_t sigs;

    if (split_listen(o->listen, host, sizeof host, &port) != 0)
        return cli_usage_error("--listen takes HOST:PORT, not '%s'", o->listen);
    log_set_quiet(o->quiet);
    /* Block the stop signals before any thread starts so that only sigwait below sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cli_open_app(&app, o))
        return 1;
    api_init(&app);
    int rc = serve_until_signal(&app, o, host, port, &sigs);
    app_close(&app);
    return rc;
}

