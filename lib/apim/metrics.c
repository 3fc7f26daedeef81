#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Bucket upper bounds in nanoseconds: 1 µs to 10 s, then +Inf. Gateway stages
 * take microseconds and upstreams milliseconds: one set serves both. */
static const uint64_t BOUNDS_NS[] = {1000,       2500,       5000,       10000,      25000,     50000,
                                     100000,     250000,     500000,     1000000,    2500000,   5000000,
                                     10000000,   25000000,   50000000,   100000000,  250000000, 500000000,
                                     1000000000, 2500000000, 5000000000, 10000000000};
#define N_BOUNDS (sizeof BOUNDS_NS / sizeof BOUNDS_NS[0])
#define N_BUCKETS (N_BOUNDS + 1)

static const char *const PART_NAMES[GH__METRIC_PARTS] = {"authenticate", "authorize", "limits", "other", "upstream"};

typedef struct histogram {
  atomic_uint_fast64_t bucket[N_BUCKETS]; /* not cumulative; summed when read */
  atomic_uint_fast64_t sum_ns;
} histogram;

typedef struct series {
  atomic_uint_fast64_t requests, bytes_in, bytes_out;
  histogram part[GH__METRIC_PARTS];
} series;

struct gh__metrics {
  gh__label_table *series;   /* api, version, route, consumer, code_class */
  gh__label_table *counters; /* family, then up to three labels */
};

#define SERIES_LABELS 5

gh__metrics *gh__metrics_new(size_t max_series) {
  gh__metrics *m = gh__calloc(1, sizeof *m);
  if (!m) return NULL;
  m->series = gh__label_table_new(max_series, sizeof(series));
  m->counters = gh__label_table_new(max_series, sizeof(atomic_uint_fast64_t));
  if (!m->series || !m->counters) return gh__metrics_free(m), NULL;
  return m;
}

void gh__metrics_free(gh__metrics *m) {
  if (!m) return;
  gh__label_table_free(m->series), gh__label_table_free(m->counters), gh__free(m);
}

static size_t bucket_of(uint64_t ns) {
  size_t lo = 0, hi = N_BOUNDS; /* the first bound >= ns; N_BOUNDS: +Inf */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (BOUNDS_NS[mid] >= ns)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

static const char *code_class(int status) {
  static const char *const classes[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  return status >= 100 && status <= 599 ? classes[status / 100] : classes[0];
}

void gh__metrics_record(gh__metrics *m, const gh__metrics_sample *s, gh__metrics_cache *cache) {
  const char *labels[SERIES_LABELS] = {s->api, s->version, s->route, s->consumer, code_class(s->status)};
  char key[GH__LABEL_KEY_MAX];
  size_t len = gh__label_key(key, labels, SERIES_LABELS);
  series *v = gh__label_table_value_cached(m->series, key, len, cache ? &cache->series : NULL);
  atomic_fetch_add_explicit(&v->requests, 1, memory_order_relaxed);
  if (s->bytes_in) atomic_fetch_add_explicit(&v->bytes_in, s->bytes_in, memory_order_relaxed);
  if (s->bytes_out) atomic_fetch_add_explicit(&v->bytes_out, s->bytes_out, memory_order_relaxed);
  for (int p = 0; p < GH__METRIC_PARTS; p++) {
    if (s->part_ns[p] < 0) continue;
    uint64_t ns = (uint64_t)s->part_ns[p];
    atomic_fetch_add_explicit(&v->part[p].bucket[bucket_of(ns)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&v->part[p].sum_ns, ns, memory_order_relaxed);
  }
}

void gh__metrics_count(gh__metrics *m, int family, const char *a, const char *b, const char *c,
                       gh__metrics_cache *cache) {
  char fam[2] = {(char)('0' + family), 0};
  const char *labels[4] = {fam, a, b, c};
  char key[GH__LABEL_KEY_MAX];
  size_t len = gh__label_key(key, labels, 4);
  atomic_uint_fast64_t *v = gh__label_table_value_cached(m->counters, key, len, cache ? &cache->counter : NULL);
  atomic_fetch_add_explicit(v, 1, memory_order_relaxed);
}

/* ---- reading ---- */

static uint64_t load(const atomic_uint_fast64_t *a) {
  return atomic_load_explicit((atomic_uint_fast64_t *)a, memory_order_relaxed);
}

/* A label value in the exposition format: backslash, double quote and line feed escaped. */
static void put_label(gh__buf *out, const char *name, const char *v, size_t n, bool first) {
  if (!first) gh__buf_put(out, ",", 1);
  gh__buf_puts(out, name);
  gh__buf_put(out, "=\"", 2);
  for (size_t i = 0; i < n; i++) {
    if (v[i] == '\\')
      gh__buf_put(out, "\\\\", 2);
    else if (v[i] == '"')
      gh__buf_put(out, "\\\"", 2);
    else if (v[i] == '\n')
      gh__buf_put(out, "\\n", 2);
    else
      gh__buf_put(out, &v[i], 1);
  }
  gh__buf_put(out, "\"", 1);
}

/* The labels of an encoded key (after `skip` parts), or all "_overflow" for the overflow value. */
static void put_labels(gh__buf *out, const char *key, size_t len, size_t skip, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t l = 0;
    const char *v = key ? gh__label_key_part(key, len, skip + i, &l) : "_overflow";
    if (!key) l = 9;
    put_label(out, names[i], v ? v : "", v ? l : 0, i == 0);
  }
}

static void put_u64(gh__buf *out, uint64_t v) {
  char d[24];
  gh__buf_put(out, d, gh__u64_to_dec(v, d));
}

static void put_seconds(gh__buf *out, uint64_t ns) {
  char d[40];
  int n = snprintf(d, sizeof d, "%.9g", (double)ns / 1e9);
  gh__buf_put(out, d, (size_t)n);
}

static const char *const SERIES_NAMES[] = {"api", "version", "route", "consumer", "code_class"};

typedef struct write_ctx {
  gh__buf *out;
  const char *metric; /* the sample's name */
  int what;           /* 0 requests, 1 bytes in, 2 bytes out, 3 histograms */
  int family;
  const char *const *names;
  size_t n_names;
} write_ctx;

static void write_series(void *ud, const char *key, size_t len, void *value) {
  write_ctx *c = ud;
  const series *s = value;
  gh__buf *out = c->out;
  if (c->what < 3) {
    uint64_t v = load(c->what == 0 ? &s->requests : c->what == 1 ? &s->bytes_in : &s->bytes_out);
    if (c->what && !v) return;
    gh__buf_puts(out, c->metric);
    gh__buf_put(out, "{", 1);
    put_labels(out, key, len, 0, SERIES_NAMES, SERIES_LABELS);
    gh__buf_put(out, "} ", 2);
    put_u64(out, v);
    gh__buf_put(out, "\n", 1);
    return;
  }
  for (int p = 0; p < GH__METRIC_PARTS; p++) {
    uint64_t counts[N_BUCKETS], total = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) total += counts[b] = load(&s->part[p].bucket[b]);
    if (!total) continue;
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= N_BUCKETS; b++) {
      gh__buf_puts(out, "gatehouse_stage_duration_seconds");
      gh__buf_puts(out, b < N_BUCKETS ? "_bucket{" : "_sum{");
      put_labels(out, key, len, 0, SERIES_NAMES, SERIES_LABELS);
      put_label(out, "stage", PART_NAMES[p], strlen(PART_NAMES[p]), false);
      if (b < N_BUCKETS) {
        cumulative += counts[b];
        gh__buf_puts(out, ",le=\"");
        if (b < N_BOUNDS)
          put_seconds(out, BOUNDS_NS[b]);
        else
          gh__buf_puts(out, "+Inf");
        gh__buf_puts(out, "\"} ");
        put_u64(out, cumulative);
      } else {
        gh__buf_puts(out, "} ");
        put_seconds(out, load(&s->part[p].sum_ns));
      }
      gh__buf_put(out, "\n", 1);
    }
    gh__buf_puts(out, "gatehouse_stage_duration_seconds_count{");
    put_labels(out, key, len, 0, SERIES_NAMES, SERIES_LABELS);
    put_label(out, "stage", PART_NAMES[p], strlen(PART_NAMES[p]), false);
    gh__buf_puts(out, "} ");
    put_u64(out, total);
    gh__buf_put(out, "\n", 1);
  }
}

static void write_counter(void *ud, const char *key, size_t len, void *value) {
  write_ctx *c = ud;
  size_t l = 0;
  const char *fam = key ? gh__label_key_part(key, len, 0, &l) : NULL;
  if (key && (!fam || l != 1 || fam[0] != '0' + c->family)) return;
  if (!key && c->family != 0) return; /* the overflow is shown once, under the first family */
  gh__buf_puts(c->out, c->metric);
  gh__buf_put(c->out, "{", 1);
  put_labels(c->out, key, len, 1, c->names, c->n_names);
  gh__buf_put(c->out, "} ", 2);
  put_u64(c->out, load(value));
  gh__buf_put(c->out, "\n", 1);
}

static void family_header(gh__buf *out, const char *name, const char *type, const char *help) {
  gh__buf_puts(out, "# HELP "), gh__buf_puts(out, name), gh__buf_put(out, " ", 1), gh__buf_puts(out, help);
  gh__buf_puts(out, "\n# TYPE "), gh__buf_puts(out, name), gh__buf_put(out, " ", 1), gh__buf_puts(out, type);
  gh__buf_put(out, "\n", 1);
}

void gh__metrics_write(const gh__metrics *m, gh__buf *out) {
  static const struct {
    const char *name, *help;
  } series_families[] = {
      {"gatehouse_requests_total", "Requests completed, by API version, route, consumer and status class."},
      {"gatehouse_request_bytes_total", "Bytes received from clients."},
      {"gatehouse_response_bytes_total", "Bytes sent to clients."},
      {"gatehouse_stage_duration_seconds",
       "Time spent per request in each gateway stage (authenticate, authorize, limits, other) and upstream."},
  };
  for (int w = 0; w < 4; w++) {
    family_header(out, series_families[w].name, w < 3 ? "counter" : "histogram", series_families[w].help);
    write_ctx c = {out, series_families[w].name, w, 0, NULL, 0};
    gh__label_table_each(m->series, write_series, &c);
  }
  static const char *const auth_names[] = {"realm", "reason"}, *const limit_names[] = {"limit"},
                           *const up_names[] = {"upstream", "target", "outcome"};
  static const struct {
    const char *name, *help;
    const char *const *labels;
    size_t n;
  } counter_families[] = {
      {"gatehouse_authentication_failures_total", "Requests refused by authentication, by realm and reason.",
       auth_names, 2},
      {"gatehouse_limit_denials_total", "Requests refused by a rate limit or quota, by limit.", limit_names, 1},
      {"gatehouse_upstream_responses_total",
       "Upstream outcomes by pool and target: success (below 500), error (5xx) or unreachable.", up_names, 3},
  };
  for (int f = 0; f < 3; f++) {
    family_header(out, counter_families[f].name, "counter", counter_families[f].help);
    write_ctx c = {out, counter_families[f].name, 0, f, counter_families[f].labels, counter_families[f].n};
    gh__label_table_each(m->counters, write_counter, &c);
  }
  family_header(out, "gatehouse_metrics_overflow_total", "counter",
                "Recordings that went to the overflow series because max_series label sets were known.");
  gh__buf_puts(out, "gatehouse_metrics_overflow_total ");
  put_u64(out, gh__label_table_overflowed(m->series) + gh__label_table_overflowed(m->counters));
  gh__buf_put(out, "\n", 1);
}

typedef struct quantile_ctx {
  const char *want[4];
  int part;
  uint64_t counts[N_BUCKETS];
} quantile_ctx;

static void add_matching(void *ud, const char *key, size_t len, void *value) {
  quantile_ctx *c = ud;
  for (size_t i = 0; i < 4; i++) {
    if (!c->want[i]) continue;
    size_t l = 0;
    const char *v = key ? gh__label_key_part(key, len, i, &l) : NULL;
    if (!v || l != strlen(c->want[i]) || memcmp(v, c->want[i], l)) return;
  }
  const series *s = value;
  for (size_t b = 0; b < N_BUCKETS; b++) c->counts[b] += load(&s->part[c->part].bucket[b]);
}

int gh__metrics_quantile(const gh__metrics *m, const char *api, const char *version, const char *route,
                         const char *consumer, int part, double q, double *ms) {
  if (!m || !ms || part < 0 || part >= GH__METRIC_PARTS || !(q > 0 && q <= 1)) return GH_EINVAL;
  quantile_ctx c = {{api, version, route, consumer}, part, {0}};
  gh__label_table_each(m->series, add_matching, &c);
  uint64_t total = 0;
  for (size_t b = 0; b < N_BUCKETS; b++) total += c.counts[b];
  if (!total) return GH_ENOTFOUND;
  double rank = q * (double)total, seen = 0;
  for (size_t b = 0; b < N_BUCKETS; b++) {
    if (!c.counts[b] || seen + (double)c.counts[b] < rank) {
      seen += (double)c.counts[b];
      continue;
    }
    if (b == N_BOUNDS) { /* +Inf: the largest finite bound, as Prometheus's histogram_quantile does */
      *ms = (double)BOUNDS_NS[N_BOUNDS - 1] / 1e6;
      return GH_OK;
    }
    double lo = b ? (double)BOUNDS_NS[b - 1] : 0, hi = (double)BOUNDS_NS[b];
    *ms = (lo + (hi - lo) * (rank - seen) / (double)c.counts[b]) / 1e6;
    return GH_OK;
  }
  *ms = (double)BOUNDS_NS[N_BOUNDS - 1] / 1e6;
  return GH_OK;
}
