/* Replies whose body is produced on demand, a piece at a time, as the client reads it (large
 * downloads): libmicrohttpd asks for the next piece when it has room to send it, so the memory
 * held is one piece whatever the size of the body, and a slow client slows the producer. */
#include <stdio.h>
#include <stdlib.h>
#include "http/server_impl.h"
#include "lib/log.h"

typedef struct pull {
    http_pull_fn fn;
    void (*done)(void *ctx);
    void *ctx;
    char id[REQ_ID_MAX + 1];
} pull;

static ssize_t next_piece(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    pull *p = cls;
    long n = p->fn(p->ctx, buf, max);
    if (n > 0)
        return (ssize_t)n;
    if (n < 0)
        log_error("request %s: the body failed after its headers were sent; connection closed", p->id);
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void finished(void *cls)
{
    pull *p = cls;
    p->done(p->ctx);
    free(p);
}

void http_reply_pull(http_req *r, int status, const char *content_type, http_pull_fn fn,
                     void (*done)(void *ctx), void *ctx)
{
    pull *p = malloc(sizeof *p);
    if (!p || !http_impl_begin_reply(r, status)) {
        free(p);
        done(ctx);
        return;
    }
    *p = (pull){.fn = fn, .done = done, .ctx = ctx};
    snprintf(p->id, sizeof p->id, "%s", r->id);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, next_piece, p, finished);
    if (!resp) {
        log_error("request %s: cannot create a response (out of memory?)", r->id);
        r->queue_failed = true;
        finished(p);
        return;
    }
    http_impl_queue(r, status, content_type, resp);
    MHD_destroy_response(resp);   /* MHD keeps its own reference; finished runs when it drops it */
}
