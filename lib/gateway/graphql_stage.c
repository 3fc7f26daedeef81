/* On routes marked GraphQL: the document and the operation's name are read
 * from the request as GraphQL over HTTP sends them (a GET's `query` and
 * `operationName` parameters; a POST's application/json body with "query"
 * and "operationName", or an application/graphql body), checked against the
 * route's limits, and the operation's name kept for the policy (its action)
 * and limit keys (the `operation` source). */
#include <string.h>
#include <strings.h>

#include "../core/json.h"
#include "decision.h"
#include "graphql_guard.h"
#include "graphql_stage.h"

typedef struct gql_members {
  const char *query, *name;
  size_t query_len, name_len;
  bool query_not_string, name_not_string;
} gql_members;

static void on_member(void *ud, const char *name, size_t name_len, const char *value, size_t value_len) {
  gql_members *m = ud;
  bool is_string = value_len >= 2 && value[0] == '"';
  if (name && name_len == 5 && !memcmp(name, "query", 5)) {
    m->query = is_string ? value + 1 : NULL, m->query_len = is_string ? value_len - 2 : 0;
    m->query_not_string = !is_string;
  } else if (name && name_len == 13 && !memcmp(name, "operationName", 13)) {
    bool null = value_len == 4 && !memcmp(value, "null", 4);
    m->name = is_string ? value + 1 : NULL, m->name_len = is_string ? value_len - 2 : 0;
    m->name_not_string = !is_string && !null;
  }
}

static int hex(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A query parameter's value, form-decoded ('+' is a space) into b; false when absent or malformed. */
static bool query_param(const char *q, size_t n, const char *name, gh__buf *b) {
  size_t name_len = strlen(name);
  for (const char *p = q, *end = q + n; p && p < end;) {
    const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
    if ((size_t)(stop - p) > name_len && !memcmp(p, name, name_len) && p[name_len] == '=') {
      for (const char *v = p + name_len + 1; v < stop; v++) {
        char c = *v;
        if (c == '+') c = ' ';
        else if (c == '%') {
          if (stop - v < 3 || hex(v[1]) < 0 || hex(v[2]) < 0) return false;
          c = (char)(hex(v[1]) * 16 + hex(v[2]));
          v += 2;
        }
        gh__buf_put(b, &c, 1);
      }
      return !b->failed;
    }
    p = amp ? amp + 1 : NULL;
  }
  return false;
}

int gh__graphql_stage(gh_decision *d, const gh_request *q) {
  const gh__gw_graphql *g = d->route->graphql;
  gh__buf *doc = &d->gql_doc, *name = &d->gql_name;
  doc->len = name->len = 0;
  doc->failed = name->failed = false;
  const char *why = NULL;
  bool get = q->method_len == 3 && !memcmp(q->method, "GET", 3);
  if (get) {
    if (!q->query || !query_param(q->query, q->query_len, "query", doc)) why = "a GraphQL GET carries the document in ?query=";
    else if (q->query) query_param(q->query, q->query_len, "operationName", name);
  } else if (!q->body) {
    why = "the GraphQL guard reads the request body, which this host does not offer";
  } else if (d->content_type.len >= 16 && !strncasecmp(d->content_type.p, "application/json", 16)) {
    gql_members m = {0};
    bool object = false;
    char msg[96] = "";
    if (q->body_len > g->limits.max_bytes * 2 + 4096) {
      why = "the GraphQL request is too large";
    } else if (gh__json_scan(q->body, q->body_len, g->limits.max_bytes * 2 + 4096, 64, on_member, &m, &object, msg,
                             sizeof msg) || !object || !m.query || m.name_not_string) {
      why = "a GraphQL POST is a JSON object with a \"query\" string (and an \"operationName\" string)";
    } else {
      gh__buf_put(doc, m.query, m.query_len); /* room for the unescaped text, never longer */
      size_t n = doc->failed ? SIZE_MAX : gh__json_unescape(m.query, m.query_len, doc->p, doc->cap);
      if (n == SIZE_MAX) why = "the GraphQL request is too large";
      else doc->len = n;
      if (m.name) {
        char nb[256];
        size_t nn = gh__json_unescape(m.name, m.name_len, nb, sizeof nb);
        if (nn == SIZE_MAX) why = "the operation name is too long";
        else gh__buf_put(name, nb, nn);
      }
    }
  } else if (d->content_type.len >= 19 && !strncasecmp(d->content_type.p, "application/graphql", 19)) {
    gh__buf_put(doc, q->body, q->body_len);
  } else {
    why = "a GraphQL POST is application/json (or application/graphql)";
  }
  if (!why && (doc->failed || name->failed)) why = "out of memory";
  if (why) {
    gh__decision_deny(d, GH_STAGE_ROUTE, 400, "route:graphql", "urn:gatehouse:problem:graphql", why, NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_ROUTE, "denied", "GraphQL: %s", why, NULL, NULL, NULL, 0, 0);
    return 1;
  }
  gh__gql_result *r = &d->gql;
  int rc = gh__gql_check(doc->p ? doc->p : "", doc->len, name->p, name->len, &g->limits, r);
  if (!rc && g->n_operations) {
    bool listed = false;
    for (size_t i = 0; i < g->n_operations && !listed; i++) listed = !strcmp(g->operations[i], r->operation);
    if (!listed) rc = r->refusal = GH__GQL_NOT_ALLOWED;
  }
  if (rc) {
    const char *text = gh__gql_refusal_text(rc);
    gh__decision_deny(d, GH_STAGE_ROUTE, 400, "route:graphql", "urn:gatehouse:problem:graphql", text, NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_ROUTE, "denied", "GraphQL: %s (depth %d, %d aliases)", text, NULL, NULL, NULL,
                       r->depth, r->aliases);
    return 1;
  }
  d->has_gql = true;
  gh__decision_trace(d, GH_STAGE_ROUTE, "graphql", "%s %s: depth %d, %d aliases", r->type, r->operation, NULL, NULL,
                     r->depth, r->aliases);
  return 0;
}
