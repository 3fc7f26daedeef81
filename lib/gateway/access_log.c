#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "../core/json.h"
#include "access_log.h"

static void put_name(gh__buf *out, const char *name) {
  gh__buf_put(out, ",\"", 2);
  gh__buf_puts(out, name);
  gh__buf_put(out, "\":", 2);
}

static void put_string(gh__buf *out, const char *name, const char *v) {
  put_name(out, name);
  if (v) gh__buf_put_json_string(out, v, strlen(v));
  else gh__buf_put(out, "null", 4);
}

static void put_u64(gh__buf *out, const char *name, uint64_t v) {
  char d[24];
  put_name(out, name);
  gh__buf_put(out, d, gh__u64_to_dec(v, d));
}

/* Milliseconds with microseconds: "0.012". */
static void put_ms(gh__buf *out, const char *name, int64_t ns) {
  put_name(out, name);
  if (ns < 0) {
    gh__buf_put(out, "null", 4);
    return;
  }
  char d[24];
  uint64_t us = (uint64_t)ns / 1000;
  gh__buf_put(out, d, gh__u64_to_dec(us / 1000, d));
  char frac[4] = {(char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10), (char)('0' + us % 10), 0};
  gh__buf_put(out, ".", 1);
  gh__buf_put(out, frac, 3);
}

void gh__access_log_line(const gh_decision *d, int status, int64_t upstream_ms, uint64_t bytes_in, uint64_t bytes_out,
                         gh__buf *out) {
  out->len = 0;
  out->failed = false;
  char when[25];
  gh__rfc3339_ms(d->now_ms, when);
  gh__buf_puts(out, "{\"time\":\"");
  gh__buf_puts(out, when);
  gh__buf_put(out, "\"", 1);
  put_string(out, "request_id", d->request_id);
  put_string(out, "method", d->method);
  put_string(out, "api", gh_decision_api(d));
  put_string(out, "version", gh_decision_api_version(d));
  put_string(out, "route", gh_decision_route(d));
  put_string(out, "consumer", d->consumer ? d->consumer->name : NULL);
  put_string(out, "subject", gh_decision_subject(d));
  put_u64(out, "status", (uint64_t)(status > 0 ? status : 0));
  put_string(out, "reason", d->reason);
  put_string(out, "target", gh_decision_target(d));
  int64_t gateway_ns = 0;
  for (int p = 0; p < 4; p++) gateway_ns += d->part_ns[p] > 0 ? d->part_ns[p] : 0;
  put_ms(out, "gateway_ms", gateway_ns);
  put_name(out, "upstream_ms");
  if (upstream_ms >= 0) {
    char n[24];
    gh__buf_put(out, n, gh__u64_to_dec((uint64_t)upstream_ms, n));
  } else {
    gh__buf_put(out, "null", 4);
  }
  put_u64(out, "bytes_in", bytes_in);
  put_u64(out, "bytes_out", bytes_out);
  put_u64(out, "config_version", d->config_version);
  gh__buf_put(out, "}\n", 2);
}
