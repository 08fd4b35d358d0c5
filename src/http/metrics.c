/* Request counters per (route, status) and a latency histogram, all lock-free. Statuses outside
 * the list the API uses are counted under "other". */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include "http/metrics.h"
#include "lib/histogram.h"
#include "lib/xalloc.h"

static const int statuses[] = { 101, 200, 201, 202, 400, 401, 403, 404, 405, 409,
                                412, 413, 415, 422, 429, 431, 500, 503 };
#define NSTATUS (sizeof statuses / sizeof statuses[0])

struct http_metrics {
    size_t nroutes;
    histogram latency;
    _Atomic uint64_t counts[];   /* (nroutes + 1) × (NSTATUS + 1) */
};

http_metrics *http_metrics_new(size_t nroutes)
{
    http_metrics *m = xcalloc(1, sizeof *m + (nroutes + 1) * (NSTATUS + 1) * sizeof(_Atomic uint64_t));
    m->nroutes = nroutes;
    return m;
}

void http_metrics_free(http_metrics *m)
{
    free(m);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < NSTATUS; i++)
        if (statuses[i] == status)
            return i;
    return NSTATUS;
}

void http_metrics_record(http_metrics *m, size_t route, int status, double ms)
{
    if (route > m->nroutes)
        route = m->nroutes;
    atomic_fetch_add_explicit(&m->counts[route * (NSTATUS + 1) + status_slot(status)], 1, memory_order_relaxed);
    hist_observe(&m->latency, ms);
}

void http_metrics_write(const http_metrics *m, const http_route *routes, size_t nroutes, FILE *f)
{
    fputs("# HELP crmd_http_requests_total HTTP requests by route and status.\n"
          "# TYPE crmd_http_requests_total counter\n", f);
    for (size_t r = 0; r <= m->nroutes && r <= nroutes; r++) {
        for (size_t k = 0; k <= NSTATUS; k++) {
            uint64_t n = atomic_load_explicit(&m->counts[r * (NSTATUS + 1) + k], memory_order_relaxed);
            if (!n)
                continue;
            fprintf(f, "crmd_http_requests_total{method=\"%s\",route=\"%s\",status=\"", r < nroutes ? routes[r].method : "",
                    r < nroutes ? routes[r].pattern : "unmatched");
            if (k < NSTATUS)
                fprintf(f, "%d\"} %llu\n", statuses[k], (unsigned long long)n);
            else
                fprintf(f, "other\"} %llu\n", (unsigned long long)n);
        }
    }
    fputs("# HELP crmd_http_request_duration_seconds Time from request start to completion.\n"
          "# TYPE crmd_http_request_duration_seconds histogram\n", f);
    hist_write(f, &m->latency, "crmd_http_request_duration_seconds", "");
}
