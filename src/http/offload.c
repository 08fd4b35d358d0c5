/* A pool of threads that run route handlers off the server's threads (http_config's slow and
 * waiting routes, http.h) while libmicrohttpd keeps the request's connection suspended. A worker
 * of MHD's pool serves its connections one after another: a handler that runs for seconds (a
 * bulk move), or waits (a durable write waits for its group commit), held up every keep-alive
 * connection that worker had, or made the server keep more workers than cores. Each thread is
 * long-lived and keeps its storage connection. */
#include "http/server_impl.h"
#include "lib/xalloc.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>

typedef struct offload_item {
    http_req *r;
    struct offload_item *next;
} offload_item;

struct http_offload {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    offload_item *head, *tail;   /* waiting, oldest first */
    bool stopping;
    void (*run)(http_req *r);
    unsigned nthreads;
    pthread_t threads[];
};

static void *offload_thread(void *arg)
{
    http_offload *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->ready, &p->lock);
        offload_item *it = p->head;
        if (!it)
            break;   /* stopping, and nothing left */
        p->head = it->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        http_req *r = it->r;
        free(it);
        p->run(r);
        /* The connection is ours until this resume: MHD neither reads it nor times it out. */
        r->offloaded = false;
        MHD_resume_connection(r->conn);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

http_offload *http_offload_start(unsigned nthreads, void (*run)(http_req *r))
{
    http_offload *p = xcalloc(1, sizeof *p + nthreads * sizeof p->threads[0]);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    p->run = run;
    for (; p->nthreads < nthreads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, offload_thread, p) != 0)
            break;
    if (p->nthreads == 0) {
        pthread_cond_destroy(&p->ready);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

bool http_offload_submit(http_offload *p, http_req *r)
{
    offload_item *it = xcalloc(1, sizeof *it);
    it->r = r;
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        free(it);
        return false;
    }
    /* Suspended here, under the lock: a stop that has begun takes no more, and one that has
     * not runs this request and resumes its connection before MHD stops. */
    r->offloaded = true;
    MHD_suspend_connection(r->conn);
    if (p->tail)
        p->tail->next = it;
    else
        p->head = it;
    p->tail = it;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
    return true;
}

void http_offload_stop(http_offload *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    bool stopped = p->stopping;   /* and joined, by an earlier call */
    p->stopping = true;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; !stopped && i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
}

void http_offload_free(http_offload *p)
{
    if (!p)
        return;
    http_offload_stop(p);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
