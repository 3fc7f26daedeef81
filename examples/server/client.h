/* One client connection: its parser, the request being read, the decision,
 * the upstream exchange it waits for (proxy.c), and its timer. */
#ifndef GH_SERVER_CLIENT_H
#define GH_SERVER_CLIENT_H

#include "head.h"
#include "server.h"
#include "tunnel.h"
#include "wire.h"

typedef struct upstream_conn upstream_conn;

typedef enum phase { PHASE_IDLE, PHASE_HEAD, PHASE_BODY, PHASE_UPSTREAM, PHASE_TUNNEL } phase;

typedef struct client {
  uv_tcp_t tcp;
  uv_timer_t timer;
  worker *w;
  int open_handles;                /* freed when the tcp and the timer are both closed */
  bool closing, shutting, reading; /* shutting: the last answer is going out, then the connection closes */
  llhttp_t parser;
  /* input received and not yet parsed: the parser waits while a request is at the upstream */
  char *in;
  size_t in_len, in_cap;
  head head; /* the request being read: its target and fields */
  char client_ip[64];
  gh_header headers[MAX_HEADERS];
  gh_decision *d;
  bool response_started; /* the upstream's answer has begun toward the client */
  bool decided, forwarding, request_complete, keep_alive, http10, head_request, expects_body, request_chunked;
  uint64_t body_bytes, bytes_out;
  bool websocket; /* the request asks for a WebSocket: its connection ends with it, or becomes a tunnel */
  bool retried;   /* sent again on a fresh upstream connection after a pooled one was found closed */
  bool tunnel;    /* the upstream said 101: bytes pass both ways unparsed */
  bool portal;    /* the request is the developer portal's: its body is read whole, then answered */
  bool deciding;  /* its decision is being made on the thread pool (it may wait on Redis) */
  wbuf portal_body;
  ws_frames from_client;
  phase phase;
  upstream_conn *up;
  uint64_t upstream_started_ms;
  tls_conn *tls;              /* NULL: plain HTTP */
  struct client *prev, *next; /* the worker's clients */
} client;

/* Bytes to the client (taken: b is emptied), through TLS when the connection has it; done(stream, status) after. */
void client_send(client *c, wbuf *b, sent_fn done);

/* Starts proxying c's decided request to its target; body bytes follow through proxy_body. */
void proxy_start(client *c);
/* Request body bytes for the upstream, and the end of the request. */
void proxy_body(client *c, const char *p, size_t n);
void proxy_request_end(client *c);
/* Drops the exchange (client gone or request refused midway); the connection is closed, not pooled. */
void proxy_abort(client *c);
/* Called by proxy.c when the response has been written to the client (or failed): status sent, 0 if none. */
void client_response_done(client *c, int status, bool ok);
/* Answers the current request with a status of the server's own (problem+json), then closes if it must. */
void client_fail(client *c, int status, const char *detail, bool close_after);
/* Progress: the current phase's timer starts again (timeouts bound the time between reads, not the whole exchange). */
void client_progress(client *c);
/* The upstream could not be reached: 502 to the client, reported to the gateway as no answer (passive health). */
void client_upstream_unreachable(client *c, const char *why);
/* Closes the connection now, dropping any exchange (the decision completes as 499: the client went away). */
void client_close(client *c);
/* The upstream accepted the WebSocket (101, already relayed): c becomes one end of a byte tunnel. */
void client_tunnel_start(client *c);
/* Client bytes for the tunnel's upstream end (proxy.c). */
void proxy_tunnel_send(client *c, const char *p, size_t n);
/* The client's write queue, for backpressure. */
size_t client_queued(const client *c);
void client_pause_reading(client *c, bool paused);

/* The worker's idle upstream connections (proxy.c). */
upstream_pool *upstream_pool_new(void);
void upstream_pool_close(upstream_pool *p);

#endif
