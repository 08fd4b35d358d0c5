/* Webhooks: validation of what an ADMIN registers, the org-scoped reads and writes, and the
 * redelivery of a logged delivery. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "service/webhooks.h"
#include "lib/netaddr.h"
#include "service/render.h"
#include "lib/password.h"
#include "lib/random.h"
#include "lib/timefmt.h"

static const char *const known_events[] = { "contact_created", "contact_updated", "contact_removed",
                                             "note_created", "note_updated", "note_removed" };

static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*notify_fn)(void *ctx);
static void *notify_ctx;

void webhook_set_notify(void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&notify_lock);
    notify_fn = fn;
    notify_ctx = ctx;
    pthread_mutex_unlock(&notify_lock);
}

static void notify_worker(void)
{
    pthread_mutex_lock(&notify_lock);
    if (notify_fn)
        notify_fn(notify_ctx);
    pthread_mutex_unlock(&notify_lock);
}

bool webhook_store_ready(const crm_app *app)
{
    const store_ops *o = app->st->ops;
    return o->version >= 3 && o->event_list_after && o->event_last_seq && o->webhook_insert && o->webhook_list &&
           o->webhook_get && o->webhook_delete && o->webhook_subscribers && o->delivery_insert &&
           o->delivery_update && o->delivery_get && o->delivery_list && o->delivery_due;
}

/* Until the store keeps webhooks, every endpoint answers 503 rather than crash. */
static int require_store(crm_app *app, crm_err *err)
{
    if (!webhook_store_ready(app))
        return crm_fail(err, CRM_E_UNAVAILABLE, NULL, "Webhooks are not available on this storage backend");
    return 0;
}

int webhook_require_admin(const crm_user *me, crm_err *err)
{
    int rc = require_org_member(me, err);
    if (rc == 0 && me->role != ROLE_ADMIN)
        rc = crm_fail(err, CRM_E_FORBIDDEN, NULL, "Only an ADMIN may manage webhooks");
    return rc;
}

bool webhook_event_known(const char *name)
{
    for (size_t i = 0; i < sizeof known_events / sizeof known_events[0]; i++)
        if (strcmp(name, known_events[i]) == 0)
            return true;
    return false;
}

const char *webhook_delivery_state_name(crm_delivery_state s)
{
    switch (s) {
    case DELIVERY_PENDING: return "pending";
    case DELIVERY_SUCCEEDED: return "succeeded";
    case DELIVERY_FAILED: return "failed";
    }
    return "pending";
}

static int url_fail(crm_err *err, const char *why)
{
    return crm_fail(err, CRM_E_VALIDATION_FAILED, "url", "url %s", why);
}

static bool host_char(char ch)
{
    return ('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') || ('0' <= ch && ch <= '9') || ch == '-' ||
           ch == '.' || ch == '_';
}

/* The host is a DNS name / IPv4 address, or an IPv6 literal in brackets, then an optional port. */
static int check_authority(const char *p, size_t n, crm_err *err)
{
    size_t i = 0;
    if (memchr(p, '@', n))
        return url_fail(err, "must not hold credentials (user:password@)");
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (!close || close == p + 1)
            return url_fail(err, "has a malformed IPv6 host");
        for (const char *q = p + 1; q < close; q++)
            if (!(strchr("0123456789abcdefABCDEF:.", *q)))
                return url_fail(err, "has a malformed IPv6 host");
        i = (size_t)(close - p) + 1;
    } else {
        while (i < n && host_char(p[i]))
            i++;
        if (i == 0 || p[0] == '.' || p[0] == '-')
            return url_fail(err, "must name a host");
    }
    switch (netaddr_host_classify(p, i)) {
    case NETADDR_HOST_INVALID:
        return url_fail(err, "has an invalid host");
    case NETADDR_HOST_NONPUBLIC:
        if (!webhook_private_allowed())
            return url_fail(err, "points at a loopback, private or link-local address: webhooks reach public "
                                 "addresses only unless the operator sets CRMD_WEBHOOK_ALLOW_PRIVATE=1");
        break;
    case NETADDR_HOST_NAME:
    case NETADDR_HOST_PUBLIC:
        break;
    }
    if (i < n) {
        if (p[i] != ':' || i + 1 == n || n - i - 1 > 5)
            return url_fail(err, "has an invalid host or port");
        long port = 0;
        for (size_t k = i + 1; k < n; k++) {
            if (p[k] < '0' || p[k] > '9')
                return url_fail(err, "has an invalid port");
            port = port * 10 + (p[k] - '0');
        }
        if (port < 1 || port > 65535)
            return url_fail(err, "has a port outside 1..65535");
    }
    return 0;
}

bool webhook_private_allowed(void)
{
    const char *v = getenv("CRMD_WEBHOOK_ALLOW_PRIVATE");
    return v && strcmp(v, "1") == 0;
}

int webhook_url_check(const char *url, crm_err *err)
{
    size_t len = url ? strlen(url) : 0;
    if (!url || !*url)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "url", "url is required");
    if (len > WEBHOOK_URL_MAX)
        return url_fail(err, "is longer than 2048 characters");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || url[i] == '\\')
            return url_fail(err, "must be printable ASCII without spaces or backslashes (percent-encode the rest)");
    size_t skip;
    if (strncasecmp(url, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        skip = 8;
    else
        return url_fail(err, "must be an absolute http:// or https:// URL");
    if (strchr(url, '#'))
        return url_fail(err, "must not have a fragment (#...)");
    const char *auth = url + skip;
    size_t n = strcspn(auth, "/?");
    return check_authority(auth, n, err);
}

/* Counts code points: the secret's limits are in characters, like every other field. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int check_input(const webhook_input *in, crm_err *err)
{
    int rc;
    if ((rc = webhook_url_check(in->url, err)))
        return rc;
    if (!in->events || in->nevents == 0)
        return crm_fail(err, CRM_E_VALIDATION_FAILED, "events",
                        "events must be a non-empty array of event names (contact_created, contact_updated, "
                        "contact_removed, note_created, note_updated, note_removed)");
    for (size_t i = 0; i < in->nevents; i++) {
        char field[32];
        snprintf(field, sizeof field, "events[%zu]", i);
        if (!webhook_event_known(in->events[i]))
            return crm_fail(err, CRM_E_VALIDATION_FAILED, field,
                            "%s is not an event name (contact_created, contact_updated, contact_removed, "
                            "note_created, note_updated, note_removed)", field);
        for (size_t k = 0; k < i; k++)
            if (strcmp(in->events[k], in->events[i]) == 0)
                return crm_fail(err, CRM_E_VALIDATION_FAILED, field, "%s repeats events[%zu]", field, k);
    }
    if (in->secret) {
        size_t chars = utf8_chars(in->secret);
        if (chars < WEBHOOK_SECRET_MIN || chars > WEBHOOK_SECRET_MAX)
            return crm_fail(err, CRM_E_VALIDATION_FAILED, "secret", "secret must have %d to %d characters",
                            WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX);
    }
    return 0;
}

static char *new_secret(arena *a)
{
    unsigned char raw[32];
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    random_bytes(raw, sizeof raw);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return arena_printf(a, WEBHOOK_SECRET_PREFIX "%s", b64);
}

struct create_work {
    const crm_webhook *w;
    crm_err *err;
};

/* The per-org cap is checked on the writer, so two concurrent creates cannot both pass it. */
static int insert_webhook(store_conn *c, void *arg)
{
    struct create_work *cw = arg;
    arena *a = arena_new();
    crm_webhook *list;
    size_t n = 0;
    int rc = c->ops->webhook_list(c, cw->w->org_id, a, &list, &n);
    if (rc == 0 && n >= WEBHOOK_MAX_PER_ORG)
        rc = crm_fail(cw->err, CRM_E_VALIDATION_FAILED, NULL, "An organization may have at most %d webhooks",
                      WEBHOOK_MAX_PER_ORG);
    else if (rc == 0)
        rc = c->ops->webhook_insert(c, cw->w);
    arena_destroy(a);
    return rc;
}

int webhook_create(crm_app *app, const crm_user *me, const webhook_input *in, arena *a, crm_webhook *out,
                   crm_err *err)
{
    int rc;
    if ((rc = webhook_require_admin(me, err)) || (rc = require_store(app, err)) || (rc = check_input(in, err)))
        return rc;
    memset(out, 0, sizeof *out);
    objectid_new(out->id);
    memcpy(out->org_id, me->org_id, sizeof out->org_id);
    memcpy(out->created_by, me->id, sizeof out->created_by);
    out->url = arena_strdup(a, in->url);
    out->nevents = in->nevents;
    out->events = arena_alloc(a, in->nevents * sizeof *out->events);
    for (size_t i = 0; i < in->nevents; i++)
        out->events[i] = arena_strdup(a, in->events[i]);
    out->secret = in->secret ? arena_strdup(a, in->secret) : new_secret(a);
    out->created_at = time_now_ms();
    struct create_work cw = { out, err };
    return app_write(app, insert_webhook, &cw, err);
}

int webhook_list_org(crm_app *app, const crm_user *me, arena *a, crm_webhook **out, size_t *n, crm_err *err)
{
    store_conn *c;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = webhook_require_admin(me, err)) || (rc = require_store(app, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->webhook_list(c, me->org_id, a, out, n)))
        return crm_fail(err, -rc, NULL, NULL);
    return 0;
}

static int not_found(crm_err *err, int rc, const char *what)
{
    return crm_fail(err, -rc, NULL, rc == -CRM_E_NOT_FOUND ? "No such %s" : NULL, what);
}

int webhook_read(crm_app *app, const crm_user *me, const char *webhook_id, arena *a, crm_webhook *out,
                 crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = webhook_require_admin(me, err)) || (rc = require_store(app, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->webhook_get(c, me->org_id, webhook_id, a, out)))
        return not_found(err, rc, "webhook");
    return 0;
}

struct remove_work {
    const char *org_id, *webhook_id;
};

static int delete_webhook(store_conn *c, void *arg)
{
    struct remove_work *rw = arg;
    return c->ops->webhook_delete(c, rw->org_id, rw->webhook_id);
}

int webhook_remove(crm_app *app, const crm_user *me, const char *webhook_id, crm_err *err)
{
    int rc;
    if ((rc = webhook_require_admin(me, err)) || (rc = require_store(app, err)))
        return rc;
    struct remove_work rw = { me->org_id, webhook_id };
    rc = app_write(app, delete_webhook, &rw, err);
    if (rc == -CRM_E_NOT_FOUND)
        crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such webhook");
    return rc;
}

int webhook_delivery_list(crm_app *app, const crm_user *me, const char *webhook_id, int64_t page, int64_t limit,
                          arena *a, crm_delivery **out, size_t *n, int64_t *total, crm_err *err)
{
    store_conn *c;
    crm_webhook w;
    int rc;
    *out = NULL;
    *n = 0;
    *total = 0;
    if ((rc = webhook_require_admin(me, err)) || (rc = require_store(app, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    if ((rc = c->ops->webhook_get(c, me->org_id, webhook_id, a, &w)))
        return not_found(err, rc, "webhook");
    if ((rc = c->ops->delivery_list(c, me->org_id, webhook_id, (page - 1) * limit, limit, a, out, n, total)))
        return crm_fail(err, -rc, NULL, NULL);
    return 0;
}

char *webhook_payload(const char *delivery_id, const char *event_name, int64_t seq, const char *org_id,
                      int64_t event_created_at, const char *data_json, arena *a)
{
    json_t *data = data_json ? json_loads(data_json, JSON_DECODE_ANY, NULL) : NULL;
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:o, s:o}", "id", delivery_id, "event", event_name,
                             "seq", (json_int_t)seq, "organizationId", org_id,
                             "createdAt", json_time(event_created_at), "data", data ? data : json_null());
    if (!body)
        abort();
    char *text = json_dumps_arena(body, a);
    json_decref(body);
    return text;
}

struct redeliver_work {
    const char *org_id, *webhook_id, *delivery_id;
    crm_delivery *out;
    arena *a;
    crm_err *err;
};

/* On the writer: the webhook and the delivery must still exist when the copy is inserted. */
static int insert_redelivery(store_conn *c, void *arg)
{
    struct redeliver_work *rw = arg;
    crm_webhook w;
    crm_delivery orig;
    arena *tmp = arena_new();
    int rc;

    if ((rc = c->ops->webhook_get(c, rw->org_id, rw->webhook_id, tmp, &w))) {
        rc = not_found(rw->err, rc, "webhook");
        goto done;
    }
    if ((rc = c->ops->delivery_get(c, rw->org_id, rw->delivery_id, tmp, &orig)) == 0 &&
        strcmp(orig.webhook_id, rw->webhook_id) != 0)
        rc = -CRM_E_NOT_FOUND;
    if (rc) {
        rc = not_found(rw->err, rc, "delivery of this webhook");
        goto done;
    }
    crm_delivery *d = rw->out;
    memset(d, 0, sizeof *d);
    objectid_new(d->id);
    memcpy(d->org_id, orig.org_id, sizeof d->org_id);
    memcpy(d->webhook_id, orig.webhook_id, sizeof d->webhook_id);
    d->event_seq = orig.event_seq;
    d->event_name = arena_strdup(rw->a, orig.event_name);
    /* Same body but for the delivery id: a receiver tells the event by seq, the attempt by id. */
    json_t *body = orig.payload_json ? json_loads(orig.payload_json, 0, NULL) : NULL;
    if (json_is_object(body)) {
        json_object_set_new(body, "id", json_string(d->id));
        d->payload_json = json_dumps_arena(body, rw->a);
    } else {
        d->payload_json = webhook_payload(d->id, orig.event_name, orig.event_seq, orig.org_id, orig.created_at,
                                          NULL, rw->a);
    }
    json_decref(body);
    d->state = DELIVERY_PENDING;
    d->created_at = d->updated_at = d->next_attempt_at = time_now_ms();
    rc = c->ops->delivery_insert(c, d);
done:
    arena_destroy(tmp);
    return rc;
}

int webhook_redeliver(crm_app *app, const crm_user *me, const char *webhook_id, const char *delivery_id,
                      arena *a, crm_delivery *out, crm_err *err)
{
    int rc;
    if ((rc = webhook_require_admin(me, err)) || (rc = require_store(app, err)))
        return rc;
    struct redeliver_work rw = { me->org_id, webhook_id, delivery_id, out, a, err };
    if ((rc = app_write(app, insert_redelivery, &rw, err)))
        return rc;
    notify_worker();
    return 0;
}
