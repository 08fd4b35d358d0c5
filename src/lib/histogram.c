/* Latency histograms: atomic bucket counters, rendered in Prometheus' text format. */
#include "lib/histogram.h"

static const double bounds_ms[HIST_BUCKETS] = { 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500 };

void hist_observe(histogram *h, double ms)
{
    int i = 0;
    while (i < HIST_BUCKETS && ms > bounds_ms[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(ms * 1000.0), memory_order_relaxed);
}

void hist_write(FILE *f, const histogram *h, const char *name, const char *labels)
{
    const char *sep = labels[0] ? "," : "";
    uint64_t cumulative = 0;
    for (int i = 0; i <= HIST_BUCKETS; i++) {
        cumulative += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < HIST_BUCKETS)
            fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds_ms[i] / 1000.0,
                    (unsigned long long)cumulative);
        else
            fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cumulative);
    }
    fprintf(f, "%s_sum{%s} %.6f\n", name, labels,
            (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
    fprintf(f, "%s_count{%s} %llu\n", name, labels,
            (unsigned long long)atomic_load_explicit(&h->count, memory_order_relaxed));
}
