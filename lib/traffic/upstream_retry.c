/* The pool's circuit breaker (requests in flight, requests waiting for a
 * connection) and retries as Envoy does
 * them: a budget of retries in flight relative to requests in flight, with a
 * floor, and exponential backoff with full jitter. */
#include "../core/core.h"
#include "upstream_internal.h"

int gh_upstream_set_max_requests(gh_upstream *u, uint64_t max) {
  GH__CONFIGURING(u);
  u->max_requests = max;
  return GH_OK;
}

int gh_upstream_set_max_pending(gh_upstream *u, uint64_t max) {
  GH__CONFIGURING(u);
  u->max_pending = max;
  return GH_OK;
}

int gh_upstream_pending_begin(gh_upstream *u) {
  GH__UPSTREAM_BUILT(u);
  uint64_t waiting = atomic_fetch_add(&u->pending, 1);
  if (u->max_pending && waiting >= u->max_pending) {
    atomic_fetch_sub(&u->pending, 1);
    atomic_fetch_add(&u->overflows, 1);
    return GH_EDENIED;
  }
  return GH_OK;
}

void gh_upstream_pending_end(gh_upstream *u) {
  if (u && u->built) gh__saturating_decrement(&u->pending);
}

uint64_t gh_upstream_overflows(const gh_upstream *u) { return u ? atomic_load(&((gh_upstream *)u)->overflows) : 0; }

int gh_upstream_set_retry(gh_upstream *u, const gh_retry_config *c) {
  GH__CONFIGURING(u);
  gh_retry_config d = {20, 3, 2, 25, 250};
  if (c) d = *c;
  if (d.budget_percent > 100 || d.base_ms <= 0 || d.max_ms < d.base_ms || d.max_ms > GH_TIME_MAX_MS) return GH_EINVAL;
  u->retry = d;
  return GH_OK;
}

int gh_upstream_retry_begin(gh_upstream *u, unsigned retry, int64_t *delay_ms) {
  GH__UPSTREAM_BUILT(u);
  if (!retry || !delay_ms) return GH_EINVAL;
  if (retry > u->retry.max_retries) return GH_EDENIED;
  uint64_t active = atomic_load(&u->active), allowed = active * u->retry.budget_percent / 100;
  if (allowed < u->retry.min_concurrency) allowed = u->retry.min_concurrency;
  uint64_t in_flight = atomic_fetch_add(&u->retries_active, 1);
  if (in_flight >= allowed) {
    atomic_fetch_sub(&u->retries_active, 1);
    return GH_EDENIED;
  }
  int64_t cap = u->retry.base_ms;
  for (unsigned i = 1; i < retry && cap < u->retry.max_ms; i++) cap *= 2;
  if (cap > u->retry.max_ms) cap = u->retry.max_ms;
  *delay_ms = (int64_t)(gh__upstream_rng() % (uint64_t)(cap + 1));
  return GH_OK;
}

void gh_upstream_retry_done(gh_upstream *u) {
  if (u && u->built) gh__saturating_decrement(&u->retries_active);
}

size_t gh_retry_config_size(void) { return sizeof(gh_retry_config); }
