#include "access_log.h"

#include <string.h>

#include "../core/date.h"
#include "../core/json.h"

/* Each field as few appends as it can: its name with the punctuation around
 * it is one constant (this runs once per request on the completing thread). */
#define PUT_CONST(out, text) gh__buf_put(out, text, sizeof text - 1)

static void put_string(gh__buf *out, const char *prefix, size_t prefix_len, const char *v) {
  if (!v) {
    gh__buf_put(out, prefix, prefix_len - 1); /* without its opening quote */
    PUT_CONST(out, "null");
    return;
  }
  gh__buf_put(out, prefix, prefix_len);
  gh__buf_put_json_string_body(out, v, strlen(v));
  PUT_CONST(out, "\"");
}
#define STRING(out, name, v) put_string(out, ",\"" name "\":\"", sizeof(",\"" name "\":\"") - 1, v)

static void put_u64(gh__buf *out, uint64_t v) {
  char d[24];
  gh__buf_put(out, d, gh__u64_to_dec(v, d));
}
#define NUMBER(out, name, v) (PUT_CONST(out, ",\"" name "\":"), put_u64(out, v))

/* Milliseconds with microseconds ("0.012"), or null. */
static void put_ms(gh__buf *out, int64_t ns) {
  if (ns < 0) {
    PUT_CONST(out, "null");
    return;
  }
  uint64_t us = (uint64_t)ns / 1000;
  put_u64(out, us / 1000);
  char frac[4] = {'.', (char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10), (char)('0' + us % 10)};
  gh__buf_put(out, frac, 4);
}

void gh__access_log_line(const gh_decision *d, int status, int64_t gateway_ns, int64_t upstream_ms, uint64_t bytes_in,
                         uint64_t bytes_out, gh__buf *out) {
  out->len = 0;
  out->failed = false;
  char when[25];
  gh__rfc3339_ms(d->now_ms, when);
  PUT_CONST(out, "{\"time\":\"");
  gh__buf_put(out, when, 24);
  PUT_CONST(out, "\"");
  STRING(out, "request_id", d->request_id);
  STRING(out, "method", d->method);
  STRING(out, "api", gh_decision_api(d));
  STRING(out, "version", gh_decision_api_version(d));
  STRING(out, "route", gh_decision_route(d));
  STRING(out, "consumer", d->consumer ? d->consumer->name : NULL);
  STRING(out, "subject", gh_decision_subject(d));
  NUMBER(out, "status", (uint64_t)(status > 0 ? status : 0));
  STRING(out, "reason", d->reason);
  STRING(out, "target", gh_decision_target(d));
  PUT_CONST(out, ",\"gateway_ms\":");
  put_ms(out, gateway_ns);
  PUT_CONST(out, ",\"upstream_ms\":");
  if (upstream_ms >= 0)
    put_u64(out, (uint64_t)upstream_ms);
  else
    PUT_CONST(out, "null");
  NUMBER(out, "bytes_in", bytes_in);
  NUMBER(out, "bytes_out", bytes_out);
  NUMBER(out, "config_version", d->config_version);
  PUT_CONST(out, "}\n");
}
