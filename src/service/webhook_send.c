/* The webhook sender: claims due deliveries, POSTs them signed through one libcurl multi handle
 * (loaded on first use), refuses non-public addresses, and records each attempt with its
 * backoff. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sodium.h>
#include "service/webhook_worker_impl.h"
#include "lib/netaddr.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

/* How long a claimed delivery stays with its sender before another may attempt it (the sender
 * died): well past the longest POST. */
#define CLAIM_LEASE_MS (WEBHOOK_TOTAL_TIMEOUT_MS + 60000)

/* One POST in flight. */
struct inflight {
    CURL *h;
    objectid id, org_id;
    struct curl_slist *headers;
    char *body;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    char refused[64];    /* the non-public address the sender would not connect to, or "" */
};

const libcurl *webhook_curl;

/* base · 2^(attempts-1), capped, ±20 % so that many receivers failing together do not retry together. */
static int64_t backoff_ms(const webhook_worker *w, int attempts)
{
    int64_t d = w->backoff_ms;
    for (int i = 1; i < attempts && d < WEBHOOK_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > WEBHOOK_BACKOFF_CAP_MS)
        d = WEBHOOK_BACKOFF_CAP_MS;
    int64_t j = d / 5;
    if (j > 0)
        d += (int64_t)randombytes_uniform((uint32_t)(2 * j + 1)) - j;
    return d;
}

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    (void)ptr;
    (void)ctx;
    return size * nmemb;
}

/* hex HMAC-SHA256 of "<t>.<body>" keyed with the secret's bytes. */
static void sign(const char *secret, long long t, const char *body, char hex[crypto_auth_hmacsha256_BYTES * 2 + 1])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[32];
    int n = snprintf(ts, sizeof ts, "%lld.", t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, crypto_auth_hmacsha256_BYTES * 2 + 1, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

static struct curl_slist *add_header(struct curl_slist *l, const char *fmt, const char *a, const char *b)
{
    char line[256];
    snprintf(line, sizeof line, fmt, a, b);
    struct curl_slist *n = webhook_curl->slist_append(l, line);
    if (!n)
        abort();
    return n;
}

static void inflight_free(struct inflight *f)
{
    if (!f)
        return;
    if (f->h)
        webhook_curl->easy_cleanup(f->h);
    webhook_curl->slist_free_all(f->headers);
    free(f->body);
    free(f->url);
    free(f);
}

static bool in_flight(const webhook_worker *w, const char *id)
{
    for (size_t i = 0; i < w->ninflight; i++)
        if (strcmp(w->inflight[i]->id, id) == 0)
            return true;
    return false;
}

/* CURLOPT_OPENSOCKETFUNCTION: every connection curl makes (after DNS, redirects are off) goes to
 * a public address, unless the operator allows private ones; a name that resolves to one is
 * refused here even though its URL passed the check at registration. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct inflight *f = clientp;
    (void)purpose;
    f->refused[0] = '\0';   /* the reason is about the last address tried */
    if (!webhook_private_allowed() && !netaddr_is_public(&addr->addr)) {
        netaddr_text(&addr->addr, f->refused, sizeof f->refused);
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* What went wrong with a POST that got no HTTP reply, as the tenant sees it (lastError): never
 * an address the name resolved to, nor curl's detailed text, which can carry one ("Failed to
 * connect to ... port"): which internal addresses a name maps to is the operator's to know. */
static const char *failure_text(const struct inflight *f, CURLcode result)
{
    if (f->refused[0])
        return "refused to connect: the host resolves to an address that is not public "
               "(the operator's CRMD_WEBHOOK_ALLOW_PRIVATE=1 allows it)";
    return webhook_curl->easy_strerror(result);
}

/* The same for the operator's log: the address and curl's own words. */
static void failure_detail(const struct inflight *f, CURLcode result, char *out, size_t outlen)
{
    if (f->refused[0])
        snprintf(out, outlen, "refused to connect to %s: not a public address", f->refused);
    else
        snprintf(out, outlen, "%s", f->errbuf[0] ? f->errbuf : webhook_curl->easy_strerror(result));
}

static void start_send(webhook_worker *w, store_conn *c, const crm_delivery *d, arena *a)
{
    crm_webhook hook;
    /* A webhook deleted since takes its deliveries with it: nothing to send. */
    if (c->ops->webhook_get(c, d->org_id, d->webhook_id, a, &hook) != 0 || !d->payload_json)
        return;
    struct inflight *f = xcalloc(1, sizeof *f);
    memcpy(f->id, d->id, sizeof f->id);
    memcpy(f->org_id, d->org_id, sizeof f->org_id);
    f->body = xstrdup(d->payload_json);
    f->url = xstrdup(hook.url);
    f->h = webhook_curl->easy_init();
    if (!f->h)
        abort();

    long long t = (long long)(time_now_ms() / 1000);
    char hex[crypto_auth_hmacsha256_BYTES * 2 + 1], tbuf[32];
    sign(hook.secret, t, f->body, hex);
    snprintf(tbuf, sizeof tbuf, "%lld", t);
    f->headers = add_header(NULL, "Content-Type: application/json%s%s", "", "");
    f->headers = add_header(f->headers, "X-Crmd-Event: %s%s", d->event_name ? d->event_name : "", "");
    f->headers = add_header(f->headers, "X-Crmd-Delivery: %s%s", d->id, "");
    f->headers = add_header(f->headers, "X-Crmd-Signature: t=%s,v1=%s", tbuf, hex);
    f->headers = add_header(f->headers, "Expect:%s%s", "", "");   /* no 100-continue round trip */

    CURL *h = f->h;
    webhook_curl->easy_setopt(h, CURLOPT_URL, f->url);
    /* Only http and https, whatever the URL or the receiver says; the libcurl loaded at run time
     * may be older than the headers, so the older option is the fallback, and neither means no
     * POST at all. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"   /* CURLOPT_PROTOCOLS, for old libcurls */
    if (webhook_curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK &&
        webhook_curl->easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK) {
#pragma GCC diagnostic pop
        log_error("webhooks: this libcurl cannot be limited to http and https; not sending");
        inflight_free(f);
        return;
    }
    webhook_curl->easy_setopt(h, CURLOPT_POST, 1L);
    webhook_curl->easy_setopt(h, CURLOPT_POSTFIELDS, f->body);
    webhook_curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(f->body));
    webhook_curl->easy_setopt(h, CURLOPT_HTTPHEADER, f->headers);
    webhook_curl->easy_setopt(h, CURLOPT_USERAGENT, "crmd");
    /* A redirect is the receiver's answer, recorded as its status: following it would let a
     * public receiver point the sender anywhere. */
    webhook_curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* No proxy from http_proxy/https_proxy in the environment: through a proxy, the address
     * check below would judge the proxy instead of the receiver. */
    webhook_curl->easy_setopt(h, CURLOPT_PROXY, "");
    webhook_curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOK_CONNECT_TIMEOUT_MS);
    webhook_curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TOTAL_TIMEOUT_MS);
    webhook_curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    webhook_curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
    webhook_curl->easy_setopt(h, CURLOPT_ERRORBUFFER, f->errbuf);
    webhook_curl->easy_setopt(h, CURLOPT_PRIVATE, f);
    webhook_curl->easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    webhook_curl->easy_setopt(h, CURLOPT_OPENSOCKETDATA, f);
    if (webhook_curl->multi_add_handle(w->multi, h) != CURLM_OK) {
        inflight_free(f);
        return;
    }
    w->inflight[w->ninflight++] = f;
}

static void send_trouble(webhook_worker *w, const char *what)
{
    if (!w->send_failing)
        log_error("webhooks: %s; retrying every second", what);
    w->send_failing = true;
}

/* Loads libcurl and makes the multi handle. False (logged once) when libcurl cannot be had:
 * the deliveries stay pending, for a restart with a working libcurl to send. */
static bool start_curl(webhook_worker *w)
{
    char why[300];
    const libcurl *lib = libcurl_get(why, sizeof why);
    CURLM *m = lib ? lib->multi_init() : NULL;
    if (!m) {
        if (!w->send_failing)
            log_error("webhooks cannot be sent: %s", lib ? "libcurl has no multi handle" : why);
        w->send_failing = true;
        return false;
    }
    pthread_mutex_lock(&w->lock);
    webhook_curl = lib;
    w->multi = m;
    pthread_mutex_unlock(&w->lock);
    return true;
}

struct claim_work {
    crm_delivery *d;
    size_t n;
    bool *claimed;
    int64_t now;
};

/* Several servers on one database look at the same due deliveries: each attempt goes to the one
 * that claims the delivery first. */
static int claim_unit(store_conn *c, void *arg)
{
    struct claim_work *cw = arg;
    for (size_t i = 0; i < cw->n; i++) {
        int rc = c->ops->delivery_claim(c, cw->d[i].org_id, cw->d[i].id, cw->now, cw->now + CLAIM_LEASE_MS);
        if (rc && rc != -CRM_E_NOT_FOUND)
            return rc;
        cw->claimed[i] = rc == 0;
    }
    return 0;
}

static void fetch_due(webhook_worker *w)
{
    int64_t now = time_now_ms();
    w->next_poll = now + POLL_MS;
    if (w->next_retry <= now)
        w->next_retry = INT64_MAX;   /* this look covers it */
    else if (w->next_retry < w->next_poll)
        w->next_poll = w->next_retry;
    if (w->ninflight >= SEND_MAX_INFLIGHT)
        return;
    store_conn *c = w->app->st->ops->reader(w->app->st);
    if (!c) {
        send_trouble(w, "no read connection");
        return;
    }
    arena *a = arena_new();
    crm_delivery *d = NULL;
    size_t n = 0;
    if (c->ops->delivery_due(c, now, (int64_t)(SEND_MAX_INFLIGHT + w->ninflight), a, &d, &n) == 0) {
        if (n > 0 && !w->multi && !start_curl(w)) {
            arena_destroy(a);
            return;
        }
        size_t room = 0;
        for (size_t i = 0; i < n && room < SEND_MAX_INFLIGHT - w->ninflight; i++)
            if (!in_flight(w, d[i].id))
                d[room++] = d[i];
        struct claim_work cw = {d, room, arena_alloc(a, room + 1), now};
        if (room > 0 && w->app->st->ops->write(w->app->st, claim_unit, &cw) != 0) {
            send_trouble(w, "cannot claim the due deliveries");
            arena_destroy(a);
            return;
        }
        w->send_failing = false;
        for (size_t i = 0; i < room; i++)
            if (cw.claimed[i])
                start_send(w, c, &d[i], a);
    } else {
        send_trouble(w, "cannot read the due deliveries");
    }
    arena_destroy(a);
}

struct record_work {
    const webhook_worker *w;
    const struct inflight *f;
    CURLcode result;
    long status;
    /* out */
    crm_delivery_state state;
    int attempts;
    int64_t next_attempt_at;
    bool recorded;
};

/* On the writer: the delivery may have gone with its webhook while the POST was in flight. */
static int record_unit(store_conn *c, void *arg)
{
    struct record_work *rw = arg;
    arena *a = arena_new();
    crm_delivery d;
    int rc = c->ops->delivery_get(c, rw->f->org_id, rw->f->id, a, &d);
    rw->recorded = false;
    if (rc == -CRM_E_NOT_FOUND) {
        rc = 0;
        goto done;
    }
    if (rc || d.state != DELIVERY_PENDING)
        goto done;
    int64_t now = time_now_ms();
    bool ok = rw->result == CURLE_OK && rw->status >= 200 && rw->status <= 299;
    d.attempts++;
    d.last_status = (int)rw->status;
    if (ok)
        d.last_error = NULL;
    else if (rw->result != CURLE_OK)
        d.last_error = arena_strdup(a, failure_text(rw->f, rw->result));
    else
        d.last_error = arena_printf(a, "HTTP %ld", rw->status);
    if (ok)
        d.state = DELIVERY_SUCCEEDED;
    else if (d.attempts >= rw->w->max_attempts)
        d.state = DELIVERY_FAILED;
    else
        d.next_attempt_at = now + backoff_ms(rw->w, d.attempts);
    d.updated_at = now;
    if ((rc = c->ops->delivery_update(c, &d)) == 0) {
        rw->recorded = true;
        rw->state = d.state;
        rw->attempts = d.attempts;
        rw->next_attempt_at = d.next_attempt_at;
    }
done:
    arena_destroy(a);
    return rc;
}

static void record(webhook_worker *w, struct inflight *f, CURLcode result, long status)
{
    struct record_work rw = { .w = w, .f = f, .result = result, .status = status };
    if (w->app->st->ops->write(w->app->st, record_unit, &rw) != 0) {
        /* Still pending and due: it is sent again on the next look. */
        log_error("webhooks: cannot record the attempt of delivery %s", f->id);
        return;
    }
    if (!rw.recorded)
        return;
    if (rw.state == DELIVERY_SUCCEEDED) {
        log_info("webhook delivery %s: HTTP %ld (attempt %d), succeeded", f->id, status, rw.attempts);
    } else if (rw.state == DELIVERY_FAILED) {
        /* Not the URL: receivers often carry a token in it. The delivery id leads to the webhook. */
        char why[CURL_ERROR_SIZE + 64];
        failure_detail(f, result, why, sizeof why);
        log_warn("webhook delivery %s failed for good after %d attempts: %s", f->id, rw.attempts,
                 result != CURLE_OK ? why : "non-2xx reply");
    } else {
        char why[CURL_ERROR_SIZE + 64];
        failure_detail(f, result, why, sizeof why);
        log_info("webhook delivery %s: %s%ld (attempt %d), retry in %" PRId64 " ms%s%s", f->id,
                 result != CURLE_OK ? "no reply, status " : "HTTP ", status, rw.attempts,
                 rw.next_attempt_at - time_now_ms(), result != CURLE_OK ? ": " : "", result != CURLE_OK ? why : "");
        if (rw.next_attempt_at < w->next_retry)
            w->next_retry = rw.next_attempt_at;
        if (rw.next_attempt_at < w->next_poll)
            w->next_poll = rw.next_attempt_at;
    }
}

/* Records every finished POST; returns how many finished. */
static size_t collect(webhook_worker *w)
{
    CURLMsg *m;
    int left;
    size_t done = 0;
    while ((m = webhook_curl->multi_info_read(w->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *h = m->easy_handle;
        CURLcode result = m->data.result;   /* m is invalid once the handle is removed */
        struct inflight *f = NULL;
        long status = 0;
        webhook_curl->easy_getinfo(h, CURLINFO_PRIVATE, (char **)&f);
        webhook_curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        webhook_curl->multi_remove_handle(w->multi, h);
        for (size_t i = 0; i < w->ninflight; i++)
            if (w->inflight[i] == f) {
                w->inflight[i] = w->inflight[--w->ninflight];
                break;
            }
        record(w, f, result, status);
        inflight_free(f);
        done++;
    }
    return done;
}

/* On the way out: the claims of the POSTs abandoned in flight go back, so that the next server to
 * look (this one restarted, or another) sends them at once rather than after the lease. */
static int release_unit(store_conn *c, void *arg)
{
    webhook_worker *w = arg;
    arena *a = arena_new();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->ninflight; i++) {
        crm_delivery d;
        if (c->ops->delivery_get(c, w->inflight[i]->org_id, w->inflight[i]->id, a, &d) != 0 ||
            d.state != DELIVERY_PENDING)
            continue;
        d.next_attempt_at = d.updated_at = time_now_ms();
        rc = c->ops->delivery_update(c, &d);
    }
    arena_destroy(a);
    return rc;
}

void *webhook_send_main(void *arg)
{
    pthread_setname_np(pthread_self(), "webhook-send");
    webhook_worker *w = arg;
    w->next_poll = 0;   /* on start: resume whatever is pending */
    w->next_retry = INT64_MAX;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        if (w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        int64_t now = time_now_ms();
        bool fetch = w->send_pending || now >= w->next_poll;
        w->send_pending = false;
        if (!fetch && w->ninflight == 0) {
            struct timespec ts = time_deadline(CLOCK_MONOTONIC, w->next_poll - now);
            pthread_cond_timedwait(&w->send_wake, &w->lock, &ts);
            pthread_mutex_unlock(&w->lock);
            continue;
        }
        pthread_mutex_unlock(&w->lock);

        if (fetch)
            fetch_due(w);
        if (w->ninflight == 0)
            continue;
        int running = 0;
        webhook_curl->multi_perform(w->multi, &running);
        if (collect(w) > 0) {
            w->next_poll = 0;   /* a slot is free: look for more at once */
            continue;
        }
        int64_t wait = w->next_poll - time_now_ms();
        if (wait < 10)
            wait = 10;
        if (wait > POLL_MS)
            wait = POLL_MS;
        webhook_curl->multi_poll(w->multi, NULL, 0, (int)wait, NULL);
    }
    /* Abandoned POSTs stay pending in the database and are sent again by the next look. */
    if (w->ninflight > 0 && w->app->st->ops->write(w->app->st, release_unit, w) != 0)
        log_warn("webhooks: the deliveries in flight stay claimed until their lease ends");
    while (w->ninflight > 0) {
        struct inflight *f = w->inflight[--w->ninflight];
        webhook_curl->multi_remove_handle(w->multi, f->h);
        inflight_free(f);
    }
    return NULL;
}
