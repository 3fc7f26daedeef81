/* gatehouse-server: the reference gateway. Loads a configuration (or the
 * built-in demo), starts one event loop per worker on the shared port, the
 * admin API on its own port, and, in demo mode, the echo upstream. SIGHUP
 * reloads the file; SIGTERM and SIGINT drain: no new requests, the ones in
 * flight finish, then the process exits. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "client.h"
#include "demo.h"
#include "echo.h"
#include "introspect.h"
#include "key_fetch.h"
#include "limit_sync.h"
#include "server.h"

#define DRAIN_POLL_MS 20
#define DRAIN_DEADLINE_MS 30000

static const char USAGE[] =
    "usage: gatehouse-server [--config FILE] [--listen HOST:PORT] [--admin HOST:PORT] [--workers N]\n"
    "                        [--admin-token TOKEN] [--state DIR] [--access-log FILE|-]\n"
    "Runs the gatehouse gateway: every request is decided by the configuration's pipeline\n"
    "(docs/gateway.md), then answered or proxied to its upstream.\n"
    "  --config FILE        the gateway configuration; without it, the built-in demo (an echo\n"
    "                       upstream, a demo realm whose key is made in --state on first run)\n"
    "  --listen HOST:PORT   where clients connect (default 127.0.0.1:8080)\n"
    "  --admin HOST:PORT    the admin API: /health /ready /metrics /config (default 127.0.0.1:9901)\n"
    "  --workers N          event loops sharing the port (default: the number of cores)\n"
    "  --admin-token TOKEN  the admin API's bearer token (or GATEHOUSE_ADMIN_TOKEN; default: a random\n"
    "                       one, printed at start)\n"
    "  --state DIR          where the demo keeps its key pair (default .gatehouse)\n"
    "  --access-log FILE    one JSON line per request (\"-\": standard output)\n"
    "  --tls-cert FILE --tls-key FILE   serve HTTPS (TLS 1.2, ALPN http/1.1) with this PEM certificate\n"
    "                       (chain) and key\n"
    "  --tls-client-ca FILE ask clients for a certificate verified against this CA: its SHA-256 binds\n"
    "                       tokens with cnf.x5t#S256 (RFC 8705)\n"
    "  --portal-realm REALM the developer portal (/portal) signs developers in with tokens of REALM:\n"
    "                       API keys, subscriptions, usage (default in the demo: demo; else none:\n"
    "                       the portal lists the catalog only)\n"
    "  --portal-store FILE  keeps the consumers developers make in the portal across restarts and\n"
    "                       reloads (default in the demo: DIR/portal-consumers.json; else not kept)\n"
    "  --no-portal          no portal: /portal goes through the pipeline like any other path\n"
    "  --upstream-ca FILE   the CAs (PEM) that https:// upstream targets' certificates must chain to\n"
    "                       (default: the system's bundle)\n"
    "  --fetch-ca FILE      the CAs (PEM) that identity providers' https servers (jwks_url,\n"
    "                       discovery_url, introspection endpoints) chain to (default: the system's)\n"
    "  --introspection-client ID:SECRET  how the server authenticates to introspection endpoints\n"
    "                       (HTTP Basic, RFC 7662 2.1; or GATEHOUSE_INTROSPECTION_CLIENT)\n"
    "Limits (times in seconds):\n"
    "  --header-timeout S (10)   the whole request head    --body-timeout S (30)     between body reads\n"
    "  --idle-timeout S (60)     a kept-alive connection   --connect-timeout S (5)   to an upstream\n"
    "  --upstream-timeout S (60) between upstream reads    --tunnel-timeout S (300)  a quiet WebSocket\n"
    "  --sync-interval S (1)     synced limits to Redis    --max-body BYTES (64 MiB)\n"
    "  --fetch-timeout S (5)     a key set or discovery    --fetch-retry S (30)      after a failed fetch\n"
    "  --fetch-max-bytes BYTES (1 MiB) a fetched key set or discovery document\n"
    "  --max-header-bytes BYTES (16384)  --max-headers N (100)  --max-connections N (10000 a worker)\n"
    "SIGHUP reloads FILE (a refused document changes nothing); SIGTERM or Ctrl-C drains and exits.\n";

static server srv;
static key_fetch *keys; /* the providers' key sets and discovery documents */
static worker *workers;
static uv_loop_t *main_loop;
static uv_timer_t drain_timer;
static uv_signal_t sig_hup, sig_term, sig_int;
static uv_tcp_t admin_listener, echo_listener;
static bool demo;
static atomic_int workers_running;
static uv_mutex_t log_lock;
static FILE *access_log;

static void write_access_line(void *ud, const char *line, size_t len) {
  (void)ud;
  uv_mutex_lock(&log_lock);
  fwrite(line, 1, len, access_log);
  fflush(access_log);
  uv_mutex_unlock(&log_lock);
}

/* ---- workers ---- */

static void on_client(uv_stream_t *listener, int status) {
  if (status < 0) return;
  client_accept(listener->data, listener);
}

static void worker_drain_poll(uv_timer_t *t) {
  worker *w = t->data;
  if (w->connections) return; /* the main loop stops waiting at the deadline */
  uv_timer_stop(t);
  upstream_pool_close(w->pool);
  w->pool = NULL;
  while (w->n_spare) gh_decision_free(w->spare[--w->n_spare]);
  while (w->n_spare_in) free(w->spare_in[--w->n_spare_in]);
  free(w->spare), free(w->spare_in);
  w->spare = NULL, w->spare_in = NULL;
  uv_close((uv_handle_t *)t, NULL);
  uv_close((uv_handle_t *)&w->wake, NULL);
}

static void worker_wake(uv_async_t *a) {
  worker *w = a->data;
  if (!atomic_load(&w->srv->draining) || uv_is_closing((uv_handle_t *)&w->listener)) return;
  uv_close((uv_handle_t *)&w->listener, NULL);
  for (struct client *c = w->clients, *next; c; c = next) {
    next = c->next;
    client_close_if_idle(c);
  }
  uv_timer_init(&w->loop, &w->drain);
  w->drain.data = w;
  uv_timer_start(&w->drain, worker_drain_poll, 0, DRAIN_POLL_MS);
}

static void worker_run(void *arg) {
  worker *w = arg;
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_loop_close(&w->loop);
  if (w->upstream_tls) tls_config_free(w->upstream_tls); /* after the loop: its connections are closed */
  free(w->upstream_tls);
  w->upstream_tls = NULL;
  atomic_fetch_sub(&workers_running, 1);
}

static int worker_start(worker *w, int index) {
  w->srv = &srv;
  w->index = index;
  w->pool = upstream_pool_new();
  if (srv.tls.cert_file) { /* each worker its own: mbedTLS's generator and keys are not shared across threads */
    char err[256];
    w->tls = malloc(sizeof *w->tls);
    if (!w->tls || tls_config_server(w->tls, &srv.tls, err, sizeof err)) {
      fprintf(stderr, "gatehouse-server: TLS: %s\n", w->tls ? err : "out of memory");
      exit(2);
    }
  }
  int rc = uv_loop_init(&w->loop);
  if (!rc) rc = listen_reuseport(&w->loop, &w->listener, srv.listen_host, srv.listen_port, on_client);
  if (rc) return rc;
  w->listener.data = w;
  uv_async_init(&w->loop, &w->wake, worker_wake);
  w->wake.data = w;
  atomic_fetch_add(&workers_running, 1);
  return uv_thread_create(&w->thread, worker_run, w);
}

/* ---- signals and draining ---- */

static void main_drain_poll(uv_timer_t *t) {
  static uint64_t waited;
  waited += DRAIN_POLL_MS;
  if (atomic_load(&workers_running) && waited < DRAIN_DEADLINE_MS + 1000) return;
  uv_timer_stop(t);
  key_fetch_stop(keys);
  uv_stop(main_loop);
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)s;
  if (signum == SIGHUP) {
    admin_reload_file(&srv);
    return;
  }
  if (atomic_exchange(&srv.draining, true)) {
    fprintf(stderr, "gatehouse-server: stopping now\n");
    exit(1);
  }
  fprintf(stderr, "gatehouse-server: draining: %ld request(s) in flight; again to stop at once\n",
          atomic_load(&srv.in_flight));
  for (int i = 0; i < srv.workers; i++) uv_async_send(&workers[i].wake);
  uv_timer_init(main_loop, &drain_timer);
  uv_timer_start(&drain_timer, main_drain_poll, DRAIN_POLL_MS, DRAIN_POLL_MS);
}

/* ---- configuration ---- */

/* --header-timeout 0.5 and the like: true when a is one and its value is good. */
static bool limit_option(const char *a, const char *v, server_limits *l) {
  static const struct {
    const char *name;
    bool seconds;
    size_t offset;
  } options[] = {
      {"--header-timeout", true, offsetof(server_limits, header_timeout_ms)},
      {"--body-timeout", true, offsetof(server_limits, body_timeout_ms)},
      {"--idle-timeout", true, offsetof(server_limits, idle_timeout_ms)},
      {"--upstream-timeout", true, offsetof(server_limits, upstream_timeout_ms)},
      {"--connect-timeout", true, offsetof(server_limits, connect_timeout_ms)},
      {"--tunnel-timeout", true, offsetof(server_limits, tunnel_idle_timeout_ms)},
      {"--sync-interval", true, offsetof(server_limits, sync_interval_ms)},
      {"--max-body", false, offsetof(server_limits, max_body_bytes)},
      {"--fetch-timeout", true, offsetof(server_limits, fetch_timeout_ms)},
      {"--fetch-retry", true, offsetof(server_limits, fetch_retry_ms)},
      {"--fetch-max-bytes", false, offsetof(server_limits, fetch_max_bytes)},
  };
  char *end;
  double d = strtod(v, &end);
  if (*end || !(d > 0) || d > 1e12) return false;
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (!strcmp(a, options[i].name)) {
      *(uint64_t *)((char *)l + options[i].offset) = (uint64_t)(options[i].seconds ? d * 1000 : d);
      return true;
    }
  size_t n = (size_t)d;
  if (!strcmp(a, "--max-header-bytes")) return (l->max_header_bytes = n) >= 1024;
  if (!strcmp(a, "--max-headers")) return (l->max_headers = n) >= 1;
  if (!strcmp(a, "--max-connections")) return (l->max_connections = n) >= 1;
  return false;
}

static bool host_port(const char *s, const char **host, int *port) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s) return false;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || p < 0 || p > 65535) return false;
  char *h = strndup(*s == '[' ? s + 1 : s, (size_t)(colon - s) - (*s == '[' ? 2 : 0));
  if (!h) return false;
  *host = h;
  *port = (int)p;
  return true;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *p = malloc(cap);
  size_t got;
  while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *q = realloc(p, cap *= 2);
      if (!q) free(p);
      p = q;
    }
  }
  fclose(f);
  *len = n;
  return p;
}

static int load(const char *state_dir, int echo_port, gh_signing_key **key) {
  size_t len = 0;
  char *doc = NULL;
  if (srv.config_path) {
    if (!(doc = read_file(srv.config_path, &len))) {
      fprintf(stderr, "gatehouse-server: cannot read %s\n", srv.config_path);
      return 2;
    }
  } else {
    if (!(*key = demo_key(state_dir)) || !(doc = demo_config(*key, echo_port, &len))) return 2;
  }
  char errors[8192];
  int rc = gh_gateway_load(srv.gw, doc, len, errors, sizeof errors);
  free(doc);
  if (rc) {
    fprintf(stderr,
            "gatehouse-server: %s is not a valid configuration (gatehouse config lint lists every error):\n%s\n",
            srv.config_path ? srv.config_path : "the demo", errors);
    return 2;
  }
  return 0;
}

static void banner(const gh_signing_key *key, const char *state_dir) {
  printf("gatehouse-server: %d worker(s) on %s://%s:%d, admin API on http://%s:%d\n", srv.workers,
         srv.tls.cert_file ? "https" : "http", srv.listen_host, srv.listen_port, srv.admin_host, srv.admin_port);
  if (!demo) {
    fflush(stdout);
    return;
  }
  char *viewer = demo_token(key, "alice", "viewer", (long long)time(NULL));
  printf(
      "\nDemo mode: the upstream is a built-in echo service. A token for alice, a viewer\n"
      "(others: gatehouse token issue --state %s --realm demo --sub bob --role editor):\n"
      "  export TOKEN=%s\n"
      "  curl -i http://127.0.0.1:%d/v2/orders/7 -H \"Authorization: Bearer $TOKEN\"   # 200, echoed\n"
      "  curl -i http://127.0.0.1:%d/v2/orders/7                                       # 401\n"
      "  curl -i -X POST http://127.0.0.1:%d/v2/orders -H \"Authorization: Bearer $TOKEN\"  # 403: a viewer\n"
      "  curl -i http://127.0.0.1:%d/v1/orders/7 -H \"Authorization: Bearer $TOKEN\"   # Deprecation, Sunset\n"
      "  curl -i http://127.0.0.1:%d/v0/orders/7                                       # 410 Gone\n"
      "  curl -i http://127.0.0.1:%d/catalog/v1/products -H 'X-API-Key: " DEMO_API_KEY
      "'  # plan: 5/s\n"
      "  curl -s http://127.0.0.1:%d/metrics -H 'Authorization: Bearer %s'\n"
      "The developer portal: http://127.0.0.1:%d/portal (sign in with the token above)\n"
      "Ctrl-C stops it.\n",
      state_dir, viewer ? viewer : "(none)", srv.listen_port, srv.listen_port, srv.listen_port, srv.listen_port,
      srv.listen_port, srv.listen_port, srv.admin_port, srv.admin_token, srv.listen_port);
  free(viewer);
  fflush(stdout);
}

int main(int argc, char **argv) {
  srv.listen_host = "127.0.0.1", srv.listen_port = 8080;
  srv.admin_host = "127.0.0.1", srv.admin_port = 9901;
  srv.workers = (int)uv_available_parallelism();
  srv.limits = (server_limits){.max_header_bytes = 16384,
                               .max_headers = 100,
                               .max_body_bytes = 64u << 20,
                               .max_connections = 10000,
                               .header_timeout_ms = 10000,
                               .body_timeout_ms = 30000,
                               .idle_timeout_ms = 60000,
                               .connect_timeout_ms = 5000,
                               .upstream_timeout_ms = 60000,
                               .tunnel_idle_timeout_ms = 300000,
                               .sync_interval_ms = 1000,
                               .fetch_timeout_ms = 5000,
                               .fetch_retry_ms = 30000,
                               .fetch_max_bytes = 1u << 20};
  srv.admin_token = getenv("GATEHOUSE_ADMIN_TOKEN");
  const char *state_dir = ".gatehouse", *log_path = NULL, *portal_realm = NULL, *portal_store = NULL;
  bool no_portal = false;
  const char *fetch_ca = NULL, *introspection_client = getenv("GATEHOUSE_INTROSPECTION_CLIENT");
  /* options whose value is kept as it is given */
  const struct {
    const char *name;
    const char **to;
  } text_options[] = {{"--config", &srv.config_path},        {"--admin-token", &srv.admin_token},
                      {"--state", &state_dir},               {"--access-log", &log_path},
                      {"--tls-cert", &srv.tls.cert_file},    {"--tls-key", &srv.tls.key_file},
                      {"--tls-client-ca", &srv.tls.client_ca_file}, {"--portal-realm", &portal_realm},
                      {"--portal-store", &portal_store},     {"--upstream-ca", &srv.upstream_ca},
                      {"--introspection-client", &introspection_client}, {"--fetch-ca", &fetch_ca}};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc, taken = false;
    for (size_t k = 0; has && !taken && k < sizeof text_options / sizeof *text_options; k++)
      if ((taken = !strcmp(a, text_options[k].name))) *text_options[k].to = argv[++i];
    if (taken) {
      continue;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(USAGE, stdout);
      return 0;
    } else if (!strcmp(a, "--listen") && has) {
      if (!host_port(argv[++i], &srv.listen_host, &srv.listen_port)) goto bad_value;
    } else if (!strcmp(a, "--admin") && has) {
      if (!host_port(argv[++i], &srv.admin_host, &srv.admin_port)) goto bad_value;
    } else if (!strcmp(a, "--workers") && has) {
      srv.workers = atoi(argv[++i]);
      if (srv.workers < 1 || srv.workers > 256) goto bad_value;
    } else if (!strcmp(a, "--no-portal")) {
      no_portal = true;
    } else if (has && limit_option(a, argv[i + 1], &srv.limits)) {
      i++;
    } else {
      fprintf(stderr, "error: unknown option or missing value: '%s'\n%s", a, USAGE);
      return 2;
    }
    continue;
  bad_value:
    fprintf(stderr, "error: bad value for %s: '%s'\n%s", a, argv[i], USAGE);
    return 2;
  }
  if (!srv.tls.cert_file != !srv.tls.key_file || (srv.tls.client_ca_file && !srv.tls.cert_file)) {
    fprintf(stderr, "error: HTTPS needs both --tls-cert and --tls-key (and --tls-client-ca needs them)\n%s", USAGE);
    return 2;
  }
  static char token[33];
  if (!srv.admin_token) { /* a fresh one, told at start */
    uint64_t r[2] = {(uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&srv, (uint64_t)uv_hrtime()};
    FILE *u = fopen("/dev/urandom", "rb");
    if (u) {
      if (fread(r, 1, sizeof r, u) != sizeof r) r[1] ^= uv_hrtime();
      fclose(u);
    }
    snprintf(token, sizeof token, "%016llx%016llx", (unsigned long long)r[0], (unsigned long long)r[1]);
    srv.admin_token = token;
    if (srv.config_path) fprintf(stderr, "gatehouse-server: admin token %s\n", token);
  }
  demo = srv.config_path == NULL;
  signal(SIGPIPE, SIG_IGN); /* a peer gone mid-write is an error to handle, not the end of the process */
  main_loop = uv_default_loop();
  uv_mutex_init(&log_lock);
  if (gh_gateway_new(&srv.gw)) return 1;
  srv.portal_on = !no_portal;
  static introspect_options io;
  io = (introspect_options){.client = introspection_client, .ca_file = fetch_ca,
                            .timeout_ms = srv.limits.fetch_timeout_ms, .max_bytes = srv.limits.fetch_max_bytes};
  introspect_configure(&io);
  gh_gateway_set_introspection(srv.gw, introspect_call, NULL); /* called on pool threads (client.c) */
  portal_init(&srv.portal, srv.gw, portal_realm ? portal_realm : demo ? DEMO_REALM : NULL);
  static char store_in_state[4200];
  if (!portal_store && demo) {
    snprintf(store_in_state, sizeof store_in_state, "%s/portal-consumers.json", state_dir);
    portal_store = store_in_state;
  }
  char store_err[4400];
  if (portal_store && srv.portal_on && portal_open_store(&srv.portal, portal_store, store_err, sizeof store_err)) {
    fprintf(stderr, "gatehouse-server: %s\n", store_err);
    return 2;
  }
  if (log_path) {
    access_log = strcmp(log_path, "-") ? fopen(log_path, "a") : stdout;
    if (!access_log) {
      fprintf(stderr, "gatehouse-server: cannot open the access log %s\n", log_path);
      return 2;
    }
    gh_gateway_set_access_log(srv.gw, write_access_line, NULL);
  }
  int echo_port = 0;
  if (demo && echo_listen(main_loop, &echo_listener, "127.0.0.1", 0, &echo_port)) {
    fprintf(stderr, "gatehouse-server: cannot start the demo echo upstream\n");
    return 1;
  }
  key_fetch_options fo = {.ca_file = fetch_ca,
                          .max_bytes = srv.limits.fetch_max_bytes,
                          .timeout_ms = srv.limits.fetch_timeout_ms,
                          .retry_ms = srv.limits.fetch_retry_ms,
                          .discovery_ms = 3600000};
  char fetch_err[512];
  if (key_fetch_start(&keys, main_loop, srv.gw, &fo, fetch_err, sizeof fetch_err)) {
    fprintf(stderr, "gatehouse-server: %s\n", fetch_err);
    return 2; /* before anything is loaded: nothing to free */
  }
  gh_signing_key *key = NULL;
  int rc = load(state_dir, echo_port, &key);
  if (rc) return rc;
  portal_overlay(&srv.portal);
  if ((rc = admin_listen(&srv, main_loop, &admin_listener))) {
    fprintf(stderr, "gatehouse-server: cannot listen on %s:%d for the admin API: %s (choose another with --admin)\n",
            srv.admin_host, srv.admin_port, uv_strerror(rc));
    return 1;
  }
  /* decisions that may wait on Redis run on libuv's thread pool: room for several a worker (before its first use) */
  char pool_size[16];
  snprintf(pool_size, sizeof pool_size, "%d", srv.workers * 4 < 128 ? (srv.workers * 4 > 4 ? srv.workers * 4 : 4) : 128);
  setenv("UV_THREADPOOL_SIZE", pool_size, 0);
  workers = calloc((size_t)srv.workers, sizeof *workers);
  for (int i = 0; workers && i < srv.workers; i++)
    if ((rc = worker_start(&workers[i], i))) {
      fprintf(stderr, "gatehouse-server: cannot listen on %s:%d: %s (choose another with --listen)\n", srv.listen_host,
              srv.listen_port, uv_strerror(rc));
      return 1;
    }
  uv_signal_init(main_loop, &sig_hup);
  uv_signal_init(main_loop, &sig_term);
  uv_signal_init(main_loop, &sig_int);
  uv_signal_start(&sig_hup, on_signal, SIGHUP);
  uv_signal_start(&sig_term, on_signal, SIGTERM);
  uv_signal_start(&sig_int, on_signal, SIGINT);
  limit_sync sync;
  if ((rc = limit_sync_start(&sync, &srv, srv.limits.sync_interval_ms))) {
    fprintf(stderr, "gatehouse-server: cannot start the synced limits' thread: %s\n", uv_strerror(rc));
    return 1;
  }
  banner(key, state_dir);
  gh_signing_key_free(key);
  uv_run(main_loop, UV_RUN_DEFAULT);
  limit_sync_stop(&sync);
  for (int i = 0; i < srv.workers; i++)
    if (!atomic_load(&workers_running)) uv_thread_join(&workers[i].thread);
  fprintf(stderr, "gatehouse-server: stopped\n");
  if (!atomic_load(&workers_running)) gh_gateway_free(srv.gw);
  return 0;
}
