/* The synced limits' timer thread (limit_sync.h). */
#include "limit_sync.h"

#include <stdio.h>

/* One sync; a change between working and failing is told once, not every second. */
static void sync_once(limit_sync *s) {
  int rc = gh_gateway_sync(s->srv->gw, server_now_ms());
  bool failing = rc != GH_OK && rc != GH_EMISUSE;
  if (failing && !s->failing)
    fprintf(stderr, "gatehouse-server: synced limits: %s (%s): counts are kept and decided locally until it answers\n",
            gh_strerror(rc), rc == GH_EIO ? "Redis does not answer" : "see the configuration's redis section");
  else if (!failing && s->failing)
    fprintf(stderr, "gatehouse-server: synced limits: Redis answers again\n");
  s->failing = failing;
}

static void run(void *arg) {
  limit_sync *s = arg;
  uv_mutex_lock(&s->lock);
  while (!s->stop) {
    uv_cond_timedwait(&s->wake, &s->lock, s->interval_ms * 1000000u); /* woken early only to stop */
    bool stop = s->stop;
    uv_mutex_unlock(&s->lock);
    sync_once(s); /* and once more when stopping */
    uv_mutex_lock(&s->lock);
    if (stop) break;
  }
  uv_mutex_unlock(&s->lock);
}

int limit_sync_start(limit_sync *s, server *srv, uint64_t interval_ms) {
  *s = (limit_sync){.srv = srv, .interval_ms = interval_ms};
  int rc = uv_mutex_init(&s->lock);
  if (rc) return rc;
  if ((rc = uv_cond_init(&s->wake))) {
    uv_mutex_destroy(&s->lock);
    return rc;
  }
  if ((rc = uv_thread_create(&s->thread, run, s))) {
    uv_cond_destroy(&s->wake);
    uv_mutex_destroy(&s->lock);
  }
  return rc;
}

void limit_sync_stop(limit_sync *s) {
  uv_mutex_lock(&s->lock);
  s->stop = true;
  uv_cond_signal(&s->wake);
  uv_mutex_unlock(&s->lock);
  uv_thread_join(&s->thread);
  uv_cond_destroy(&s->wake);
  uv_mutex_destroy(&s->lock);
}
