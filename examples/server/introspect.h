/* Token introspection (RFC 7662) for the configuration's "introspection"
 * providers: the hook the gateway calls with a provider's endpoint and a
 * token. It runs on the deciding thread, which is a thread of libuv's pool
 * (the server decides there whenever such a provider is configured:
 * gh_gateway_decide_may_wait), and POSTs `token=...` to the endpoint with
 * the http client on a loop of that thread's own, authenticated with HTTP
 * Basic when a client is given (RFC 7662 §2.1). The gateway caches answers
 * (the provider's cache_ttl), so the endpoint is asked once per token and
 * minute, not per request. */
#ifndef GH_SERVER_INTROSPECT_H
#define GH_SERVER_INTROSPECT_H

#include <stddef.h>
#include <stdint.h>

typedef struct introspect_options {
  const char *client;  /* "id:secret" for HTTP Basic, or NULL */
  const char *ca_file; /* the CAs https endpoints chain to; NULL: the system's */
  uint64_t timeout_ms;
  size_t max_bytes;
} introspect_options;

/* Before the gateway's first load; the options must outlive the server. */
void introspect_configure(const introspect_options *o);
/* A gh_gateway_introspect_fn. */
int introspect_call(void *ud, const char *endpoint, const char *token, size_t len, char **json, size_t *json_len);

#endif
