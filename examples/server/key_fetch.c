/* Fetching the providers' key sets and discovery documents (key_fetch.h). */
#include "key_fetch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "server.h"
#include "tls.h"

#define TICK_MS 1000

typedef struct source {
  char *url;
  bool discovery;         /* a discovery document, else a key set */
  bool in_flight;         /* single-flight: one fetch at a time */
  bool failing;           /* the last fetch failed (said once, and once when it works again) */
  int64_t not_before_ms;  /* negative cache: no new try before this */
  int64_t fetched_ms;     /* the last good fetch (discovery documents' schedule) */
} source;

struct key_fetch {
  uv_loop_t *loop;
  gh_gateway *gw;
  key_fetch_options o;
  tls_config tls;
  bool tls_ready, stopping;
  uv_timer_t timer;
  source *sources;
  size_t n_sources;
  size_t in_flight;
};

typedef struct pending {
  key_fetch *k;
  size_t index;
} pending;

static void free_when_idle(key_fetch *k) {
  if (!k->stopping || k->in_flight) return;
  for (size_t i = 0; i < k->n_sources; i++) free(k->sources[i].url);
  free(k->sources);
  if (k->tls_ready) tls_config_free(&k->tls);
  free(k);
}

static void on_timer_closed(uv_handle_t *h) { free_when_idle(h->data); }

static source *find_or_add(key_fetch *k, const char *url, bool discovery) {
  for (size_t i = 0; i < k->n_sources; i++)
    if (k->sources[i].discovery == discovery && !strcmp(k->sources[i].url, url)) return &k->sources[i];
  source *grown = realloc(k->sources, (k->n_sources + 1) * sizeof *grown);
  char *copy = strdup(url);
  if (!grown || !copy) {
    if (grown) k->sources = grown;
    free(copy);
    return NULL;
  }
  k->sources = grown;
  k->sources[k->n_sources] = (source){.url = copy, .discovery = discovery};
  return &k->sources[k->n_sources++];
}

static void tick(key_fetch *k);

static void on_fetched(void *ud, int status, const char *body, size_t len, const char *error) {
  pending *p = ud;
  key_fetch *k = p->k;
  source *s = &k->sources[p->index];
  free(p);
  k->in_flight--;
  s->in_flight = false;
  if (k->stopping) {
    free_when_idle(k);
    return;
  }
  int64_t now = server_now_ms();
  char msg[512] = "";
  int rc = -1;
  if (status == 200) {
    rc = s->discovery ? gh_gateway_set_discovery(k->gw, s->url, body, len, now, msg, sizeof msg)
                      : gh_gateway_set_jwks(k->gw, s->url, body, len, now, msg, sizeof msg);
    if (rc == GH_ENOTFOUND) rc = 0; /* a reload dropped the provider meanwhile: nothing to hand it to */
  } else if (status) {
    snprintf(msg, sizeof msg, "the answer is %d, not 200", status);
  } else {
    snprintf(msg, sizeof msg, "%s", error ? error : "no answer");
  }
  const char *what = s->discovery ? "the discovery document" : "the key set";
  if (!rc) {
    if (!s->fetched_ms || s->failing) /* the first time, and on recovery: refreshes go unsaid */
      fprintf(stderr, "gatehouse-server: fetched %s %s (%zu bytes)\n", what, s->url, len);
    s->fetched_ms = now, s->not_before_ms = 0, s->failing = false;
    if (s->discovery) tick(k); /* its key set is named now: fetch it without waiting for the timer */
    return;
  }
  s->not_before_ms = now + (int64_t)k->o.retry_ms;
  if (!s->failing)
    fprintf(stderr, "gatehouse-server: cannot fetch %s %s: %s; %s, next try in %llu s\n", what, s->url, msg,
            s->fetched_ms ? "the last good one stays" : "none yet: its provider's tokens are refused",
            (unsigned long long)(k->o.retry_ms / 1000));
  s->failing = true;
}

static void start_fetch(key_fetch *k, source *s) {
  pending *p = malloc(sizeof *p);
  if (!p) return;
  *p = (pending){k, (size_t)(s - k->sources)};
  http_request get = {.method = "GET", .url = s->url, .tls = k->tls_ready ? &k->tls : NULL,
                      .max_bytes = k->o.max_bytes, .timeout_ms = k->o.timeout_ms};
  if (http_send(k->loop, &get, on_fetched, p)) {
    free(p);
    s->not_before_ms = server_now_ms() + (int64_t)k->o.retry_ms;
    if (!s->failing)
      fprintf(stderr, "gatehouse-server: cannot fetch %s: not an http(s) URL this server can reach\n", s->url);
    s->failing = true;
    return;
  }
  s->in_flight = true;
  k->in_flight++;
}

/* What is due: every URL the configuration names now, in one pass. */
static void tick(key_fetch *k) {
  int64_t now = server_now_ms();
  const char *url;
  for (int discovery = 1; discovery >= 0; discovery--)
    for (size_t i = 0; (url = discovery ? gh_gateway_discovery_url(k->gw, i) : gh_gateway_jwks_url(k->gw, i)); i++) {
      source *s = find_or_add(k, url, discovery);
      if (!s || s->in_flight || now < s->not_before_ms) continue;
      bool due = discovery ? !s->fetched_ms || now - s->fetched_ms >= (int64_t)k->o.discovery_ms
                           : gh_gateway_jwks_due(k->gw, url, now);
      if (due) start_fetch(k, s);
    }
}

static void on_tick(uv_timer_t *t) { tick(t->data); }

int key_fetch_start(key_fetch **out, uv_loop_t *loop, gh_gateway *gw, const key_fetch_options *o, char *err,
                    size_t err_cap) {
  key_fetch *k = calloc(1, sizeof *k);
  if (!k) return -1;
  k->loop = loop, k->gw = gw, k->o = *o;
  /* the CA bundle is loaded once, whether or not the configuration names https URLs now (a reload may) */
  if (tls_config_client(&k->tls, o->ca_file, "--fetch-ca", err, err_cap)) {
    tls_config_free(&k->tls);
    if (o->ca_file) {
      free(k);
      return -1;
    }
    fprintf(stderr, "gatehouse-server: %s; https key sets cannot be fetched\n", err); /* no system bundle */
  } else {
    k->tls_ready = true;
  }
  uv_timer_init(loop, &k->timer);
  k->timer.data = k;
  uv_timer_start(&k->timer, on_tick, 0, TICK_MS);
  *out = k;
  return 0;
}

void key_fetch_stop(key_fetch *k) {
  if (!k) return;
  k->stopping = true;
  uv_timer_stop(&k->timer);
  uv_close((uv_handle_t *)&k->timer, on_timer_closed);
}
