/* Cluster-wide limits in mode "synced" (docs/ratelimits.md): every interval
 * this instance's counts go to Redis and the cluster's come back through
 * gh_gateway_sync, on a thread of its own, because that call waits on Redis
 * and a worker's event loop must never wait. Decisions stay local and never
 * touch the network. */
#ifndef GH_SERVER_LIMIT_SYNC_H
#define GH_SERVER_LIMIT_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "server.h"

typedef struct limit_sync {
  server *srv;
  uint64_t interval_ms;
  uv_thread_t thread;
  uv_mutex_t lock;
  uv_cond_t wake;
  bool stop, failing;
} limit_sync;

/* Starts syncing every interval_ms. 0 or a libuv error. */
int limit_sync_start(limit_sync *s, server *srv, uint64_t interval_ms);
/* Syncs one last time (the counts since the last sync reach Redis), then stops. */
void limit_sync_stop(limit_sync *s);

#endif
