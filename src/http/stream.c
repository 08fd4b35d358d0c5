/* Streaming replies (Server-Sent Events): a bounded buffer that any thread writes into and
 * libmicrohttpd drains through a content-reader callback. An empty buffer suspends the
 * connection (no polling, no busy loop); a write resumes it.
 *
 * Lifetime: two references, MHD's (dropped by the response's free callback, when the
 * connection is done with it) and the owner's (dropped by http_stream_close). The connection
 * pointer is used only to resume a connection we suspended: MHD neither times out nor closes a
 * suspended connection (http_server_stop ends every stream, which resumes it, before stopping
 * the daemon), so it is valid whenever `suspended` is set. */
#include "http/server_impl.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define STREAM_BLOCK 8192   /* MHD's read buffer for the body, from the connection's pool */

struct http_stream {
    http_server *srv;
    struct MHD_Connection *conn;
    pthread_mutex_t lock;          /* guards everything below but the links */
    pthread_cond_t notified;       /* on_closed has returned */
    char *buf;                     /* bytes [off, len) wait to be sent */
    size_t off, len, cap, max;
    bool suspended;                /* by the reader, not yet resumed */
    bool ending;                   /* no more writes: the reply ends once the buffer is sent */
    bool gone;                     /* MHD is done with the response */
    bool owner_closed;
    bool notifying;                /* on_closed is running on `notifier` */
    pthread_t notifier;
    http_stream_closed_fn on_closed;
    void *ctx;
    atomic_int refs;
    http_stream *prev, *next;      /* in srv->streams, under srv->streams_lock */
    bool listed;
    http_addr_key slot;            /* the client address's stream slot, given back at the end */
};

static void release(http_stream *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_cond_destroy(&s->notified);
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s);
}

/* Wakes a connection the reader suspended; s->lock held. */
static void wake(http_stream *s)
{
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

/* MHD_ContentReaderCallback, on the connection's server thread. */
static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    http_stream *s = cls;
    ssize_t n;
    (void)pos;
    pthread_mutex_lock(&s->lock);
    if (s->len > s->off) {
        size_t k = s->len - s->off;
        if (k > max)
            k = max;
        memcpy(out, s->buf + s->off, k);
        s->off += k;
        if (s->off == s->len)
            s->off = s->len = 0;
        n = (ssize_t)k;
    } else if (s->ending) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* Nothing to send: park the connection until a write (MHD allows suspending from
         * the reader; returning 0 without it would make MHD call again at once). */
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        n = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void unlist(http_stream *s)
{
    http_server *srv = s->srv;
    pthread_mutex_lock(&srv->streams_lock);
    if (s->listed) {
        if (s->prev)
            s->prev->next = s->next;
        else
            srv->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        s->listed = false;
    }
    pthread_mutex_unlock(&srv->streams_lock);
}

/* MHD_ContentReaderFreeCallback: the response is over (sent, client gone, or server stop). */
static void on_free(void *cls)
{
    http_stream *s = cls;
    unlist(s);
    pthread_mutex_lock(&s->lock);
    s->gone = true;
    s->ending = true;
    s->suspended = false;
    http_guard_give(s->srv->guard, &s->slot, HTTP_SLOT_STREAM);
    if (!s->owner_closed && s->on_closed) {
        s->notifying = true;
        s->notifier = pthread_self();
        pthread_mutex_unlock(&s->lock);
        s->on_closed(s->ctx);
        pthread_mutex_lock(&s->lock);
        s->notifying = false;
        pthread_cond_broadcast(&s->notified);
    }
    pthread_mutex_unlock(&s->lock);
    release(s);
}

http_stream *http_reply_stream(http_req *r, int status, const char *content_type,
                               size_t max_buffered, http_stream_closed_fn on_closed, void *ctx)
{
    http_server *srv = r->srv;
    struct MHD_Response *resp;
    http_stream *s;
    http_addr_key slot;
    if (!r->replied && !http_guard_take(srv->guard, r->conn, HTTP_SLOT_STREAM, &slot)) {
        r->problem = "Too many event streams are open from your address";
        http_reply_header(r, "Retry-After", "10");
        http_impl_reply_error(r, 429);
        return NULL;
    }
    if (!http_impl_begin_reply(r, status))
        return NULL;   /* a second reply: nothing was taken */
    if (status < 200 || status > 599) {
        log_error("request %s: invalid stream status %d replaced by 500", r->id, status);
        status = 500;
    }
    s = xcalloc(1, sizeof *s);
    s->srv = srv;
    s->conn = r->conn;
    s->max = max_buffered ? max_buffered : 64 * 1024;
    s->on_closed = on_closed;
    s->ctx = ctx;
    s->slot = slot;
    atomic_init(&s->refs, 2);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->notified, NULL);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, reader, s, on_free);
    if (!resp) {
        log_error("request %s: cannot create a streaming response", r->id);
        http_guard_give(srv->guard, &slot, HTTP_SLOT_STREAM);
        r->queue_failed = true;
        pthread_cond_destroy(&s->notified);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    pthread_mutex_lock(&srv->streams_lock);
    /* Past http_impl_streams_end_all, a new stream starts out ended. */
    if (atomic_load(&srv->stopping))
        s->ending = true;
    s->next = srv->streams;
    if (s->next)
        s->next->prev = s;
    srv->streams = s;
    s->listed = true;
    pthread_mutex_unlock(&srv->streams_lock);
    if (!http_impl_queue(r, status, content_type, resp)) {
        pthread_mutex_lock(&s->lock);
        s->owner_closed = true;   /* the caller gets NULL: nothing is to be called */
        pthread_mutex_unlock(&s->lock);
        MHD_destroy_response(resp);   /* runs on_free: MHD's reference */
        release(s);                   /* and the owner's */
        return NULL;
    }
    MHD_destroy_response(resp);
    return s;
}

int http_stream_write(http_stream *s, const void *data, size_t len)
{
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    if (s->ending || s->len - s->off + len > s->max)
        goto done;
    if (s->len + len > s->cap) {
        if (s->off) {   /* slide what is left to the front before growing */
            memmove(s->buf, s->buf + s->off, s->len - s->off);
            s->len -= s->off;
            s->off = 0;
        }
        if (s->len + len > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + len)
                cap *= 2;
            if (cap > s->max)
                cap = s->max;
            s->buf = xrealloc(s->buf, cap);
            s->cap = cap;
        }
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    wake(s);
    rc = 0;
done:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void http_stream_close(http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->owner_closed = true;
    s->ending = true;
    /* on_closed must not run after we return; from inside on_closed itself there is no wait */
    while (s->notifying && !pthread_equal(s->notifier, pthread_self()))
        pthread_cond_wait(&s->notified, &s->lock);
    wake(s);
    pthread_mutex_unlock(&s->lock);
    release(s);
}

void http_impl_streams_end_all(http_server *srv)
{
    pthread_mutex_lock(&srv->streams_lock);
    for (http_stream *s = srv->streams; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->ending = true;
        wake(s);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&srv->streams_lock);
}
