/**
 * @file gatehouse/ratelimit.h
 * @brief Rate limits and quotas with a fixed memory budget.
 *
 * A limiter is one limit ("10 per second per consumer") over many keys. Its
 * state lives in a sharded table with a fixed byte budget: 24 bytes per
 * tracked key, O(1) per decision; keys whose state equals a fresh key's are
 * evicted first, and evicting an active key is counted
 * (gh_limiter_active_evictions), never silent. Keys are told apart by a
 * 64-bit keyed hash of their bytes.
 *
 * Algorithms (T = period / limit; burst defaults to limit):
 * - GCRA: allowed iff max(TAT, now) + cost*T - now <= burst*T, then
 *   TAT = max(TAT, now) + cost*T; a fresh key allows `burst` at once, then one per T.
 * - token bucket: capacity burst, refilled continuously at limit/period, starting full.
 * - sliding window: rate = prev * (1 - elapsed/period) + curr; allowed iff
 *   rate + cost <= limit; windows aligned to multiples of period since the epoch.
 * - fixed window: count + cost <= limit per window aligned likewise.
 * - concurrency: at most `limit` in flight (take, then gh_limiter_release);
 *   leaked slots expire `timeout` after the key's last acquisition.
 * - quota per UTC day / per UTC calendar month: count + cost <= limit.
 * A denial consumes nothing. Limits up to 2^20 per period.
 */
#ifndef GATEHOUSE_RATELIMIT_H
#define GATEHOUSE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/attrs.h"
#include "gatehouse/export.h"
#include "gatehouse/http.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GH_LIMIT_GCRA 0
#define GH_LIMIT_TOKEN_BUCKET 1
#define GH_LIMIT_SLIDING_WINDOW 2
#define GH_LIMIT_FIXED_WINDOW 3
#define GH_LIMIT_CONCURRENCY 4
#define GH_LIMIT_QUOTA_DAY 5
#define GH_LIMIT_QUOTA_MONTH 6

#define GH_LIMIT_BYTES_PER_KEY 24u
#define GH_LIMIT_DEFAULT_MEMORY (64u * 1024u * 1024u)
/** GH_LIMIT_BYTES_PER_KEY, for callers that cannot see macros. */
GH_EXTERN size_t gh_limit_bytes_per_key(void);

typedef struct gh_limiter gh_limiter;

/**
 * A limiter, configuring: set what it needs (gh_limiter_set_timeout,
 * gh_limiter_set_redis, ...), then gh_limiter_build, after which it is
 * shared across threads and its setters answer GH_EMISUSE (as decisions do
 * before it). `period_ms` is ignored for quotas; `burst` 0 means `limit`.
 * `memory_bytes` 0 means GH_LIMIT_DEFAULT_MEMORY (at least 64 KiB); the whole
 * budget is allocated and touched here (in huge pages where the kernel allows),
 * so that no decision takes a page fault.
 * @return GH_OK, GH_EINVAL (out of range), GH_ENOMEM
 */
GH_EXTERN int gh_limiter_new(gh_limiter **out, const char *name, int algorithm, uint64_t limit, int64_t period_ms,
                             uint64_t burst, size_t memory_bytes);
/**
 * A limiter from JSON: {"name": "per-consumer", "algorithm": "gcra" | "token-bucket" |
 * "sliding-window" | "fixed-window" | "concurrency" | "quota-day" | "quota-month",
 * "limit": 10, "period": 1 (seconds, may be fractional), "burst": 20,
 * "timeout": 30 (concurrency, seconds), "memory": bytes}. Like gh_limiter_new
 * and its setters: the limiter still configuring; build it to use it.
 * @return GH_OK, GH_EPARSE (msg names the member), GH_ENOMEM
 */
GH_EXTERN int gh_limiter_parse(gh_limiter **out, const char *json, size_t len, char *msg, size_t msg_cap);
/** Frees the limiter and its store. NULL is a no-op; not while another thread decides with it. */
GH_EXTERN void gh_limiter_free(gh_limiter *l);
/** How long an unreleased concurrency slot lives (default 60 s). @return GH_OK; GH_EINVAL; GH_EMISUSE once built */
GH_EXTERN int gh_limiter_set_timeout(gh_limiter *l, int64_t timeout_ms);
/** Ends configuration: from here the limiter decides and is thread-safe. @return GH_OK; GH_EMISUSE when built already */
GH_EXTERN int gh_limiter_build(gh_limiter *l);
/** The limiter's name, as in its RateLimit fields. Lives as long as the limiter. */
GH_EXTERN const char *gh_limiter_name(const gh_limiter *l);

/**
 * Decides for one key. Thread-safe. The algorithms are defined for now_ms in
 * [0, GH_TIME_MAX_MS] (gatehouse/alloc.h), periods up to 2^40 ms and costs up
 * to the limit's maximum; anything outside is GH_EINVAL, never a wrap that
 * could admit more than the limit.
 * @return GH_OK; GH_EINVAL (arguments, time or cost out of range); GH_EMISUSE (not built); GH_ENOMEM
 * @param allowed         1 or 0
 * @param remaining       requests of cost 1 still allowed now (may be NULL)
 * @param retry_after_ms  when denied: when this request would first be allowed; -1 never (may be NULL)
 */
GH_EXTERN int gh_limiter_take(gh_limiter *l, const char *key, size_t len, uint64_t cost, int64_t now_ms, int *allowed,
                              uint64_t *remaining, int64_t *retry_after_ms);
/**
 * Several limits at once, all or nothing: the request is allowed only if
 * every limiter allows its key, and a denial by one consumes nothing from the
 * others (e.g. 10/s and 10,000/day). *denied_by is the index of the first
 * limiter that denied; when allowed, of the one with the fewest remaining
 * (whose fields a response shows), or n when unknown (Redis strict mode,
 * fail-open). remaining is the smallest across limiters, retry_after the
 * largest across those that denied.
 */
GH_EXTERN int gh_limiter_take_all(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens,
                                  size_t n, uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by,
                                  uint64_t *remaining, int64_t *retry_after_ms);
/**
 * Concurrency: gives `cost` slots back. In strict mode the slots are given
 * back in Redis; when Redis cannot be reached they lapse there after the
 * timeout, and slots the local fallback holds are given back at once.
 * @return GH_OK, GH_ENOTFOUND (local: no slots held for the key), GH_EINVAL
 */
GH_EXTERN int gh_limiter_release(gh_limiter *l, const char *key, size_t len, uint64_t cost);

/** Keys the memory budget can track at once. Thread-safe. */
GH_EXTERN size_t gh_limiter_capacity(const gh_limiter *l);
/** Bytes of the store (capacity times GH_LIMIT_BYTES_PER_KEY). Thread-safe. */
GH_EXTERN size_t gh_limiter_memory(const gh_limiter *l);
/** Keys tracked now (approximate while other threads decide). */
GH_EXTERN size_t gh_limiter_tracked_keys(const gh_limiter *l);
/** Keys evicted while their state still mattered (the budget is too small when this grows). Thread-safe. */
GH_EXTERN uint64_t gh_limiter_active_evictions(const gh_limiter *l);

/**
 * Response fields (draft-ietf-httpapi-ratelimit-headers-11) for a decision:
 * policy: `"name";q=10;w=1` (RateLimit-Policy), state: `"name";r=7;t=1`
 * (RateLimit; t in whole seconds, rounded up). Either buffer may be NULL.
 */
GH_EXTERN int gh_limiter_fields(const gh_limiter *l, uint64_t remaining, int64_t reset_ms, char *policy,
                                size_t policy_cap, char *state, size_t state_cap);
/**
 * The older, unstandardised fields, for clients that still read them:
 * X-RateLimit-Limit (the limit), X-RateLimit-Remaining, and X-RateLimit-Reset
 * in whole seconds rounded up: until the reset when now_ms is 0, else as a
 * Unix time (GitHub's form). Any buffer may be NULL.
 */
GH_EXTERN int gh_limiter_legacy_fields(const gh_limiter *l, uint64_t remaining, int64_t reset_ms, int64_t now_ms,
                                       char *limit, size_t limit_cap, char *remaining_out, size_t remaining_cap,
                                       char *reset, size_t reset_cap);
/**
 * An RFC 9457 application/problem+json body for a 429: type
 * "urn:gatehouse:problem:rate-limited", or "...:quota-exceeded" for quotas.
 * retry_after_ms < 0 means "never" (the request exceeds the limit itself).
 */
GH_EXTERN int gh_limiter_problem(const gh_limiter *l, int64_t retry_after_ms, char *out, size_t cap);
/** Retry-After in whole seconds, rounded up (RFC 9110 10.2.3); -1 stays -1. */
GH_EXTERN int64_t gh_limit_retry_after_seconds(int64_t retry_after_ms);
/**
 * A key for a client address: IPv4 as is, IPv6 grouped by its first
 * v6_prefix bits (64 by default when 0), so that one host's many addresses
 * share a limit. Writes a NUL-terminated key; GH_EINVAL if not an address.
 */
GH_EXTERN int gh_limit_key_for_ip(const char *ip, size_t len, unsigned v6_prefix, char *out, size_t cap);

/**
 * A key recipe: what a limit counts by. Parts joined by '+' make a composite
 * key; alternatives joined by '|' take the first one present. Sources:
 * subject, client_id, realm (from the attribute view), api_key (a SHA-256 prefix of
 * the presented key, never the key), ip (IPv6 grouped by v6_prefix), route,
 * header:NAME, claim:DOTTED.PATH (strings and integers), operation (a GraphQL
 * operation's name, from the attribute view), consumer (the API-management
 * consumer the gateway recognised, from the attribute view).
 * Example: "client_id|subject+route", "claim:tenant+ip".
 * @return GH_OK, GH_EPARSE (msg says why), GH_ENOMEM
 */
typedef struct gh_limit_key gh_limit_key;
/** Parses a key recipe (above) into an immutable, thread-safe object; free with gh_limit_key_free. */
GH_EXTERN int gh_limit_key_parse(gh_limit_key **out, const char *recipe, char *msg, size_t msg_cap);
/** Frees a recipe. NULL is a no-op. */
GH_EXTERN void gh_limit_key_free(gh_limit_key *k);

/** What a key is built from; absent fields are absent sources. */
typedef struct gh_limit_key_source {
  gh_attr_fn attr; /* the caller's attributes (gatehouse/attrs.h); NULL: none */
  void *attr_ud;
  const char *client_ip; /* "192.0.2.7" or "2001:db8::7" */
  size_t client_ip_len;
  const char *route; /* the route's name */
  size_t route_len;
  const char *api_key;
  size_t api_key_len;
  const gh_header *headers; /* the request's, as its parser cut them out */
  size_t n_headers;
  unsigned v6_prefix; /* 0: 64 */
} gh_limit_key_source;
/** sizeof(gh_limit_key_source), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_limit_key_source_size(void);

/**
 * Builds the key: "source=value" per part, joined by '&', with '%', '&', '='
 * and bytes outside printable ASCII escaped as %XX (distinct inputs, distinct
 * keys). Thread-safe on a shared recipe. A claim source parses the "claims"
 * attribute once per call.
 * @return GH_OK; GH_ENOTFOUND when no alternative of some part is present (the
 *   host chooses: deny, or a shared key); GH_EBUFFER (*out_len: the length
 *   needed, without the NUL); GH_ENOMEM
 */
GH_EXTERN int gh_limit_key_build(const gh_limit_key *k, const gh_limit_key_source *source, char *out, size_t cap,
                                 size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
