/* What a limit says to the client: the IETF RateLimit fields, the legacy
 * X-RateLimit-* fields and an RFC 9457 problem body for a 429. */
#include <stdio.h>
#include <string.h>

#include "limiter_internal.h"

/* The window, in seconds, that a policy names (months taken as 30 days). */
static int64_t window_seconds(const gh__limit_params *p) {
  if (p->algorithm == GH_LIMIT_QUOTA_DAY) return 86400;
  if (p->algorithm == GH_LIMIT_QUOTA_MONTH) return 30 * 86400;
  return (p->period_ms + 999) / 1000;
}

int64_t gh_limit_retry_after_seconds(int64_t ms) { return ms < 0 ? -1 : (ms + 999) / 1000; }

int gh_limiter_fields(const gh_limiter *l, uint64_t remaining, int64_t reset_ms, char *policy, size_t policy_cap,
                      char *state, size_t state_cap) {
  if (!l) return GH_EINVAL;
  /* Structured Field items (RFC 9651): a String naming the policy, integer parameters */
  if (policy && snprintf(policy, policy_cap, "\"%s\";q=%lld;w=%lld", l->name, (long long)l->p.limit,
                         (long long)window_seconds(&l->p)) >= (int)policy_cap)
    return GH_EBUFFER;
  if (!state) return GH_OK;
  /* per request: written by hand, at a tenth of snprintf's cost */
  size_t name_len = strlen(l->name);
  if (state_cap < name_len + 2 + 3 + 20 + 3 + 20 + 1) return GH_EBUFFER;
  char *o = state;
  *o++ = '"';
  memcpy(o, l->name, name_len), o += name_len;
  memcpy(o, "\";r=", 4), o += 4;
  o += gh__u64_to_dec(remaining, o);
  memcpy(o, ";t=", 3), o += 3;
  o += gh__u64_to_dec((uint64_t)gh_limit_retry_after_seconds(reset_ms < 0 ? 0 : reset_ms), o);
  *o = 0;
  return GH_OK;
}

int gh_limiter_legacy_fields(const gh_limiter *l, uint64_t remaining, int64_t reset_ms, int64_t now_ms, char *limit,
                             size_t limit_cap, char *remaining_out, size_t remaining_cap, char *reset,
                             size_t reset_cap) {
  if (!l || !gh__time_ok(now_ms) || reset_ms > GH_TIME_MAX_MS) return GH_EINVAL;
  int64_t seconds = gh_limit_retry_after_seconds(reset_ms < 0 ? 0 : reset_ms);
  if (now_ms) seconds = (now_ms + (reset_ms < 0 ? 0 : reset_ms) + 999) / 1000;
  if ((limit && snprintf(limit, limit_cap, "%llu", (unsigned long long)l->p.limit) >= (int)limit_cap) ||
      (remaining_out && snprintf(remaining_out, remaining_cap, "%llu", (unsigned long long)remaining) >= (int)remaining_cap) ||
      (reset && snprintf(reset, reset_cap, "%lld", (long long)seconds) >= (int)reset_cap))
    return GH_EBUFFER;
  return GH_OK;
}

int gh_limiter_problem(const gh_limiter *l, int64_t retry_after_ms, char *out, size_t cap) {
  if (!l || !out) return GH_EINVAL;
  bool quota = l->p.algorithm == GH_LIMIT_QUOTA_DAY || l->p.algorithm == GH_LIMIT_QUOTA_MONTH;
  char retry[48] = "";
  if (retry_after_ms >= 0) snprintf(retry, sizeof retry, ",\"retry_after\":%lld", (long long)gh_limit_retry_after_seconds(retry_after_ms));
  int n = snprintf(out, cap,
                   "{\"type\":\"urn:gatehouse:problem:%s\",\"title\":\"%s\",\"status\":429,"
                   "\"detail\":\"limit %s allows %lld per %s\",\"limit\":\"%s\"%s}",
                   quota ? "quota-exceeded" : "rate-limited", quota ? "Quota exceeded" : "Too Many Requests", l->name,
                   (long long)l->p.limit,
                   l->p.algorithm == GH_LIMIT_QUOTA_DAY       ? "UTC day"
                   : l->p.algorithm == GH_LIMIT_QUOTA_MONTH   ? "UTC month"
                   : l->p.algorithm == GH_LIMIT_CONCURRENCY   ? "moment (in flight)"
                                                              : "window",
                   l->name, retry);
  return n < 0 || (size_t)n >= cap ? GH_EBUFFER : GH_OK;
}
