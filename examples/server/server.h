/* The reference server: libuv event loops (one per worker thread, each with
 * its own listening socket on the shared port), HTTP/1.1 parsed by llhttp,
 * every request decided by one shared gh_gateway, then answered or proxied
 * to its upstream with bodies streamed both ways. */
#ifndef GH_SERVER_H
#define GH_SERVER_H

#include <llhttp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gatehouse.h"
#include "portal.h"
#include "tls.h"

/* Limits and timeouts (milliseconds, the library's unit in calls). */
typedef struct server_limits {
  size_t max_header_bytes; /* request line and headers: 431 beyond */
  size_t max_headers;      /* header fields: 431 beyond */
  uint64_t max_body_bytes; /* a request body: 413 beyond */
  size_t max_connections;  /* per worker: further connections are closed at once */
  uint64_t header_timeout_ms, body_timeout_ms, idle_timeout_ms, connect_timeout_ms, upstream_timeout_ms;
  uint64_t tunnel_idle_timeout_ms; /* a WebSocket tunnel with no bytes either way is closed */
  uint64_t sync_interval_ms;       /* synced limits: how often counts go to Redis and back */
  uint64_t fetch_timeout_ms, fetch_retry_ms, fetch_max_bytes; /* key sets and discovery documents */
} server_limits;

typedef struct server {
  const char *listen_host, *admin_host;
  int listen_port, admin_port, workers;
  const char *config_path; /* NULL: the embedded demo configuration */
  const char *admin_token; /* required by the admin API but for /health and /ready; NULL: admin API on loopback only */
  server_limits limits;
  tls_options tls; /* cert_file NULL: plain HTTP */
  const char *upstream_ca; /* the CAs https upstreams chain to (NULL: the system's) */
  gh_gateway *gw;
  bool portal_on; /* /portal is the developer portal's (--no-portal: the pipeline's like any path) */
  portal portal;
  atomic_bool draining;  /* SIGTERM: no new requests; exit once in-flight ones finish */
  atomic_long in_flight; /* requests decided and not yet completed, across workers */
  atomic_long accepted;  /* connections, for the admin API */
  /* WebSocket tunnels opened, and the frames relayed each way (admin /metrics) */
  atomic_ullong ws_tunnels, ws_frames_from_clients, ws_frames_from_upstreams;
} server;

typedef struct upstream_pool upstream_pool;

typedef struct worker {
  server *srv;
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t wake; /* tells the loop to look at srv->draining */
  uv_thread_t thread;
  upstream_pool *pool;
  tls_config *tls; /* NULL: plain HTTP */
  tls_config *upstream_tls; /* https upstreams: made on first need */
  bool upstream_tls_failed;
  size_t connections;
  struct client *clients; /* open connections */
  gh_decision **spare;    /* decisions between requests: only requests in flight hold one */
  size_t n_spare;
  char **spare_in; /* input buffers (READ_CHUNK bytes) of connections between requests */
  size_t n_spare_in;
  uv_timer_t drain; /* while draining: waits for the worker's requests to finish */
  int index;
} worker;

/* Binds host:port with SO_REUSEPORT (so that every worker listens on the same port) into tcp. 0 or a libuv error. */
int listen_reuseport(uv_loop_t *loop, uv_tcp_t *tcp, const char *host, int port, uv_connection_cb on_connection);

/* A client connection (client.c). */
void client_accept(worker *w, uv_stream_t *listener);
/* Closes a connection between requests (draining); one with a request in flight finishes it first. */
void client_close_if_idle(struct client *c);
/* Wall-clock milliseconds (decisions are made at this time). */
int64_t server_now_ms(void);

#endif
