/* limit-decide in strict mode: decisions per second through Redis on one
 * connection, one at a time; beside it the ceiling, a bare hiredis loop of
 * the same EVALSHA (same script, keys and arguments) on its own connection.
 * Served to scripts/bench.py (see bench.h). Usage: bench_redis PORT [--once] */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "gatehouse.h"
#include "redis_limit_lua.h"
#include "store/redis.h"

typedef struct run {
  gh_limiter *l;
  unsigned next;
} run;

static int strict_take(void *ud) {
  run *r = ud;
  char key[16];
  int n = snprintf(key, sizeof key, "%u", r->next++ % 1000);
  int allowed;
  return gh_limiter_take(r->l, key, (size_t)n, 1, 0, &allowed, NULL, NULL);
}

typedef struct bare {
  redisContext *c;
  unsigned next;
} bare;

/* What the limiter sends, built by the same function, without the limiter. */
static int bare_evalsha(void *ud) {
  bare *b = ud;
  char key[48];
  size_t len = (size_t)snprintf(key, sizeof key, "gh:rl:5:bench:%u", b->next++ % 1000);
  const char *keys[] = {key};
  gh__remote_limit limit = {GH_LIMIT_GCRA, 1000000, 1000, 1000000};
  gh__limit_call call;
  if (gh__limit_call_build(&call, REDIS_LIMIT_SHA1, keys, &len, &limit, 1, 1)) return 1;
  redisReply *reply = redisCommandArgv(b->c, call.argc, call.argv, call.lens);
  int bad = !reply || reply->type != REDIS_REPLY_ARRAY;
  if (reply) freeReplyObject(reply);
  return bad;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bench_redis PORT [--once]\n"), 2;
  int port = atoi(argv[1]);
  gh_redis *redis;
  run r = {0};
  if (gh_redis_new(&redis, "127.0.0.1", port, 1000, 1) || gh_redis_build(redis) ||
      gh_limiter_new(&r.l, "bench", GH_LIMIT_GCRA, 1000000, 1000, 0, 0) ||
      gh_limiter_set_redis(r.l, redis, GH_REDIS_FAIL_CLOSED) || gh_limiter_build(r.l))
    return 2;
  bench_subject("limit-decide", "redis-strict", "gatehouse", strict_take, &r, 1);
  bare b = {redisConnect("127.0.0.1", port), 0};
  if (!b.c || b.c->err) return fprintf(stderr, "bench_redis: cannot connect to 127.0.0.1:%d\n", port), 2;
  redisReply *loaded = redisCommand(b.c, "SCRIPT LOAD %s", REDIS_LIMIT_LUA);
  if (!loaded || loaded->type != REDIS_REPLY_STRING) return fprintf(stderr, "bench_redis: SCRIPT LOAD failed\n"), 2;
  freeReplyObject(loaded);
  bench_subject("limit-decide", "redis-strict", "hiredis-evalsha", bare_evalsha, &b, 1);
  int rc = bench_serve(argc - 1, argv + 1);
  if (gh_limiter_fallbacks(r.l)) return fprintf(stderr, "bench_redis: Redis failed during the run\n"), 1;
  return rc;
}
