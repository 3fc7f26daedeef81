/* The asynchronous Redis client for event-loop hosts: hiredis's async API
 * bridged to a host-driven loop (fd, wanted events, handle), with the limit
 * script loaded first on every connection so calls by SHA can follow at once,
 * and a command timeout: Redis answers in order, so the oldest command's
 * deadline is the only one to watch; when it passes, the connection is
 * dropped and everything pending completes through its failure mode. */
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <string.h>

#include "../core/core.h"
#include "redis.h"
#include "redis_async.h"
#include "redis_limit_lua.h"

struct gh_redis_async {
  char *host;
  int port;
  redisAsyncContext *ac; /* NULL: not connected */
  int events;
  size_t pending;
  int64_t timeout_ms;
  int64_t *deadlines; /* of the commands in flight, oldest first (a ring) */
  size_t head, count, cap;
  uint64_t timeouts;
};

#define DEFAULT_TIMEOUT_MS 1000

static int push_deadline(gh_redis_async *a) {
  if (a->count == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 64;
    int64_t *d = gh__malloc(cap * sizeof *d);
    if (!d) return GH_ENOMEM;
    for (size_t i = 0; i < a->count; i++) d[i] = a->deadlines[(a->head + i) % a->cap];
    gh__free(a->deadlines);
    a->deadlines = d, a->head = 0, a->cap = cap;
  }
  a->deadlines[(a->head + a->count++) % a->cap] = gh_now_ms() + a->timeout_ms;
  return GH_OK;
}

static void pop_deadline(gh_redis_async *a) {
  if (!a || !a->count) return;
  a->head = (a->head + 1) % a->cap;
  a->count--;
}

/* Drops the connection: hiredis runs every pending callback with no reply.
 * Its deadlines go first: a callback may queue a command on a new
 * connection, whose deadline must survive. */
static void drop(gh_redis_async *a) {
  redisAsyncContext *ac = a->ac;
  a->ac = NULL, a->events = 0;
  a->count = a->head = 0;
  if (ac) redisAsyncFree(ac);
}

/* A reply (or its absence) for a command of ac: its deadline is done,
 * unless ac is a connection already dropped with all of its deadlines. */
static void answered(redisAsyncContext *ac) {
  gh_redis_async *a = ac->data;
  if (a && a->ac == ac) pop_deadline(a);
}

static void add_read(void *p) { ((gh_redis_async *)p)->events |= GH_REDIS_READABLE; }
static void del_read(void *p) { ((gh_redis_async *)p)->events &= ~GH_REDIS_READABLE; }
static void add_write(void *p) { ((gh_redis_async *)p)->events |= GH_REDIS_WRITABLE; }
static void del_write(void *p) { ((gh_redis_async *)p)->events &= ~GH_REDIS_WRITABLE; }
static void cleanup(void *p) { ((gh_redis_async *)p)->events = 0; }

static void on_disconnect(const redisAsyncContext *ac, int status) {
  (void)status;
  gh_redis_async *a = ac->data;
  if (a && a->ac == ac) a->ac = NULL, a->events = 0, a->count = a->head = 0; /* hiredis frees the context after this */
}

static void on_connect(const redisAsyncContext *ac, int status) {
  if (status != REDIS_OK) on_disconnect(ac, status);
}

int gh_redis_async_new(gh_redis_async **out, const char *host, int port) {
  if (!out || !host || port <= 0 || port > 65535) return GH_EINVAL;
  gh_redis_async *a = gh__calloc(1, sizeof *a);
  if (!a || !(a->host = gh__strndup(host, strlen(host)))) {
    gh__free(a);
    return GH_ENOMEM;
  }
  a->port = port;
  a->timeout_ms = DEFAULT_TIMEOUT_MS;
  *out = a;
  return GH_OK;
}

void gh_redis_async_free(gh_redis_async *a) {
  if (!a) return;
  drop(a); /* pending callbacks run with no reply: their failure mode */
  gh__free(a->deadlines);
  gh__free(a->host);
  gh__free(a);
}

int gh_redis_async_fd(const gh_redis_async *a) { return a && a->ac ? a->ac->c.fd : -1; }
int gh_redis_async_events(const gh_redis_async *a) { return a && a->ac ? a->events : 0; }
size_t gh_redis_async_pending(const gh_redis_async *a) { return a ? a->pending : 0; }

int gh_redis_async_set_timeout(gh_redis_async *a, int64_t timeout_ms) {
  if (!a || timeout_ms <= 0) return GH_EINVAL;
  a->timeout_ms = timeout_ms;
  return GH_OK;
}

int64_t gh_redis_async_next_timeout(const gh_redis_async *a) {
  if (!a || !a->count) return -1;
  int64_t left = a->deadlines[a->head] - gh_now_ms();
  return left > 0 ? left : 0;
}

uint64_t gh_redis_async_timeouts(const gh_redis_async *a) { return a ? a->timeouts : 0; }

void gh_redis_async_handle(gh_redis_async *a, int events) {
  if (!a || !a->ac) return;
  if (events & GH_REDIS_WRITABLE) redisAsyncHandleWrite(a->ac);
  if (a->ac && (events & GH_REDIS_READABLE)) redisAsyncHandleRead(a->ac);
  if (a->ac && a->count && gh_now_ms() >= a->deadlines[a->head]) {
    a->timeouts++;
    drop(a);
  }
}

static void script_loaded(redisAsyncContext *ac, void *reply, void *privdata) {
  (void)reply, (void)privdata;
  answered(ac);
}

/* A connection, opened if needed, with the limit script queued first. */
static redisAsyncContext *connection(gh_redis_async *a) {
  if (a->ac) return a->ac;
  redisAsyncContext *ac = redisAsyncConnect(a->host, a->port);
  if (!ac) return NULL;
  if (ac->err) {
    redisAsyncFree(ac);
    return NULL;
  }
  ac->data = a;
  ac->ev.data = a;
  ac->ev.addRead = add_read, ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write, ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  a->ac = ac;
  a->events = GH_REDIS_WRITABLE; /* the connect completes when the socket is writable */
  const char *argv[] = {"SCRIPT", "LOAD", REDIS_LIMIT_LUA};
  size_t lens[] = {6, 4, sizeof REDIS_LIMIT_LUA - 1};
  if (push_deadline(a) || redisAsyncCommandArgv(ac, script_loaded, NULL, 3, argv, lens) != REDIS_OK) {
    drop(a);
    return NULL;
  }
  return ac;
}

typedef struct pending {
  gh_redis_async *a;
  size_t n;
  gh__async_done_fn done;
  void *ud;
} pending;

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  pending *p = privdata;
  int allowed = 0;
  int64_t remaining = 0, retry = 0;
  int rc = gh__limit_reply(reply, p->n, &allowed, NULL, &remaining, &retry);
  if (p->a) p->a->pending--;
  answered(ac);
  p->done(p->ud, rc, allowed, remaining, retry);
  gh__free(p);
}

int gh__redis_async_limit(gh_redis_async *a, const char *const *keys, const size_t *key_lens,
                          const gh__remote_limit *limits, size_t n, int64_t cost, gh__async_done_fn done,
                          void *ud) {
  gh__limit_call call;
  if (gh__limit_call_build(&call, REDIS_LIMIT_SHA1, keys, key_lens, limits, n, cost)) return GH_EINVAL;
  pending *p = gh__malloc(sizeof *p);
  if (!p) return GH_ENOMEM;
  *p = (pending){a, n, done, ud};
  redisAsyncContext *ac = connection(a);
  if (!ac || push_deadline(a)) {
    gh__free(p);
    return ac ? GH_ENOMEM : GH_EIO;
  }
  if (redisAsyncCommandArgv(ac, on_reply, p, call.argc, call.argv, call.lens) != REDIS_OK) {
    a->count--; /* the newest deadline: nothing was queued after it */
    gh__free(p);
    return GH_EIO;
  }
  a->pending++;
  return GH_OK;
}
