/* Upstream pools: the four balancers behind one pick. Round robin walks a
 * precomputed smooth-weighted cycle with an atomic counter; least request
 * compares two random targets' in-flight counts per weight; Maglev looks the
 * key's hash up in its table (maglev.c); random draws by weight. Random
 * numbers come from a per-thread xorshift generator, so no pick takes a lock. */
#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"
#include "gatehouse/upstream.h"
#include "maglev.h"

#define MAX_WEIGHT 1000u
#define MAX_CYCLE 100000u

struct gh_upstream {
  int balancer;
  size_t n;
  char **names;
  unsigned *weights;
  uint32_t *cycle; /* round robin: one smooth-weighted cycle of target indexes */
  size_t cycle_len;
  atomic_uint_fast64_t next;
  uint64_t *cumulative; /* random: running sums of weights */
  atomic_uint_fast64_t *in_flight;
  uint32_t *table; /* Maglev */
  uint64_t seed;
};

static _Thread_local uint64_t rng_state;

static uint64_t rng(void) {
  if (!rng_state) rng_state = gh__hash_seed() | 1;
  uint64_t x = rng_state;
  x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return rng_state = x;
}

void gh_upstream_free(gh_upstream *u) {
  if (!u) return;
  for (size_t i = 0; u->names && i < u->n; i++) gh__free(u->names[i]);
  gh__free(u->names), gh__free(u->weights), gh__free(u->cycle), gh__free(u->cumulative);
  gh__free(u->in_flight), gh__free(u->table);
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
  if (!rc && balancer == GH_LB_MAGLEV) rc = gh__maglev_build((const char *const *)u->names, n, GH_MAGLEV_TABLE_SIZE, &u->table);
  if (rc) {
    gh_upstream_free(u);
    return rc;
  }
  *out = u;
  return GH_OK;
}

int gh_upstream_pick(gh_upstream *u, const void *key, size_t key_len, size_t *target) {
  if (!u || !target || (!key && key_len)) return GH_EINVAL;
  switch (u->balancer) {
  case GH_LB_ROUND_ROBIN:
    *target = u->cycle[atomic_fetch_add_explicit(&u->next, 1, memory_order_relaxed) % u->cycle_len];
    break;
  case GH_LB_LEAST_REQUEST: {
    size_t a = (size_t)(rng() % u->n), b = u->n > 1 ? (size_t)(rng() % (u->n - 1)) : 0;
    if (u->n > 1 && b >= a) b++; /* two distinct targets */
    /* fewer in flight per unit of weight: compare a/wa with b/wb without division */
    uint64_t fa = atomic_load_explicit(&u->in_flight[a], memory_order_relaxed),
             fb = atomic_load_explicit(&u->in_flight[b], memory_order_relaxed);
    size_t pick = fb * u->weights[a] < fa * u->weights[b] ? b : a;
    atomic_fetch_add_explicit(&u->in_flight[pick], 1, memory_order_relaxed);
    *target = pick;
    break;
  }
  case GH_LB_MAGLEV:
    *target = u->table[gh__hash64(key ? key : "", key_len, 0x6d61676c6576ull) % GH_MAGLEV_TABLE_SIZE];
    break;
  default: { /* weighted random: the first running sum above a draw */
    uint64_t draw = rng() % u->cumulative[u->n - 1];
    size_t lo = 0, hi = u->n - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (u->cumulative[mid] > draw) hi = mid;
      else lo = mid + 1;
    }
    *target = lo;
  }
  }
  return GH_OK;
}

void gh_upstream_release(gh_upstream *u, size_t target) {
  if (!u || u->balancer != GH_LB_LEAST_REQUEST || target >= u->n) return;
  uint64_t now = atomic_load_explicit(&u->in_flight[target], memory_order_relaxed);
  while (now && !atomic_compare_exchange_weak_explicit(&u->in_flight[target], &now, now - 1, memory_order_relaxed,
                                                       memory_order_relaxed)) {
  }
}

size_t gh_upstream_count(const gh_upstream *u) { return u ? u->n : 0; }
const char *gh_upstream_target(const gh_upstream *u, size_t i) { return u && i < u->n ? u->names[i] : NULL; }
uint64_t gh_upstream_in_flight(const gh_upstream *u, size_t i) {
  return u && i < u->n ? atomic_load_explicit(&((gh_upstream *)u)->in_flight[i], memory_order_relaxed) : 0;
}
