/* Request metrics of the HTTP layer: counts by route and status, and one latency histogram. */
#ifndef CRM_HTTP_METRICS_H
#define CRM_HTTP_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include "http/http.h"

typedef struct http_metrics http_metrics;

http_metrics *http_metrics_new(size_t nroutes);   /* aborts when out of memory */
void http_metrics_free(http_metrics *m);
/* route: index into the route table, or nroutes for requests that matched none. */
void http_metrics_record(http_metrics *m, size_t route, int status, double ms);
void http_metrics_write(const http_metrics *m, const http_route *routes, size_t nroutes, FILE *f);

#endif
