/* A client's request on its way through the server: from its parsed head to
 * the gh_request the gateway decides (what a path is, where the query
 * starts, which host), and, once forwarded, to the head the upstream is sent
 * (hop-by-hop fields dropped, Forwarded and X-Forwarded-* added). Pure
 * functions of their arguments: the server and the fuzzer share them. */
#ifndef GH_SERVER_REQUEST_H
#define GH_SERVER_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "head.h"
#include "wire.h"

/* Fills req (pointing into h's bytes and views, which must stay put) from a
 * parsed request head. 0, or 400 with *why when the target is no path. */
int request_from_head(const head *h, gh_header *views, const char *method, const char *client_ip, gh_request *req,
                      const char **why);

/* How the forwarded request's body is framed toward the upstream. */
typedef struct body_framing {
  bool chunked, has_length, websocket; /* websocket: the handshake's Connection and Upgrade go along */
  uint64_t length;
  const char *proto; /* how the client came: "http" or "https" (X-Forwarded-Proto, Forwarded;proto) */
} body_framing;

/* The head sent upstream for a FORWARD decision d of the request whose head
 * the client sent (client_head), from client_ip. */
void request_head_for_upstream(wbuf *out, const gh_decision *d, const head *client_head, const char *method,
                               const char *client_ip, const body_framing *body);

#endif
