/* The key sets and OpenID Connect discovery documents that the
 * configuration's providers name ("jwks_url", "discovery_url"), fetched by
 * the server on the main loop: a discovery document at start and every
 * hour, a key set when the gateway says it is due (gh_gateway_jwks_due: at
 * start, every "jwks_ttl", and after a token names an unknown kid, not
 * sooner than "jwks_cooldown"). One fetch in flight per URL however many
 * requests are refused meanwhile; a failed fetch keeps the last good
 * document and is not tried again for a while (negative cache); answers
 * are capped in size and time. */
#ifndef GH_SERVER_KEY_FETCH_H
#define GH_SERVER_KEY_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gatehouse.h"

typedef struct key_fetch_options {
  const char *ca_file;    /* CA bundle for https (PEM); NULL: the system's */
  size_t max_bytes;       /* a document larger than this is refused */
  uint64_t timeout_ms;    /* the whole fetch */
  uint64_t retry_ms;      /* after a failure, the URL waits this long */
  uint64_t discovery_ms;  /* a discovery document is fetched again after this */
} key_fetch_options;

typedef struct key_fetch key_fetch;

/* Starts fetching on loop (a first round at once). 0, or -1 with err (the CA bundle does not load). */
int key_fetch_start(key_fetch **out, uv_loop_t *loop, gh_gateway *gw, const key_fetch_options *o, char *err,
                    size_t err_cap);
/* Stops the timer (fetches in flight finish on their own); frees k once they have. */
void key_fetch_stop(key_fetch *k);

#endif
