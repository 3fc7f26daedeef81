/**
 * @file gatehouse/redis.h
 * @brief Cluster-wide state in Redis: a blocking client with timeouts,
 *        automatic reconnection and a circuit breaker, for distributed rate
 *        limits (gh_limiter_set_redis), the DPoP replay cache and revocation.
 *
 * The library does no I/O on its own initiative: these calls do network I/O
 * on the calling thread, bounded by the timeout. A pool of connections lets
 * several threads talk to Redis at once. When Redis fails (down, timeout,
 * error reply), calls fail fast with GH_EIO; after `failures` consecutive
 * failures the breaker opens and calls fail without touching the network
 * for `cooldown_ms`, then one call probes Redis again.
 */
#ifndef GATEHOUSE_REDIS_H
#define GATEHOUSE_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"
#include "gatehouse/ratelimit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_redis gh_redis;

/**
 * A client for host:port, configuring (gh_redis_set_breaker) until
 * gh_redis_build; nothing is connected until its first call.
 * @param timeout_ms    connect and command timeout (default 200 when 0)
 * @param connections   pool size (default 4 when 0)
 */
GH_EXTERN int gh_redis_new(gh_redis **out, const char *host, int port, int timeout_ms, int connections);
/** Closes the connections and frees the client. NULL is a no-op; not while a limiter still uses it. */
GH_EXTERN void gh_redis_free(gh_redis *r);
/**
 * Circuit breaker: open after `failures` consecutive failures (calls then
 * fail at once, GH_EIO); after cooldown_ms exactly one call probes Redis
 * (half-open) while the others keep failing fast; its success closes the
 * breaker, its failure opens it for another cooldown. Defaults 3, 1000.
 */
GH_EXTERN int gh_redis_set_breaker(gh_redis *r, int failures, int64_t cooldown_ms);
/**
 * Ends configuration: from here the client is thread-safe and may be given
 * to limiters (gh_limiter_set_redis and the calls below answer GH_EMISUSE
 * before, gh_redis_set_breaker after). @return GH_OK; GH_EMISUSE when built already
 */
GH_EXTERN int gh_redis_build(gh_redis *r);
/** GH_OK when Redis answers PING now. */
GH_EXTERN int gh_redis_ping(gh_redis *r);
/** Calls that failed (connection, timeout or error reply) since the client was made. Thread-safe. */
GH_EXTERN uint64_t gh_redis_failures(const gh_redis *r);

/**
 * DPoP replay store (a gh_dpop_replay_fn; ud is the gh_redis): SET jti NX PX,
 * so that one proof is accepted once across every gateway instance.
 */
GH_EXTERN int gh_redis_dpop_replay(void *ud, const char *jti, size_t len, int64_t expires_ms);
/** Cluster-wide revocation: marks a token id revoked until expires_ms (Unix ms). */
GH_EXTERN int gh_redis_revoke(gh_redis *r, const char *jti, size_t len, int64_t expires_ms);
/** 1 revoked, 0 not, GH_EIO when Redis cannot say (the host chooses to fail open or closed). */
GH_EXTERN int gh_redis_is_revoked(gh_redis *r, const char *jti, size_t len);

/* What a distributed limiter does when Redis fails. */
#define GH_REDIS_FAIL_OPEN 0   /* allow */
#define GH_REDIS_FAIL_CLOSED 1 /* deny */
#define GH_REDIS_FAIL_LOCAL 2  /* decide with this instance's local limiter */

/**
 * Makes a limiter cluster-wide in strict mode: every decision is one Redis
 * round trip to an atomic server-side script (loaded once, called by SHA)
 * with the same semantics, using Redis's clock, so gateway clocks may differ
 * (the now_ms given to gh_limiter_take is used only by local fallback). GCRA,
 * token bucket, sliding and fixed windows, daily and monthly (UTC calendar)
 * quotas, and concurrency (slots given back with gh_limiter_release or
 * gh_limiter_release_async; a key's slots lapse `timeout` after its last
 * acquisition, so a crashed gateway's slots return). The limiter keeps a
 * reference to nothing: the client must outlive it. Before first use.
 * @return GH_OK, GH_EINVAL
 */
GH_EXTERN int gh_limiter_set_redis(gh_limiter *l, gh_redis *r, int failure_mode);
/** Decisions made by the failure mode instead of Redis. */
GH_EXTERN uint64_t gh_limiter_fallbacks(const gh_limiter *l);
/**
 * Synced mode (fixed windows and quotas), for limits where memory speed
 * matters more than exactness: decisions are local; gh_limiter_sync, which the
 * host calls every sync interval s, adds each key's local count since the last
 * sync to Redis (INCRBY, one pipeline) and reads the global count back. A
 * request is allowed iff (global count last seen + local count since + cost)
 * <= limit. Bounds: an instance alone never admits more than the limit in a
 * window, so N instances never admit more than N x limit, also while Redis is
 * down; once the cluster reaches the limit, every instance that keeps syncing
 * stops within 2s, so the overshoot is at most N x r x 2s for a per-instance
 * rate r. A denial happens only after the limit was seen, so the cluster never
 * admits less than the limit. A key's view is refreshed at the sync after the
 * instance admitted on it. Windows follow the gateways' clocks. Limits up to
 * 2^28 - 1. Strict and synced mode exclude each other. Before first use.
 */
GH_EXTERN int gh_limiter_set_synced(gh_limiter *l, gh_redis *r);
/**
 * Pushes local counts and reads global ones. GH_EIO when Redis fails (counted
 * in gh_limiter_fallbacks): the counts are kept and pushed at the next sync.
 * A reply lost after Redis applied it counts twice: errors lean strict.
 */
GH_EXTERN int gh_limiter_sync(gh_limiter *l, int64_t now_ms);

/** The failure mode alone, for limiters used only through gh_limiter_take_async. */
GH_EXTERN int gh_limiter_set_failure_mode(gh_limiter *l, int failure_mode);

/*
 * Asynchronous client for event-loop hosts. One client belongs to one loop
 * (thread). The host watches gh_redis_async_fd() for the events
 * gh_redis_async_events() asks for (both can change after any call: read them
 * again each loop iteration) and calls gh_redis_async_handle() when they fire.
 * The connection is opened on first use and again after it drops.
 */
typedef struct gh_redis_async gh_redis_async;
#define GH_REDIS_READABLE 1
#define GH_REDIS_WRITABLE 2

/** An asynchronous client for host:port, driven by the host's event loop on one thread. @return GH_OK, GH_EINVAL,
 * GH_ENOMEM
 */
GH_EXTERN int gh_redis_async_new(gh_redis_async **out, const char *host, int port);
/** Closes the connection; decisions still pending complete through their failure mode. */
GH_EXTERN void gh_redis_async_free(gh_redis_async *a);
/** The socket to watch, or -1 when there is none (nothing pending). */
GH_EXTERN int gh_redis_async_fd(const gh_redis_async *a);
/** GH_REDIS_READABLE | GH_REDIS_WRITABLE, as the connection needs now. */
GH_EXTERN int gh_redis_async_events(const gh_redis_async *a);
/**
 * Runs what the fired events allow, then enforces the command timeout: when
 * the oldest command has waited longer, the connection is dropped and every
 * pending decision completes through its failure mode. Call it with events 0
 * when gh_redis_async_next_timeout() elapses with nothing fired.
 */
GH_EXTERN void gh_redis_async_handle(gh_redis_async *a, int events);
/** How long a command may wait for Redis (default 1000 ms). */
GH_EXTERN int gh_redis_async_set_timeout(gh_redis_async *a, int64_t timeout_ms);
/** Milliseconds until the oldest pending command times out (0: now), or -1 when nothing is pending: a poll timeout. */
GH_EXTERN int64_t gh_redis_async_next_timeout(const gh_redis_async *a);
/** Connections dropped because a command timed out. */
GH_EXTERN uint64_t gh_redis_async_timeouts(const gh_redis_async *a);
/** Decisions waiting for Redis. */
GH_EXTERN size_t gh_redis_async_pending(const gh_redis_async *a);

/** Completion of an asynchronous decision (always called exactly once, from gh_redis_async_handle or _free). */
typedef void (*gh_limit_done_fn)(void *ud, int allowed, uint64_t remaining, int64_t retry_after_ms);
/**
 * Strict mode, asynchronously: queues the script call and returns; `done`
 * runs with Redis's answer, or with the limiter's failure mode when Redis
 * fails (before this returns, when Redis cannot even be reached). If this
 * returns an error, `done` is never called.
 */
GH_EXTERN int gh_limiter_take_async(gh_limiter *l, gh_redis_async *a, const char *key, size_t len, uint64_t cost,
                                    int64_t now_ms, gh_limit_done_fn done, void *ud);
/**
 * Concurrency in strict mode, asynchronously: queues giving `cost` slots back
 * in Redis and returns. When Redis fails the slots lapse there after the
 * timeout (counted in gh_limiter_fallbacks), and slots the local fallback
 * holds are given back. GH_OK, GH_EINVAL (not a concurrency limit), GH_ENOMEM.
 */
GH_EXTERN int gh_limiter_release_async(gh_limiter *l, gh_redis_async *a, const char *key, size_t len, uint64_t cost);

#ifdef __cplusplus
}
#endif
#endif
