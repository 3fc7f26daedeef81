/* Analytics: per API version, route, consumer and status class, request
 * counts, bytes and latency histograms kept apart for each gateway stage and
 * for upstream time; counters of authentication failures by reason, limit
 * denials by limit and upstream outcomes by target. Recording takes no lock
 * (label_table.h; atomic adds); reading writes the Prometheus text format
 * 0.0.4 or a quantile. Label sets are bounded: beyond max_series they share
 * one overflow series, labelled "_overflow". */
#ifndef GH_METRICS_H
#define GH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "label_table.h"

#define GH__METRIC_PARTS 5 /* the histograms: GH_METRIC_AUTHENTICATE .. GH_METRIC_UPSTREAM (gatehouse/metrics.h) */

#define GH__COUNT_AUTH_FAILURE 0 /* labels: realm, reason */
#define GH__COUNT_LIMIT_DENIAL 1 /* labels: limit */
#define GH__COUNT_UPSTREAM 2     /* labels: upstream, target, outcome */

typedef struct gh__metrics gh__metrics;

/* A recording thread's caches (label_table.h): its last series and last counter. */
typedef struct gh__metrics_cache {
  gh__label_cache series, counter;
} gh__metrics_cache;

typedef struct gh__metrics_sample {
  const char *api, *version, *route, *consumer; /* NULL reads as "" */
  int status;                                   /* 0: no response */
  int64_t part_ns[GH__METRIC_PARTS];            /* < 0: the part did not run */
  uint64_t bytes_in, bytes_out;
} gh__metrics_sample;

gh__metrics *gh__metrics_new(size_t max_series);
void gh__metrics_free(gh__metrics *m);
void gh__metrics_record(gh__metrics *m, const gh__metrics_sample *s, gh__metrics_cache *cache);
/* Adds one to a counter of a family (GH__COUNT_*); unused labels NULL. */
void gh__metrics_count(gh__metrics *m, int family, const char *a, const char *b, const char *c,
                       gh__metrics_cache *cache);
/* The Prometheus text exposition, appended to out. */
void gh__metrics_write(const gh__metrics *m, gh__buf *out);
/* The q-quantile (0 < q <= 1) in milliseconds of a part over the series
 * matching the labels given (NULL: any), interpolated within its histogram
 * bucket; GH_ENOTFOUND when nothing was recorded. */
int gh__metrics_quantile(const gh__metrics *m, const char *api, const char *version, const char *route,
                         const char *consumer, int part, double q, double *ms);

#endif
