/* Redis over hiredis: a small pool of blocking connections, timeouts,
 * reconnection, a circuit breaker, the strict-mode limit script, the DPoP
 * replay cache and a revocation list. */
#include "redis.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "../core/core.h"
#include "gatehouse/ratelimit.h"
#include "redis_limit_lua.h"

#define MAX_CONNECTIONS 32

typedef struct conn {
  pthread_mutex_t lock;
  redisContext *c; /* NULL: not connected */
  bool script_loaded;
} conn;

struct gh_redis {
  bool built; /* configuring until gh_redis_build; shared after */
  char *host;
  int port, timeout_ms, n;
  conn conns[MAX_CONNECTIONS];
  atomic_uint next;
  /* circuit breaker */
  int trip_after;
  int64_t cooldown_ms;
  atomic_int consecutive;
  atomic_int_fast64_t open_until; /* 0: closed; else no call until then, and one (the probe) after */
  atomic_uint_fast64_t failures;
};

int gh_redis_new(gh_redis **out, const char *host, int port, int timeout_ms, int connections) {
  if (!out || !host || port <= 0 || port > 65535 || timeout_ms < 0 || connections < 0 || connections > MAX_CONNECTIONS)
    return GH_EINVAL;
  gh_redis *r = gh__calloc(1, sizeof *r);
  if (!r || !(r->host = gh__strndup(host, strlen(host)))) {
    gh__free(r);
    return GH_ENOMEM;
  }
  r->port = port;
  r->timeout_ms = timeout_ms ? timeout_ms : 200;
  r->n = connections ? connections : 4;
  r->trip_after = 3;
  r->cooldown_ms = 1000;
  for (int i = 0; i < r->n; i++)
    if (pthread_mutex_init(&r->conns[i].lock, NULL)) {
      r->n = i; /* the locks made so far are destroyed, no others */
      gh_redis_free(r);
      return GH_ENOMEM;
    }
  *out = r;
  return GH_OK;
}

void gh_redis_free(gh_redis *r) {
  if (!r) return;
  for (int i = 0; i < r->n; i++) {
    if (r->conns[i].c) redisFree(r->conns[i].c);
    pthread_mutex_destroy(&r->conns[i].lock);
  }
  gh__free(r->host);
  gh__free(r);
}

int gh_redis_set_breaker(gh_redis *r, int failures, int64_t cooldown_ms) {
  GH__CONFIGURING(r);
  if (failures < 1 || cooldown_ms < 0 || cooldown_ms > GH_TIME_MAX_MS) return GH_EINVAL;
  r->trip_after = failures;
  r->cooldown_ms = cooldown_ms;
  return GH_OK;
}

int gh_redis_build(gh_redis *r) {
  GH__CONFIGURING(r);
  r->built = true;
  return GH_OK;
}

bool gh__redis_built(const gh_redis *r) { return r && r->built; }

uint64_t gh_redis_failures(const gh_redis *r) { return r ? atomic_load(&((gh_redis *)r)->failures) : 0; }

/* A connection for this thread: a free one if any, else wait for one. */
static conn *acquire(gh_redis *r) {
  unsigned start = atomic_fetch_add(&r->next, 1);
  for (int i = 0; i < r->n; i++) {
    conn *c = &r->conns[(start + (unsigned)i) % (unsigned)r->n];
    if (pthread_mutex_trylock(&c->lock) == 0) return c;
  }
  conn *c = &r->conns[start % (unsigned)r->n];
  pthread_mutex_lock(&c->lock);
  return c;
}

static void release(conn *c) { pthread_mutex_unlock(&c->lock); }

/* Whether a call may touch the network. Closed: yes. Open: no until the
 * cooldown ends; then exactly one caller wins the exchange and probes
 * (half-open), while the others keep failing fast until its outcome closes
 * the breaker or opens it for another cooldown. */
static bool admit(gh_redis *r) {
  int_fast64_t until = atomic_load(&r->open_until);
  if (!until) return true;
  int64_t now = gh_now_ms();
  if (now < until) return false;
  bool probe = atomic_compare_exchange_strong(&r->open_until, &until, now + r->cooldown_ms + r->timeout_ms);
  if (probe) gh__log(GH_LOG_INFO, "redis %s:%d: circuit breaker half-open, one call probes", r->host, r->port);
  return probe;
}

/* Operators hear of each transition once: the breaker opening (or opening
 * again after a failed probe) and closing. */
static void record(gh_redis *r, bool ok) {
  if (ok) {
    atomic_store(&r->consecutive, 0);
    if (atomic_exchange(&r->open_until, 0))
      gh__log(GH_LOG_WARN, "redis %s:%d: circuit breaker closed, Redis answers again", r->host, r->port);
    return;
  }
  atomic_fetch_add(&r->failures, 1);
  int failures = atomic_fetch_add(&r->consecutive, 1) + 1;
  if (failures >= r->trip_after) {
    bool was_closed = !atomic_exchange(&r->open_until, gh_now_ms() + r->cooldown_ms);
    if (was_closed || failures == r->trip_after)
      gh__log(GH_LOG_WARN, "redis %s:%d: circuit breaker open after %d failures in a row; calls fail at once for %lld ms",
              r->host, r->port, failures, (long long)r->cooldown_ms);
  }
}

static bool connected(gh_redis *r, conn *c) {
  if (c->c && !c->c->err) return true;
  if (c->c) redisFree(c->c);
  struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
  c->c = redisConnectWithTimeout(r->host, r->port, tv);
  c->script_loaded = false;
  if (!c->c || c->c->err || redisSetTimeout(c->c, tv) != REDIS_OK) {
    if (c->c) redisFree(c->c);
    c->c = NULL;
    return false;
  }
  return true;
}

/* Runs one command; NULL on any failure (then the connection is dropped). */
static redisReply *command(gh_redis *r, conn *c, int argc, const char **argv, const size_t *lens) {
  if (!connected(r, c)) return NULL;
  redisReply *reply = redisCommandArgv(c->c, argc, argv, lens);
  if (!reply) {
    redisFree(c->c);
    c->c = NULL;
  }
  return reply;
}

/* The breaker's view of one call: fail fast while open, count the outcome. */
static redisReply *call(gh_redis *r, conn *c, int argc, const char **argv, const size_t *lens) {
  if (!admit(r)) return NULL;
  redisReply *reply = command(r, c, argc, argv, lens);
  record(r, reply && reply->type != REDIS_REPLY_ERROR);
  return reply;
}

int gh_redis_ping(gh_redis *r) {
  if (!r) return GH_EINVAL;
  if (!r->built) return GH_EMISUSE;
  conn *c = acquire(r);
  const char *argv[] = {"PING"};
  size_t lens[] = {4};
  redisReply *reply = call(r, c, 1, argv, lens);
  release(c);
  int ok = reply && reply->type == REDIS_REPLY_STATUS;
  if (reply) freeReplyObject(reply);
  return ok ? GH_OK : GH_EIO;
}

static int load_script(gh_redis *r, conn *c) {
  const char *argv[] = {"SCRIPT", "LOAD", REDIS_LIMIT_LUA};
  size_t lens[] = {6, 4, sizeof REDIS_LIMIT_LUA - 1};
  redisReply *reply = call(r, c, 3, argv, lens);
  int rc = GH_EIO;
  if (reply && reply->type == REDIS_REPLY_STRING && reply->len == 40 && !memcmp(reply->str, REDIS_LIMIT_SHA1, 40)) {
    c->script_loaded = true;
    rc = GH_OK;
  }
  if (reply) freeReplyObject(reply);
  return rc;
}

#define MAX_LIMITS 16

int gh__limit_call_build(gh__limit_call *c, const char *sha, const char *const *keys, const size_t *key_lens,
                         const gh__remote_limit *limits, size_t n, int64_t cost) {
  if (n > MAX_LIMITS) return GH_EINVAL;
  int k = 0;
  c->argc = 0;
  c->argv[c->argc] = "EVALSHA", c->lens[c->argc++] = 7;
  c->argv[c->argc] = sha, c->lens[c->argc++] = 40;
  snprintf(c->nkeys, sizeof c->nkeys, "%zu", n);
  c->argv[c->argc] = c->nkeys, c->lens[c->argc++] = strlen(c->nkeys);
  for (size_t i = 0; i < n; i++) c->argv[c->argc] = keys[i], c->lens[c->argc++] = key_lens[i];
  snprintf(c->nums[k], sizeof c->nums[k], "%lld", (long long)cost);
  c->argv[c->argc] = c->nums[k], c->lens[c->argc++] = strlen(c->nums[k]), k++;
  for (size_t i = 0; i < n; i++) {
    int64_t v[4] = {limits[i].algorithm, limits[i].limit, limits[i].window_ms, limits[i].burst};
    for (int j = 0; j < 4; j++, k++) {
      snprintf(c->nums[k], sizeof c->nums[k], "%lld", (long long)v[j]);
      c->argv[c->argc] = c->nums[k], c->lens[c->argc++] = strlen(c->nums[k]);
    }
  }
  return GH_OK;
}

int gh__limit_reply(const void *redis_reply, size_t n, int *allowed, size_t *denied_by, int64_t *remaining,
                    int64_t *retry_after) {
  const redisReply *reply = redis_reply;
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) return GH_EIO;
  *allowed = (int)reply->element[0]->integer;
  long long first = reply->element[1]->integer;
  if (denied_by) *denied_by = first < 0 ? n : (size_t)first;
  *remaining = reply->element[2]->integer;
  *retry_after = reply->element[3]->integer;
  return GH_OK;
}

int gh__redis_limit(gh_redis *r, const char *const *keys, const size_t *key_lens, const gh__remote_limit *limits,
                    size_t n, int64_t cost, int *allowed, size_t *denied_by, int64_t *remaining, int64_t *retry_after) {
  gh__limit_call call_args;
  if (gh__limit_call_build(&call_args, REDIS_LIMIT_SHA1, keys, key_lens, limits, n, cost)) return GH_EINVAL;
  conn *c = acquire(r);
  redisReply *reply = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!c->script_loaded && load_script(r, c)) break;
    reply = call(r, c, call_args.argc, call_args.argv, call_args.lens);
    /* a restarted Redis has forgotten the script: load it again, once */
    if (reply && reply->type == REDIS_REPLY_ERROR && !strncmp(reply->str, "NOSCRIPT", 8)) {
      freeReplyObject(reply);
      reply = NULL;
      c->script_loaded = false;
      continue;
    }
    break;
  }
  release(c);
  int rc = gh__limit_reply(reply, n, allowed, denied_by, remaining, retry_after);
  if (reply) freeReplyObject(reply);
  return rc;
}

int gh__redis_add_counts(gh_redis *r, const char *const *keys, const size_t *key_lens, const int64_t *deltas,
                         const int64_t *ttl_ms, size_t n, int64_t *totals) {
  if (!admit(r)) return GH_EIO;
  conn *c = acquire(r);
  int rc = connected(r, c) ? GH_OK : GH_EIO;
  for (size_t i = 0; i < n && !rc; i++) {
    char delta[24], ttl[24];
    snprintf(delta, sizeof delta, "%lld", (long long)deltas[i]);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms[i]);
    const char *incr[] = {"INCRBY", keys[i], delta}, *expire[] = {"PEXPIRE", keys[i], ttl};
    size_t incr_lens[] = {6, key_lens[i], strlen(delta)}, expire_lens[] = {7, key_lens[i], strlen(ttl)};
    if (redisAppendCommandArgv(c->c, 3, incr, incr_lens) != REDIS_OK ||
        redisAppendCommandArgv(c->c, 3, expire, expire_lens) != REDIS_OK)
      rc = GH_EIO;
  }
  for (size_t i = 0; i < 2 * n && !rc; i++) {
    redisReply *reply = NULL;
    if (redisGetReply(c->c, (void **)&reply) != REDIS_OK || !reply || reply->type != REDIS_REPLY_INTEGER) rc = GH_EIO;
    else if (i % 2 == 0) totals[i / 2] = reply->integer;
    if (reply) freeReplyObject(reply);
  }
  if (rc && c->c) { /* a half-read pipeline leaves the connection unusable */
    redisFree(c->c);
    c->c = NULL;
  }
  release(c);
  record(r, rc == GH_OK);
  return rc;
}

/* On "gh:<what>:<jti>": SET NX PX ttl when ttl is given (*result 1 when set,
 * 0 when it existed), else EXISTS (*result 1 or 0). */
static int keyed(gh_redis *r, const char *what, const char *jti, size_t len, const char *ttl, long long *result) {
  if (!r || !jti || !len || len > 512) return GH_EINVAL;
  if (!r->built) return GH_EMISUSE;
  char key[600];
  int klen = snprintf(key, sizeof key, "gh:%s:", what);
  memcpy(key + klen, jti, len);
  size_t key_len = (size_t)klen + len;
  conn *c = acquire(r);
  redisReply *reply;
  if (ttl) {
    const char *argv[] = {"SET", key, "1", "NX", "PX", ttl};
    size_t lens[] = {3, key_len, 1, 2, 2, strlen(ttl)};
    reply = call(r, c, 6, argv, lens);
  } else {
    const char *argv[] = {"EXISTS", key};
    size_t lens[] = {6, key_len};
    reply = call(r, c, 2, argv, lens);
  }
  release(c);
  int rc = GH_EIO;
  if (reply) {
    if (reply->type == REDIS_REPLY_STATUS) *result = 1, rc = GH_OK;      /* SET ... NX: done */
    else if (reply->type == REDIS_REPLY_NIL) *result = 0, rc = GH_OK;    /* SET ... NX: it existed */
    else if (reply->type == REDIS_REPLY_INTEGER) *result = reply->integer, rc = GH_OK;
    freeReplyObject(reply);
  }
  return rc;
}

static void ttl_text(int64_t expires_ms, char *out, size_t cap) {
  int64_t ttl = expires_ms - gh_now_ms();
  snprintf(out, cap, "%lld", (long long)(ttl > 1 ? ttl : 1));
}

int gh_redis_dpop_replay(void *ud, const char *jti, size_t len, int64_t expires_ms) {
  char ttl[24];
  long long fresh = 0;
  ttl_text(expires_ms, ttl, sizeof ttl);
  /* SET NX: only the first instance to record this jti gets an OK */
  return keyed(ud, "dpop", jti, len, ttl, &fresh) ? -1 : (int)fresh;
}

int gh_redis_revoke(gh_redis *r, const char *jti, size_t len, int64_t expires_ms) {
  char ttl[24];
  long long done = 0;
  ttl_text(expires_ms, ttl, sizeof ttl);
  return keyed(r, "revoked", jti, len, ttl, &done); /* already revoked is fine too */
}

int gh_redis_is_revoked(gh_redis *r, const char *jti, size_t len) {
  long long exists = 0;
  int rc = keyed(r, "revoked", jti, len, NULL, &exists);
  return rc ? rc : exists > 0;
}
