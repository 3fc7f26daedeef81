/* Target health: passive (outlier detection from reported outcomes, with
 * growing ejections and a cap on how many are out at once) and active
 * (checks the host runs when due, judged by thresholds in a row). */
#include "../core/core.h"
#include "upstream_internal.h"

int gh__health_init(gh_upstream *u) {
  u->health = gh__calloc(u->n, sizeof *u->health);
  if (!u->health) return GH_ENOMEM;
  for (size_t i = 0; i < u->n; i++) {
    gh__target_health *h = &u->health[i];
    atomic_init(&h->consecutive_failures, 0), atomic_init(&h->ejected_until, 0), atomic_init(&h->times_ejected, 0);
    atomic_init(&h->active_down, false), atomic_init(&h->active_streak, 0), atomic_init(&h->next_check, 0);
  }
  atomic_init(&u->ejections, 0), atomic_init(&u->panics, 0);
  return GH_OK;
}

bool gh__target_healthy(const gh_upstream *u, size_t t, int64_t now_ms) {
  gh__target_health *h = &((gh_upstream *)u)->health[t];
  return atomic_load_explicit(&h->ejected_until, memory_order_relaxed) <= now_ms &&
         !atomic_load_explicit(&h->active_down, memory_order_relaxed);
}

int gh_upstream_set_outlier(gh_upstream *u, const gh_outlier_config *c) {
  GH__CONFIGURING(u);
  gh_outlier_config d = {5, 30000, 300000, 10};
  if (c) d = *c;
  if (d.base_ejection_ms <= 0 || d.max_ejection_ms < d.base_ejection_ms || d.max_ejection_ms > GH_TIME_MAX_MS ||
      d.max_ejection_percent > 100)
    return GH_EINVAL;
  u->outlier = d;
  return GH_OK;
}

static size_t ejected_now(const gh_upstream *u, int64_t now_ms) {
  size_t n = 0;
  for (size_t i = 0; i < u->n; i++) n += atomic_load_explicit(&u->health[i].ejected_until, memory_order_relaxed) > now_ms;
  return n;
}

/* Which ejection of this target the next one is: the count of past ejections
 * decays by one for every base ejection time the target has stayed in since
 * its last one ended, so a target that failed once long ago starts again at
 * the base time. */
static uint32_t next_ejection(gh__target_health *h, int64_t base_ms, int64_t now_ms) {
  uint_fast32_t times = atomic_load_explicit(&h->times_ejected, memory_order_relaxed), next;
  do {
    int64_t ended = atomic_load_explicit(&h->ejected_until, memory_order_relaxed);
    int64_t calm = times && ended > 0 && now_ms > ended ? (now_ms - ended) / base_ms : 0;
    next = ((int64_t)times > calm ? times - (uint_fast32_t)calm : 0) + 1;
  } while (!atomic_compare_exchange_weak_explicit(&h->times_ejected, &times, next, memory_order_relaxed,
                                                  memory_order_relaxed));
  return (uint32_t)next;
}

void gh_upstream_report(gh_upstream *u, size_t target, int ok, int64_t now_ms) {
  if (!u || !u->built || target >= u->n || !u->outlier.consecutive_failures || !gh__time_ok(now_ms)) return;
  gh__target_health *h = &u->health[target];
  if (ok) {
    atomic_store_explicit(&h->consecutive_failures, 0, memory_order_relaxed);
    return;
  }
  uint32_t failures = (uint32_t)atomic_fetch_add_explicit(&h->consecutive_failures, 1, memory_order_relaxed) + 1;
  if (failures < u->outlier.consecutive_failures || atomic_load(&h->ejected_until) > now_ms) return;
  size_t out = ejected_now(u, now_ms);
  if (out && (out + 1) * 100 > (size_t)u->outlier.max_ejection_percent * u->n) return; /* too many out already */
  uint32_t times = next_ejection(h, u->outlier.base_ejection_ms, now_ms);
  int64_t duration = u->outlier.base_ejection_ms * times;
  if (duration > u->outlier.max_ejection_ms || duration / times != u->outlier.base_ejection_ms) duration = u->outlier.max_ejection_ms;
  atomic_store(&h->ejected_until, now_ms + duration);
  atomic_store_explicit(&h->consecutive_failures, 0, memory_order_relaxed);
  atomic_fetch_add_explicit(&u->ejections, 1, memory_order_relaxed);
  gh__log(GH_LOG_WARN, "upstream %s: ejected for %lld ms after %u failures in a row (ejection %u)", u->names[target],
          (long long)duration, failures, times);
}

int gh_upstream_is_healthy(const gh_upstream *u, size_t target, int64_t now_ms) {
  return u && target < u->n && gh__target_healthy(u, target, now_ms);
}

uint64_t gh_upstream_ejections(const gh_upstream *u) { return u ? atomic_load(&((gh_upstream *)u)->ejections) : 0; }
uint64_t gh_upstream_panics(const gh_upstream *u) { return u ? atomic_load(&((gh_upstream *)u)->panics) : 0; }

int gh_upstream_set_health_check(gh_upstream *u, const gh_health_check_config *c) {
  GH__CONFIGURING(u);
  gh_health_check_config d = {10000, 2, 3};
  if (c) d = *c;
  if (d.interval_ms <= 0 || d.interval_ms > GH_TIME_MAX_MS || !d.healthy_threshold || !d.unhealthy_threshold)
    return GH_EINVAL;
  u->check = d;
  return GH_OK;
}

int gh_upstream_health_due(gh_upstream *u, int64_t now_ms, size_t *target, int64_t *wait_ms) {
  GH__UPSTREAM_BUILT(u);
  if (!target || !u->check.interval_ms || !gh__time_ok(now_ms)) return GH_EINVAL;
  int64_t soonest = INT64_MAX;
  for (size_t i = 0; i < u->n; i++) {
    gh__target_health *h = &u->health[i];
    int_fast64_t due = atomic_load(&h->next_check);
    /* claim it: the next check of this target is one interval away */
    if (due <= now_ms && atomic_compare_exchange_strong(&h->next_check, &due, now_ms + u->check.interval_ms)) {
      *target = i;
      if (wait_ms) *wait_ms = 0;
      return GH_OK;
    }
    if (due < soonest) soonest = due;
  }
  if (wait_ms) *wait_ms = soonest > now_ms ? soonest - now_ms : 0;
  return GH_ENOTFOUND;
}

void gh_upstream_health_result(gh_upstream *u, size_t target, int ok) {
  if (!u || !u->built || target >= u->n || !u->check.interval_ms) return;
  gh__target_health *h = &u->health[target];
  bool down = atomic_load(&h->active_down);
  if ((bool)ok != down) { /* agrees with the current state */
    atomic_store(&h->active_streak, 0);
    return;
  }
  uint32_t streak = (uint32_t)atomic_fetch_add(&h->active_streak, 1) + 1;
  if (streak >= (down ? u->check.healthy_threshold : u->check.unhealthy_threshold)) {
    atomic_store(&h->active_down, !down);
    atomic_store(&h->active_streak, 0);
  }
}

size_t gh_outlier_config_size(void) { return sizeof(gh_outlier_config); }

size_t gh_health_check_config_size(void) { return sizeof(gh_health_check_config); }
