/* Upstream pools: the four balancers behind one pick, which skips unhealthy
 * targets and respects the circuit breaker. Round robin walks a precomputed
 * smooth-weighted cycle with an atomic counter; least request compares two
 * random targets' in-flight counts per weight; Maglev looks the key's hash up
 * in its table (maglev.c); random draws by weight. Random numbers come from a
 * per-thread xorshift generator, so no pick takes a lock. */
#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"
#include "gatehouse/upstream.h"
#include "maglev.h"
#include "upstream_internal.h"

static _Thread_local uint64_t rng_state;

uint64_t gh__upstream_rng(void) {
  if (!rng_state) rng_state = gh__hash_seed() | 1;
  uint64_t x = rng_state;
  x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return rng_state = x;
}

void gh_upstream_free(gh_upstream *u) {
  if (!u) return;
  for (size_t i = 0; u->names && i < u->n; i++) gh__free(u->names[i]);
  gh__free(u->names), gh__free(u->weights), gh__free(u->cycle), gh__free(u->cumulative);
  gh__free(u->in_flight), gh__free(u->table), gh__free(u->health);
  gh__free(u);
}

/* nginx's smooth weighted round robin, run for one whole cycle: each step
 * adds every weight to its current value, picks the largest, and takes the
 * total off it. */
static int build_cycle(gh_upstream *u) {
  uint64_t total = 0;
  for (size_t i = 0; i < u->n; i++) total += u->weights[i];
  if (total > MAX_CYCLE) return GH_ETOOBIG;
  int64_t *current = gh__calloc(u->n, sizeof *current);
  u->cycle = gh__malloc(total * sizeof *u->cycle);
  if (!current || !u->cycle) {
    gh__free(current);
    return GH_ENOMEM;
  }
  for (uint64_t step = 0; step < total; step++) {
    size_t best = 0;
    for (size_t i = 0; i < u->n; i++) {
      current[i] += u->weights[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= (int64_t)total;
    u->cycle[step] = (uint32_t)best;
  }
  u->cycle_len = total;
  gh__free(current);
  return GH_OK;
}

int gh_upstream_new(gh_upstream **out, int balancer, const char *const *targets, const unsigned *weights, size_t n) {
  if (!out || !targets || !n || balancer < GH_LB_ROUND_ROBIN || balancer > GH_LB_RANDOM) return GH_EINVAL;
  *out = NULL;
  if (n > GH_UPSTREAM_MAX_TARGETS) return GH_ETOOBIG;
  for (size_t i = 0; i < n; i++)
    if (!targets[i] || !*targets[i] || (weights && (weights[i] < 1 || weights[i] > MAX_WEIGHT))) return GH_EINVAL;
  gh_upstream *u = gh__calloc(1, sizeof *u);
  if (!u) return GH_ENOMEM;
  u->balancer = balancer;
  u->n = n;
  u->seed = gh__hash_seed();
  atomic_init(&u->next, 0);
  atomic_init(&u->active, 0), atomic_init(&u->pending, 0), atomic_init(&u->retries_active, 0), atomic_init(&u->overflows, 0);
  u->names = gh__calloc(n, sizeof *u->names);
  u->weights = gh__calloc(n, sizeof *u->weights);
  u->in_flight = gh__calloc(n, sizeof *u->in_flight);
  int rc = u->names && u->weights && u->in_flight ? GH_OK : GH_ENOMEM;
  for (size_t i = 0; i < n && !rc; i++) {
    u->weights[i] = weights ? weights[i] : 1;
    atomic_init(&u->in_flight[i], 0);
    if (!(u->names[i] = gh__strndup(targets[i], strlen(targets[i])))) rc = GH_ENOMEM;
  }
  if (!rc && balancer == GH_LB_ROUND_ROBIN) rc = build_cycle(u);
  if (!rc && balancer == GH_LB_RANDOM) {
    if (!(u->cumulative = gh__malloc(n * sizeof *u->cumulative))) rc = GH_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) u->cumulative[i] = (i ? u->cumulative[i - 1] : 0) + u->weights[i];
  }
  if (!rc) rc = gh__health_init(u);
  if (!rc) rc = gh_upstream_set_retry(u, NULL);
  if (!rc && balancer == GH_LB_MAGLEV)
    rc = gh__maglev_build((const char *const *)u->names, u->weights, n, GH_MAGLEV_TABLE_SIZE, &u->table);
  if (rc) {
    gh_upstream_free(u);
    return rc;
  }
  *out = u;
  return GH_OK;
}

/* The balancer's choice, before health. */
static size_t choose(gh_upstream *u, const void *key, size_t key_len) {
  switch (u->balancer) {
  case GH_LB_ROUND_ROBIN: return u->cycle[atomic_fetch_add_explicit(&u->next, 1, memory_order_relaxed) % u->cycle_len];
  case GH_LB_LEAST_REQUEST: {
    size_t a = (size_t)(gh__upstream_rng() % u->n), b = u->n > 1 ? (size_t)(gh__upstream_rng() % (u->n - 1)) : 0;
    if (u->n > 1 && b >= a) b++; /* two distinct targets */
    /* fewer in flight per unit of weight: compare a/wa with b/wb without division */
    uint64_t fa = atomic_load_explicit(&u->in_flight[a], memory_order_relaxed),
             fb = atomic_load_explicit(&u->in_flight[b], memory_order_relaxed);
    return fb * u->weights[a] < fa * u->weights[b] ? b : a;
  }
  case GH_LB_MAGLEV: return u->table[gh__hash64(key ? key : "", key_len, 0x6d61676c6576ull) % GH_MAGLEV_TABLE_SIZE];
  default: { /* weighted random: the first running sum above a draw */
    uint64_t draw = gh__upstream_rng() % u->cumulative[u->n - 1];
    size_t lo = 0, hi = u->n - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (u->cumulative[mid] > draw) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  }
}

/* A healthy choice: Maglev walks its table on from the key's entry, the
 * others choose again a few times, then scan; none healthy is panic. */
static size_t choose_healthy(gh_upstream *u, const void *key, size_t key_len, int64_t now) {
  size_t t = choose(u, key, key_len);
  if (gh__target_healthy(u, t, now)) return t;
  if (u->balancer == GH_LB_MAGLEV) {
    size_t at = gh__hash64(key ? key : "", key_len, 0x6d61676c6576ull) % GH_MAGLEV_TABLE_SIZE;
    for (size_t step = 1; step < GH_MAGLEV_TABLE_SIZE; step++) {
      size_t c = u->table[(at + step) % GH_MAGLEV_TABLE_SIZE];
      if (gh__target_healthy(u, c, now)) return c;
    }
  } else {
    for (int tries = 0; tries < 8; tries++)
      if (gh__target_healthy(u, t = choose(u, key, key_len), now)) return t;
    size_t start = (size_t)(gh__upstream_rng() % u->n);
    for (size_t i = 0; i < u->n; i++)
      if (gh__target_healthy(u, (start + i) % u->n, now)) return (start + i) % u->n;
  }
  atomic_fetch_add_explicit(&u->panics, 1, memory_order_relaxed);
  return t;
}

int gh_upstream_build(gh_upstream *u) {
  GH__CONFIGURING(u);
  u->built = true;
  return GH_OK;
}

int gh_upstream_pick(gh_upstream *u, const void *key, size_t key_len, size_t *target) {
  GH__UPSTREAM_BUILT(u);
  if (!target || (!key && key_len)) return GH_EINVAL;
  uint64_t active = atomic_fetch_add_explicit(&u->active, 1, memory_order_relaxed);
  if (u->max_requests && active >= u->max_requests) { /* the circuit breaker */
    atomic_fetch_sub_explicit(&u->active, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&u->overflows, 1, memory_order_relaxed);
    return GH_EDENIED;
  }
  bool health = u->outlier.consecutive_failures || u->check.interval_ms;
  size_t t = health ? choose_healthy(u, key, key_len, gh_now_ms()) : choose(u, key, key_len);
  if (u->balancer == GH_LB_LEAST_REQUEST) atomic_fetch_add_explicit(&u->in_flight[t], 1, memory_order_relaxed);
  *target = t;
  return GH_OK;
}

void gh__saturating_decrement(atomic_uint_fast64_t *c) {
  uint64_t now = atomic_load_explicit(c, memory_order_relaxed);
  while (now && !atomic_compare_exchange_weak_explicit(c, &now, now - 1, memory_order_relaxed, memory_order_relaxed)) {
  }
}

void gh_upstream_release(gh_upstream *u, size_t target) {
  if (!u || !u->built || target >= u->n) return;
  gh__saturating_decrement(&u->active);
  if (u->balancer == GH_LB_LEAST_REQUEST) gh__saturating_decrement(&u->in_flight[target]);
}

size_t gh_upstream_count(const gh_upstream *u) { return u ? u->n : 0; }
const char *gh_upstream_target(const gh_upstream *u, size_t i) { return u && i < u->n ? u->names[i] : NULL; }
uint64_t gh_upstream_in_flight(const gh_upstream *u, size_t i) {
  return u && i < u->n ? atomic_load_explicit(&((gh_upstream *)u)->in_flight[i], memory_order_relaxed) : 0;
}
