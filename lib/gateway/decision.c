/* The decision object: what the pipeline decided, how it answers, and why. */
#include "decision.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/json.h"
#include "gatehouse/error.h"

int gh_decision_new(gh_decision **out) {
  if (!out) return GH_EINVAL;
  gh_decision *d = gh__calloc(1, sizeof *d);
  if (!d) return GH_ENOMEM;
  if (gh_auth_request_new(&d->auth) || gh_policy_request_new(&d->policy)) {
    gh_auth_request_free(d->auth);
    gh__free(d);
    return GH_ENOMEM;
  }
  *out = d;
  return GH_OK;
}

void gh_decision_free(gh_decision *d) {
  if (!d) return;
  if (d->open) gh_gateway_complete(d->gw, d, 0, -1, 0, 0);
  gh__decision_reset(d);
  gh_auth_request_free(d->auth);
  gh_policy_request_free(d->policy);
  gh__buf_free(&d->body), gh__buf_free(&d->up_path), gh__buf_free(&d->scratch);
  gh__buf_free(&d->gql_doc), gh__buf_free(&d->gql_name), gh__buf_free(&d->htu), gh__buf_free(&d->log_line);
  gh__free(d);
}

void gh__decision_reset(gh_decision *d) {
  gh_identity_free(d->identity);
  d->identity = NULL;
  if (d->has_transformed) gh_transform_result_free(&d->transformed);
  d->has_transformed = false;
  d->verdict = d->status = 0;
  d->stage = -1;
  d->reason[0] = d->request_id[0] = 0;
  d->n_headers = d->arena_used = d->n_slots = d->n_trail = d->n_up_headers = 0;
  d->body.len = d->up_path.len = d->scratch.len = 0;
  d->body.failed = d->up_path.failed = d->scratch.failed = false;
  d->route = NULL;
  d->has_subject = d->picked = d->grpc = d->has_gql = false;
  d->upstream = NULL;
  d->up_headers = NULL;
  d->match.status = 0;
  d->match.name = NULL;
  d->config_version = 0;
  d->consumer = NULL;
  d->quota_taken = d->timed = false;
  d->method[0] = 0;
}

const char *gh__decision_keep(gh_decision *d, const char *p, size_t n) {
  if (n + 1 > GH__DECISION_ARENA - d->arena_used) return NULL;
  char *dst = d->arena + d->arena_used;
  memcpy(dst, p, n);
  dst[n] = 0;
  d->arena_used += n + 1;
  return dst;
}

bool gh__decision_add_header(gh_decision *d, const char *name, const char *value, size_t value_len) {
  if (d->n_headers == GH__DECISION_HEADERS) return false;
  const char *v = gh__decision_keep(d, value, value_len);
  if (!v) return false;
  d->headers[d->n_headers++] = (gh_header){name, v, strlen(name), value_len};
  return true;
}

/* The step's detail, formatted now. */
static void put_detail(gh__buf *b, const gh__trail_step *t) {
  size_t ns = 0, nn = 0, run = 0;
  char num[32];
  const char *f = t->fmt;
  for (size_t i = 0; f[i]; i++) {
    if (f[i] != '%') continue;
    gh__buf_put(b, f + run, i - run);
    const char *s = NULL;
    size_t len = 0;
    if (f[i + 1] == 's') {
      s = ns < 4 ? t->s[ns++] : NULL;
      len = s ? strlen(s) : 0;
      i += 1;
    } else if (f[i + 1] == '.' && f[i + 2] == '*' && f[i + 3] == 's') {
      long long n = nn < 2 ? t->n[nn++] : 0;
      s = ns < 4 ? t->s[ns++] : NULL;
      len = s ? strnlen(s, n > 0 ? (size_t)n : 0) : 0;
      i += 3;
    } else {
      snprintf(num, sizeof num, "%lld", nn < 2 ? t->n[nn++] : 0);
      s = num, len = strlen(num);
      i += f[i + 1] == 'd' ? 1 : f[i + 1] == 'z' ? 2 : 3;
    }
    if (s) gh__buf_put_json_string_body(b, s, len);
    run = i + 1;
  }
  gh__buf_put(b, f + run, strlen(f + run));
}

/* The problem's title: the status's reason phrase, or its class. */
static const char *status_title(int status) {
  const char *text = gh_http_status_text(status);
  return *text ? text : status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Response";
}

/* gRPC status codes (grpc/doc/statuscodes.md) for the HTTP statuses the pipeline answers. */
static int grpc_status(int status) {
  switch (status) {
    case 400:
      return 3; /* INVALID_ARGUMENT */
    case 401:
      return 16; /* UNAUTHENTICATED */
    case 403:
      return 7; /* PERMISSION_DENIED */
    case 404:
    case 410:
      return 5; /* NOT_FOUND */
    case 405:
      return 12; /* UNIMPLEMENTED */
    case 429:
      return 8; /* RESOURCE_EXHAUSTED */
    case 502:
    case 503:
      return 14; /* UNAVAILABLE */
    case 500:
      return 13; /* INTERNAL */
    default:
      return 2; /* UNKNOWN */
  }
}

/* grpc-message: percent-encoded outside printable ASCII (gRPC over HTTP/2, "Responses"). */
static size_t grpc_message(const char *msg, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *msg && o + 4 < cap; msg++) {
    unsigned char c = (unsigned char)*msg;
    if (c >= 0x20 && c <= 0x7E && c != '%') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
    }
  }
  out[o] = 0;
  return o;
}

void gh__decision_deny(gh_decision *d, int stage, int status, const char *reason, const char *type, const char *detail,
                       const char *challenge, bool grpc) {
  d->verdict = GH_VERDICT_RESPOND;
  d->stage = stage;
  snprintf(d->reason, sizeof d->reason, "%s", reason);
  d->body.len = 0;
  if (challenge) gh__decision_add_header(d, "WWW-Authenticate", challenge, strlen(challenge));
  if (grpc) {
    /* trailers-only: HTTP 200 with the status in grpc-status (the host sends these as trailers-only headers) */
    char code[8], msg[512];
    d->status = 200;
    snprintf(code, sizeof code, "%d", grpc_status(status));
    gh__decision_add_header(d, "Content-Type", "application/grpc", 16);
    gh__decision_add_header(d, "grpc-status", code, strlen(code));
    size_t n = grpc_message(detail ? detail : status_title(status), msg, sizeof msg);
    gh__decision_add_header(d, "grpc-message", msg, n);
    return;
  }
  d->status = status;
  if (status == 204 || status == 308) return; /* no content */
  gh__buf *b = &d->body;
  gh__buf_puts(b, "{\"type\":");
  const char *t = type ? type : "about:blank";
  gh__buf_put_json_string(b, t, strlen(t));
  gh__buf_puts(b, ",\"title\":");
  const char *title = status_title(status);
  gh__buf_put_json_string(b, title, strlen(title));
  char num[32];
  snprintf(num, sizeof num, ",\"status\":%d", status);
  gh__buf_puts(b, num);
  if (detail) {
    gh__buf_puts(b, ",\"detail\":");
    gh__buf_put_json_string(b, detail, strlen(detail));
  }
  if (d->request_id[0]) {
    gh__buf_puts(b, ",\"request_id\":");
    gh__buf_put_json_string(b, d->request_id, strlen(d->request_id));
  }
  gh__buf_puts(b, "}");
  gh__decision_add_header(d, "Content-Type", "application/problem+json", 24);
}

/* ---- accessors ---- */

int gh_decision_verdict(const gh_decision *d) { return d ? d->verdict : 0; }
int gh_decision_status(const gh_decision *d) { return d && d->verdict == GH_VERDICT_RESPOND ? d->status : 0; }
size_t gh_decision_header_count(const gh_decision *d) { return d ? d->n_headers : 0; }
const gh_header *gh_decision_header(const gh_decision *d, size_t i) {
  return d && i < d->n_headers ? &d->headers[i] : NULL;
}
const char *gh_decision_body(const gh_decision *d, size_t *len) {
  if (len) *len = d && !d->body.failed ? d->body.len : 0;
  return d && d->body.p && !d->body.failed ? d->body.p : "";
}
const char *gh_decision_target(const gh_decision *d) {
  return d && d->picked ? gh_upstream_target(d->upstream, d->target) : NULL;
}
const char *gh_decision_upstream_path(const gh_decision *d, size_t *len) {
  bool ok = d && d->verdict == GH_VERDICT_FORWARD && d->up_path.p && !d->up_path.failed;
  if (len) *len = ok ? d->up_path.len : 0;
  return ok ? d->up_path.p : NULL;
}
const gh_header *gh_decision_upstream_headers(const gh_decision *d, size_t *n) {
  bool ok = d && d->verdict == GH_VERDICT_FORWARD;
  if (n) *n = ok ? d->n_up_headers : 0;
  return ok ? d->up_headers : NULL;
}
const char *gh_decision_request_id(const gh_decision *d) { return d && d->request_id[0] ? d->request_id : NULL; }
const char *gh_decision_route(const gh_decision *d) { return d && d->route ? d->route->name : NULL; }
const char *gh_decision_api(const gh_decision *d) {
  return d && d->route && d->route->version ? d->route->version->api : NULL;
}
const char *gh_decision_api_version(const gh_decision *d) {
  return d && d->route && d->route->version ? d->route->version->version : NULL;
}
const char *gh_decision_subject(const gh_decision *d) {
  if (!d) return NULL;
  if (d->has_subject) return d->subject;
  return d->identity ? gh_identity_subject(d->identity) : NULL;
}
const gh_identity *gh_decision_identity(const gh_decision *d) {
  return d && d->open && !d->has_subject ? d->identity : NULL;
}
const char *gh_decision_consumer(const gh_decision *d) {
  return d && d->open && d->consumer ? d->consumer->name : NULL;
}
/* Appends (p, n) and a NUL while it fits in cap; *used counts every piece, fitting or not. */
static void put_piece(char *out, size_t cap, size_t *used, const char *p, size_t n) {
  if (*used + n + 1 <= cap) {
    if (n) memcpy(out + *used, p, n);
    out[*used + n] = '\0';
  }
  *used += n + 1;
}

int gh_decision_strings(const gh_decision *d, char *out, size_t cap, size_t *len) {
  if (!d || !len || (!out && cap)) return GH_EINVAL;
  char status[16];
  snprintf(status, sizeof status, "%d", gh_decision_status(d));
  const char *fixed[GH_DECISION_STRING_HEADERS] = {[GH_DECISION_STRING_VERDICT] = d->verdict == GH_VERDICT_FORWARD
                                                                                      ? "forward"
                                                                                  : d->verdict ? "respond"
                                                                                               : "",
                                                   [GH_DECISION_STRING_STATUS] = status,
                                                   [GH_DECISION_STRING_REQUEST_ID] = gh_decision_request_id(d),
                                                   [GH_DECISION_STRING_ROUTE] = gh_decision_route(d),
                                                   [GH_DECISION_STRING_API] = gh_decision_api(d),
                                                   [GH_DECISION_STRING_API_VERSION] = gh_decision_api_version(d),
                                                   [GH_DECISION_STRING_SUBJECT] = gh_decision_subject(d),
                                                   [GH_DECISION_STRING_CONSUMER] = gh_decision_consumer(d),
                                                   [GH_DECISION_STRING_REASON] = gh_decision_reason(d),
                                                   [GH_DECISION_STRING_TARGET] = gh_decision_target(d),
                                                   [GH_DECISION_STRING_UPSTREAM_PATH] = NULL};
  size_t up_len = 0, used = 0;
  const char *up = gh_decision_upstream_path(d, &up_len);
  for (size_t i = 0; i < GH_DECISION_STRING_UPSTREAM_PATH; i++)
    put_piece(out, cap, &used, fixed[i], fixed[i] ? strlen(fixed[i]) : 0);
  put_piece(out, cap, &used, up, up ? up_len : 0);
  for (size_t i = 0; i < d->n_headers; i++) {
    put_piece(out, cap, &used, d->headers[i].name, d->headers[i].name_len);
    put_piece(out, cap, &used, d->headers[i].value, d->headers[i].value_len);
  }
  *len = used;
  return used <= cap ? GH_OK : GH_ETOOBIG;
}
int gh_decision_stage(const gh_decision *d) { return d && d->verdict == GH_VERDICT_RESPOND ? d->stage : -1; }
const char *gh_decision_reason(const gh_decision *d) { return d ? d->reason : ""; }
uint64_t gh_decision_config_version(const gh_decision *d) { return d ? d->config_version : 0; }

int gh_decision_respond(gh_decision *d, int status, const char *detail) {
  if (!d || status < 100 || status > 599) return GH_EINVAL;
  gh__decision_deny(d, d->stage >= 0 ? d->stage : GH_STAGE_ROUTE, status, "hook", NULL, detail, NULL, d->grpc);
  return GH_OK;
}

int gh_decision_set_subject(gh_decision *d, const char *subject, size_t len) {
  if (!d || !subject || !len) return GH_EINVAL;
  if (len >= sizeof d->subject) return GH_ETOOBIG;
  memcpy(d->subject, subject, len);
  d->subject[len] = 0;
  d->has_subject = true;
  return GH_OK;
}

int gh_decision_explain(const gh_decision *d, char *out, size_t cap, size_t *len) {
  if (!d || (!out && cap)) return GH_EINVAL;
  if (d->verdict && !d->open && d->n_trail) return GH_EMISUSE; /* completed: what it pointed to is gone */
  gh__buf b = {0};
  char num[64];
  gh__buf_puts(&b, "{\"verdict\":");
  gh__buf_puts(&b, d->verdict == GH_VERDICT_FORWARD ? "\"forward\"" : d->verdict ? "\"respond\"" : "null");
  snprintf(num, sizeof num, ",\"status\":%d", gh_decision_status(d));
  gh__buf_puts(&b, num);
  gh__buf_puts(&b, ",\"reason\":");
  gh__buf_put_json_string(&b, d->reason, strlen(d->reason));
  const char *strings[][2] = {{"request_id", gh_decision_request_id(d)},
                              {"route", gh_decision_route(d)},
                              {"api", gh_decision_api(d)},
                              {"version", gh_decision_api_version(d)},
                              {"subject", gh_decision_subject(d)},
                              {"target", gh_decision_target(d)}};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
    if (!strings[i][1]) continue;
    gh__buf_puts(&b, ",\"");
    gh__buf_puts(&b, strings[i][0]);
    gh__buf_puts(&b, "\":");
    gh__buf_put_json_string(&b, strings[i][1], strlen(strings[i][1]));
  }
  snprintf(num, sizeof num, ",\"config_version\":%llu,\"stages\":[", (unsigned long long)d->config_version);
  gh__buf_puts(&b, num);
  for (size_t i = 0; i < d->n_trail; i++) {
    const gh__trail_step *t = &d->trail[i];
    gh__buf_puts(&b, i ? ",{\"stage\":\"" : "{\"stage\":\"");
    gh__buf_puts(&b, gh_stage_name(t->stage));
    gh__buf_puts(&b, "\",\"outcome\":\"");
    gh__buf_puts(&b, t->outcome);
    gh__buf_puts(&b, "\"");
    if (t->fmt[0]) {
      gh__buf_puts(&b, ",\"detail\":\"");
      put_detail(&b, t);
      gh__buf_puts(&b, "\"");
    }
    gh__buf_puts(&b, "}");
  }
  gh__buf_puts(&b, "]}");
  if (gh__buf_finish(&b)) return GH_ENOMEM;
  if (len) *len = b.len;
  int rc = b.len < cap ? GH_OK : GH_ETOOBIG;
  if (!rc) memcpy(out, b.p, b.len + 1);
  gh__buf_free(&b);
  return rc;
}
