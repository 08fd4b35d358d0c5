/* A latency histogram with lock-free updates and Prometheus text output. */
#ifndef CRM_HISTOGRAM_H
#define CRM_HISTOGRAM_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_BUCKETS 12   /* upper bounds in ms: 0.5 1 2.5 5 10 25 50 100 250 500 1000 2500, then +Inf */

typedef struct histogram {
    _Atomic uint64_t bucket[HIST_BUCKETS + 1];   /* not cumulative; the last is +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
} histogram;

void hist_observe(histogram *h, double ms);
/* Writes name_bucket{labels,le=...}, name_sum and name_count lines (seconds, as Prometheus
 * expects); labels is "" or `key="value",...` without braces. */
void hist_write(FILE *f, const histogram *h, const char *name, const char *labels);

#endif
