/* Fuzzes the gateway's reading of requests: method, path, query, headers and
 * body cut from the input (NUL-separated) go through the example
 * configuration plus a GraphQL route; every request ends in a FORWARD or a
 * RESPOND with a well-formed answer, and completes. When the input's first
 * byte is odd, the rest goes whole to gh_gateway_decide_strings (the
 * bindings' block form) instead: it is refused with GH_EPARSE or GH_ETOOBIG
 * without a decision, or decided, and its strings agree with the accessors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gateway.h"
#include "gatehouse.h"

static gh_gateway *gw;
static gh_decision *d;

static void setup(void) {
  /* a GraphQL route beside the example's, so that bodies are read too */
  gw = fuzz_gateway("[{\"op\":\"add\",\"path\":\"/routes/-\",\"value\":{\"methods\":[\"GET\",\"POST\"],"
                    "\"path\":\"/graphql\",\"upstream\":\"catalog\",\"graphql\":{\"max_depth\":4}}}]");
  if (gh_decision_new(&d)) abort();
}

/* The next NUL-terminated piece of the input, or the rest. */
static const char *piece(const uint8_t **p, const uint8_t *end, size_t *len) {
  const uint8_t *start = *p, *nul = memchr(start, 0, (size_t)(end - start));
  *len = (size_t)((nul ? nul : end) - start);
  *p = nul ? nul + 1 : end;
  return (const char *)start;
}

/* The block form: refused without deciding, or decided with strings that end where it says. */
static int decide_block(const uint8_t *data, size_t size) {
  static char out[1 << 16];
  size_t len = 1;
  gh_gateway_complete(gw, d, 0, -1, 0, 0); /* no decision left open from an earlier input */
  int rc = gh_gateway_decide_strings(gw, (const char *)data, size, NULL, 0, 1800000000000, d, out, sizeof out, &len);
  if (rc == GH_EPARSE || (rc == GH_ETOOBIG && len == 0)) {
    if (len != 0) abort();
    return 0;
  }
  if (len < GH_DECISION_STRING_HEADERS + 1 || out[len - 1] != '\0') abort();
  size_t strings = 0;
  for (size_t i = 0; i < len; i++) strings += out[i] == '\0';
  if (strings != GH_DECISION_STRING_HEADERS + 2 * gh_decision_header_count(d)) abort();
  if (strcmp(out, gh_decision_verdict(d) == GH_VERDICT_FORWARD ? "forward" : "respond")) abort();
  gh_gateway_complete(gw, d, 200, 1, size, 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!gw) setup();
  if (size && (data[0] & 1)) return decide_block(data + 1, size - 1);
  const uint8_t *p = data, *end = data + size;
  gh_request r = {0};
  gh_header h[16];
  r.method = piece(&p, end, &r.method_len);
  r.path = piece(&p, end, &r.path_len);
  r.query = piece(&p, end, &r.query_len);
  r.body = piece(&p, end, &r.body_len);
  while (p < end && r.n_headers < 16) {
    size_t n, v;
    const char *name = piece(&p, end, &n), *value = piece(&p, end, &v);
    h[r.n_headers++] = (gh_header){name, value, n, v};
  }
  r.headers = h;
  r.client_ip = "10.1.2.3", r.client_ip_len = 8;
  int rc = gh_gateway_decide(gw, &r, 1800000000000, d);
  int verdict = gh_decision_verdict(d);
  if (verdict != GH_VERDICT_FORWARD && verdict != GH_VERDICT_RESPOND) abort();
  if (rc == GH_OK && verdict == GH_VERDICT_RESPOND && (gh_decision_status(d) < 100 || gh_decision_status(d) > 599))
    abort();
  if (verdict == GH_VERDICT_FORWARD && (!gh_decision_target(d) || !gh_decision_upstream_path(d, NULL))) abort();
  for (size_t i = 0; i < gh_decision_header_count(d); i++) { /* no header value may split the response */
    const gh_header *x = gh_decision_header(d, i);
    if (memchr(x->value, '\r', x->value_len) || memchr(x->value, '\n', x->value_len)) abort();
  }
  char explain[16384];
  size_t len;
  int e = gh_decision_explain(d, explain, sizeof explain, &len);
  if (e && e != GH_ETOOBIG) abort();
  gh_gateway_complete(gw, d, 200, 1, size, 0);
  return 0;
}
