/* One request through the pipeline: route → API version and lifecycle →
 * authenticate → authorize → limits → transform → upstream. Each stage
 * either lets the request go on, or answers it (gh__decision_deny) and the
 * pipeline stops. Hooks run before and after each stage, and may replace
 * authentication and authorization. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/core.h"
#include "decision.h"
#include "gatehouse/error.h"
#include "gatehouse/ratelimit.h"
#include "../apim/metrics.h"
#include "graphql_stage.h"
#include "pipeline.h"

#define CONTINUE 0
#define STOP 1

static bool name_is(const gh_header *h, const char *name, size_t n) {
  return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

/* The headers every decision reads, in one pass (or by lookup, for a host that gives a function). */
static void find_headers(gh_decision *d, const gh_request *q) {
  enum { N = 6 };
  gh__span *spans[N] = {&d->authorization, &d->content_type,     &d->accept,
                        &d->accept_version, &d->given_request_id, &d->dpop};
  const char *names[N] = {"Authorization", "Content-Type", "Accept", "Accept-Version", d->snap->request_id_header, "DPoP"};
  for (size_t k = 0; k < N; k++) *spans[k] = (gh__span){NULL, 0};
  if (q->header) {
    for (size_t k = 0; k < N; k++) spans[k]->p = gh__request_header(q, names[k], &spans[k]->len);
    return;
  }
  size_t lens[N];
  for (size_t k = 0; k < N; k++) lens[k] = strlen(names[k]);
  for (size_t i = 0; i < q->n_headers; i++)
    for (size_t k = 0; k < N; k++)
      if (!spans[k]->p && name_is(&q->headers[i], names[k], lens[k])) {
        *spans[k] = (gh__span){q->headers[i].value, q->headers[i].value_len};
        break;
      }
}

/* A GraphQL operation as the policy and limit keys see it: its name, or its type when anonymous. */
static const char *operation_of(const gh_decision *d) { return d->gql.operation[0] ? d->gql.operation : d->gql.type; }

/* The caller's attributes for limit keys and transformations: the identity's,
 * or a hook's subject; and on GraphQL routes the operation. */
static const char *decision_attr(void *ud, const char *name, size_t name_len, size_t *value_len) {
  gh_decision *d = ud;
  if (d->has_gql && name_len == 9 && memcmp(name, "operation", 9) == 0) {
    const char *op = operation_of(d);
    *value_len = strlen(op);
    return op;
  }
  if (d->consumer && name_len == 8 && memcmp(name, "consumer", 8) == 0) {
    *value_len = strlen(d->consumer->name);
    return d->consumer->name;
  }
  if (d->identity) return gh_identity_attr(d->identity, name, name_len, value_len);
  if (d->has_subject && name_len == 7 && memcmp(name, "subject", 7) == 0) {
    *value_len = strlen(d->subject);
    return d->subject;
  }
  return NULL;
}

/* Runs a hook; a failing hook answers 500 and says why in the log, never crashes the host. */
static int run_hook(gh_decision *d, const gh__hook *h, int stage, const char *when, const gh_request *q) {
  if (!h->fn) return CONTINUE;
  int rc = h->fn(h->ud, q, d);
  if (rc == GH_HOOK_CONTINUE && d->verdict != GH_VERDICT_RESPOND) return CONTINUE;
  if (rc == GH_HOOK_ANSWERED || (rc == GH_HOOK_CONTINUE && d->verdict == GH_VERDICT_RESPOND)) {
    if (d->verdict != GH_VERDICT_RESPOND) {
      gh__log(GH_LOG_ERROR, "gateway: the %s hook of stage %s answered without gh_decision_respond", when,
              gh_stage_name(stage));
      gh__decision_deny(d, stage, 500, "hook:no_answer", NULL, "a gateway hook failed", NULL, d->grpc);
    }
    d->stage = stage;
    gh__decision_trace(d, stage, "answered", "%s hook answered %d", when, NULL, NULL, NULL, (long long)(d->status), 0);
    return STOP;
  }
  gh__log(GH_LOG_ERROR, "gateway: the %s hook of stage %s failed: %s (%s)", when, gh_stage_name(stage),
          gh_err_name(rc), gh_strerror(rc));
  d->n_headers = d->arena_used = 0;
  gh__decision_deny(d, stage, 500, "hook:failed", NULL, "a gateway hook failed", NULL, d->grpc);
  gh__decision_trace(d, stage, "failed", "%s hook failed: %s", when, gh_err_name(rc), NULL, NULL, 0, 0);
  return STOP;
}

/* ---- 1. route, API version and lifecycle ---- */

static int route_stage(gh_decision *d, const gh_request *q, int64_t now_ms) {
  const gh__snapshot *s = d->snap;
  const char *path = q->path;
  size_t path_len = q->path_len;
  if (q->query) { /* the router reads api-version from the query, transformations keep it */
    gh__buf_put(&d->scratch, q->path, q->path_len);
    gh__buf_put(&d->scratch, "?", 1);
    gh__buf_put(&d->scratch, q->query, q->query_len);
    if (d->scratch.failed) {
      gh__decision_deny(d, GH_STAGE_ROUTE, 500, "route:out_of_memory", NULL, "out of memory", NULL, d->grpc);
      return STOP;
    }
    path = d->scratch.p, path_len = d->scratch.len;
  }
  gh_route_request rq = {.method = q->method, .method_len = q->method_len, .path = path, .path_len = path_len,
                         .host = q->host, .host_len = q->host_len};
  rq.accept_version = d->accept_version.p, rq.accept_version_len = d->accept_version.len;
  rq.accept = d->accept.p, rq.accept_len = d->accept.len;
  gh_route_match *m = &d->match;
  int rc = gh_router_match_request(s->router, &rq, m);
  if (rc) {
    gh__decision_deny(d, GH_STAGE_ROUTE, 400, "route:bad_request", NULL, "the request cannot be routed", NULL, d->grpc);
    return STOP;
  }
  switch (m->status) {
    case 200: break;
    case 204:
      gh__decision_add_header(d, "Allow", m->allow, strlen(m->allow));
      gh__decision_deny(d, GH_STAGE_ROUTE, 204, "route:options", NULL, NULL, NULL, false);
      gh__decision_trace(d, GH_STAGE_ROUTE, "answered", "OPTIONS: Allow %s", m->allow, NULL, NULL, NULL, 0, 0);
      return STOP;
    case 308:
      gh__decision_add_header(d, "Location", m->location, strlen(m->location));
      gh__decision_deny(d, GH_STAGE_ROUTE, 308, "route:redirect", NULL, NULL, NULL, false);
      gh__decision_trace(d, GH_STAGE_ROUTE, "redirected", "to %s", m->location, NULL, NULL, NULL, 0, 0);
      return STOP;
    case 405:
      gh__decision_add_header(d, "Allow", m->allow, strlen(m->allow)); /* RFC 9110 §15.5.6 */
      gh__decision_deny(d, GH_STAGE_ROUTE, 405, "route:method_not_allowed", NULL,
                        "the resource does not support this method", NULL, d->grpc);
      gh__decision_trace(d, GH_STAGE_ROUTE, "denied", "method not allowed; Allow %s", m->allow, NULL, NULL, NULL, 0, 0);
      return STOP;
    default: {
      int st = m->status == 404 || m->status == 400 || m->status == 414 ? m->status : 404;
      const char *why = st == 404 ? "no route matches the request" : st == 414 ? "the path is too long"
                                                                             : "the path is not acceptable";
      gh__decision_deny(d, GH_STAGE_ROUTE, st, st == 404 ? "route:not_found" : st == 414 ? "route:uri_too_long" : "route:bad_path",
                        NULL, why, NULL, d->grpc);
      gh__decision_trace(d, GH_STAGE_ROUTE, "denied", "%s", why, NULL, NULL, NULL, 0, 0);
      return STOP;
    }
  }
  const gh__gw_route *route = d->route = m->ud;
  const gh__api_version *v = route->version;
  gh__decision_trace(d, GH_STAGE_ROUTE, "matched", "route %s (%s)", route->name, m->pattern, NULL, NULL, 0, 0);
  if (!v) return route->graphql && gh__graphql_stage(d, q) ? STOP : CONTINUE;
  if (gh__api_version_retired_at(v, now_ms)) {
    char *body = NULL;
    size_t len = 0;
    gh__decision_deny(d, GH_STAGE_ROUTE, 410, "route:retired", NULL, "retired", NULL, d->grpc);
    if (!d->grpc && !gh__api_version_gone(v, &body, &len)) { /* RFC 9457 with the successor named */
      d->body.len = 0;
      gh__buf_put(&d->body, body, len);
      gh__free(body);
    }
    if (v->link_value) gh__decision_add_header(d, "Link", v->link_value, strlen(v->link_value));
    gh__decision_trace(d, GH_STAGE_ROUTE, "denied", "API %s version %s is retired%s%s", v->api, v->version, v->successor ? "; successor " : "", v->successor ? v->successor : "", 0, 0);
    return STOP;
  }
  if (v->deprecation_value) gh__decision_add_header(d, "Deprecation", v->deprecation_value, strlen(v->deprecation_value));
  if (v->sunset_value) gh__decision_add_header(d, "Sunset", v->sunset_value, strlen(v->sunset_value));
  if (v->link_value && v->state == GH__API_DEPRECATED) gh__decision_add_header(d, "Link", v->link_value, strlen(v->link_value));
  gh__decision_trace(d, GH_STAGE_ROUTE, gh__api_state_name(v->state), "API %s version %s", v->api, v->version, NULL, NULL, 0, 0);
  return route->graphql && gh__graphql_stage(d, q) ? STOP : CONTINUE;
}

/* ---- 2. authenticate ---- */

static bool has_role(const gh_identity *id, const char *role) {
  for (size_t i = 0; i < gh_identity_role_count(id); i++)
    if (strcmp(gh_identity_role(id, i), role) == 0) return true;
  return false;
}

static bool has_scope(const gh_identity *id, const char *scope) {
  for (size_t i = 0; i < gh_identity_scope_count(id); i++)
    if (strcmp(gh_identity_scope(id, i), scope) == 0) return true;
  return false;
}

static int authenticate_stage(gh_decision *d, const gh_request *q, int64_t now_ms) {
  const gh__gw_route *route = d->route;
  const gh__gw_realm *realm = route->realm;
  /* d->htu, not scratch: the route's path may point into it */
  gh__realm_credentials(realm, q, d->authorization.p, d->authorization.len, d->dpop.p, d->dpop.len, d->auth, &d->htu);
  int reason = 0;
  char challenge[512];
  int rc = gh_realm_authenticate(realm->realm, d->auth, now_ms, &d->identity, &reason, challenge, sizeof challenge);
  if (rc == GH_EDENIED && reason == GH_AUTH_NO_CREDENTIALS && route->auth == GH__AUTH_OPTIONAL) {
    gh__decision_trace(d, GH_STAGE_AUTHENTICATE, "anonymous", "no credentials; realm %s allows anonymous calls here", realm->name, NULL, NULL, NULL, 0, 0);
    return CONTINUE;
  }
  if (rc == GH_EDENIED) {
    char r[96];
    snprintf(r, sizeof r, "authenticate:%s", gh_auth_reason_name(reason));
    int status = gh_auth_reason_status(reason);
    /* RFC 6750 §3: a request without credentials gets a challenge without an error code */
    gh__decision_deny(d, GH_STAGE_AUTHENTICATE, status, r, NULL, gh_auth_reason_message(reason),
                      status == 401 ? challenge : NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_AUTHENTICATE, "denied", "realm %s: %s", realm->name, gh_auth_reason_name(reason), NULL, NULL, 0, 0);
    return STOP;
  }
  if (rc) {
    gh__log(GH_LOG_ERROR, "gateway: authentication in realm %s failed: %s", realm->name, gh_strerror(rc));
    gh__decision_deny(d, GH_STAGE_AUTHENTICATE, rc == GH_ENOMEM ? 503 : 500, "authenticate:error", NULL,
                      "authentication could not be completed", NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_AUTHENTICATE, "failed", "%s", gh_err_name(rc), NULL, NULL, NULL, 0, 0);
    return STOP;
  }
  gh__decision_trace(d, GH_STAGE_AUTHENTICATE, "authenticated", "subject %s by %s in realm %s", gh_identity_subject(d->identity), gh_identity_idp(d->identity), realm->name, NULL, 0, 0);
  return CONTINUE;
}

/* The consumer the caller is (API management): by subject (an API key of a
 * consumer authenticates as the consumer's name), else by OAuth client id. */
static void recognise_consumer(gh_decision *d) {
  const gh__snapshot *s = d->snap;
  if (!s->n_consumers) return;
  char key[300];
  const char *subject = gh_decision_subject(d);
  const char *client = d->identity ? gh_identity_client_id(d->identity) : NULL;
  const char *ids[2] = {subject, client};
  for (int k = 0; k < 2 && !d->consumer; k++) {
    size_t n = ids[k] ? strlen(ids[k]) : 0;
    if (!n || n + 1 > sizeof key) continue;
    key[0] = k ? 'c' : 's';
    memcpy(key + 1, ids[k], n);
    uint32_t id = gh__strmap_find(&s->consumer_ids, key, n + 1);
    if (id != UINT32_MAX) d->consumer = &s->consumers[s->consumer_of[id]];
  }
  if (d->consumer)
    gh__decision_trace(d, GH_STAGE_AUTHENTICATE, "consumer", "consumer %s, plan %s", d->consumer->name,
                       d->consumer->plan ? d->consumer->plan->name : "(none)", NULL, NULL, 0, 0);
}

/* A consumer calls a version that requires it only through an active
 * subscription: to that version, or to every version of the API ("*"); the
 * one naming the version wins. */
static int subscription_check(gh_decision *d, const gh__api_version *v) {
  const gh__gw_consumer *c = d->consumer;
  const gh__gw_subscription *found = NULL;
  for (size_t i = 0; c && i < c->n_subscriptions; i++) {
    const gh__gw_subscription *s = &c->subscriptions[i];
    if (strcmp(s->api, v->api) || (s->version && strcmp(s->version, v->version))) continue;
    if (!found || s->version) found = s;
  }
  if (found && found->state == GH__SUB_ACTIVE) {
    gh__decision_trace(d, GH_STAGE_AUTHORIZE, "subscribed", "consumer %s to API %s version %s", c->name, v->api,
                       v->version, NULL, 0, 0);
    return CONTINUE;
  }
  if (!gh_decision_subject(d)) { /* credentials may make the caller a consumer */
    char challenge[300];
    snprintf(challenge, sizeof challenge, "Bearer realm=\"%s\"", d->route->realm ? d->route->realm->name : "gatehouse");
    gh__decision_deny(d, GH_STAGE_AUTHORIZE, 401, "authorize:subscription", NULL,
                      "authentication is required for this API", challenge, d->grpc);
    gh__decision_trace(d, GH_STAGE_AUTHORIZE, "denied", "API %s version %s needs a subscription; the caller is anonymous", v->api, v->version, NULL, NULL, 0, 0);
    return STOP;
  }
  const char *type = "urn:gatehouse:problem:subscription-required";
  if (!c)
    snprintf(d->note, sizeof d->note, "API %s version %s is called through a subscription; the caller is not a registered consumer", v->api, v->version);
  else if (!found)
    snprintf(d->note, sizeof d->note, "consumer %s has no subscription to API %s version %s", c->name, v->api, v->version);
  else
    snprintf(d->note, sizeof d->note, "the subscription of consumer %s to API %s version %s is suspended", c->name, v->api, v->version),
        type = "urn:gatehouse:problem:subscription-suspended";
  gh__decision_deny(d, GH_STAGE_AUTHORIZE, 403, found ? "authorize:subscription_suspended" : "authorize:no_subscription",
                    type, d->note, NULL, d->grpc);
  gh__decision_trace(d, GH_STAGE_AUTHORIZE, "denied", "%s", d->note, NULL, NULL, NULL, 0, 0);
  return STOP;
}

/* Required scopes (RFC 6750 §3.1 insufficient_scope) and a draft's roles. */
static int entitlement_checks(gh_decision *d) {
  const gh__gw_route *route = d->route;
  for (size_t i = 0; i < route->n_scopes; i++) {
    if (d->identity && has_scope(d->identity, route->scopes[i])) continue;
    char challenge[512];
    if (d->identity) gh_identity_challenge_insufficient_scope(d->identity, route->scopes[i], challenge, sizeof challenge);
    else snprintf(challenge, sizeof challenge, "Bearer realm=\"%s\", scope=\"%s\"", route->realm->name, route->scopes[i]);
    bool anonymous = !d->identity;
    gh__decision_deny(d, GH_STAGE_AUTHORIZE, anonymous ? 401 : 403, "authorize:insufficient_scope", NULL,
                      "the token lacks a scope this operation requires", challenge, d->grpc);
    gh__decision_trace(d, GH_STAGE_AUTHORIZE, "denied", "scope %s required", route->scopes[i], NULL, NULL, NULL, 0, 0);
    return STOP;
  }
  const gh__api_version *v = route->version;
  if (v && v->state == GH__API_DRAFT) {
    bool allowed = false;
    for (size_t i = 0; d->identity && i < v->n_draft_roles && !allowed; i++) allowed = has_role(d->identity, v->draft_roles[i]);
    if (!allowed) { /* a draft is invisible to others: 404, as if it did not exist */
      gh__decision_deny(d, GH_STAGE_AUTHORIZE, 404, "authorize:draft", NULL, "no route matches the request", NULL,
                        d->grpc);
      gh__decision_trace(d, GH_STAGE_AUTHORIZE, "denied", "API %s version %s is a draft; the caller has none of its roles", v->api, v->version, NULL, NULL, 0, 0);
      return STOP;
    }
  }
  if (v && v->subscription_required) return subscription_check(d, v);
  return CONTINUE;
}

/* ---- 3. authorize ---- */

static int authorize_stage(gh_decision *d, const gh_request *q, int64_t now_ms) {
  if (entitlement_checks(d) == STOP) return STOP;
  const gh_policy *p = d->route->policy;
  if (!p) return CONTINUE;
  gh_policy_request *r = d->policy;
  unsigned reads = gh_policy_reads(p); /* a claims document is parsed only for a policy that reads it */
  gh_policy_request_reset(r);
  const char *subject = gh_decision_subject(d);
  if (subject) gh_policy_request_set_subject(r, subject, strlen(subject));
  if (d->identity) {
    for (size_t i = 0; i < gh_identity_role_count(d->identity); i++) {
      const char *role = gh_identity_role(d->identity, i);
      gh_policy_request_add_role(r, role, strlen(role));
    }
    for (size_t i = 0; i < gh_identity_scope_count(d->identity); i++) {
      const char *scope = gh_identity_scope(d->identity, i);
      gh_policy_request_add_scope(r, scope, strlen(scope));
    }
    size_t len = 0;
    const char *claims = (reads & GH_POLICY_READS_CLAIMS) ? gh_identity_claims(d->identity, &len) : NULL;
    if (claims && len) gh_policy_request_set_claims(r, claims, len);
  }
  if (d->has_gql) /* on a GraphQL route the action is the operation: rules name GetOrder, not POST */
    gh_policy_request_set_action(r, operation_of(d), strlen(operation_of(d)));
  else
    gh_policy_request_set_action(r, q->method, q->method_len);
  /* the resource is the path within the API version, so that one policy serves every version */
  const char *res = d->match.path;
  size_t res_len = d->match.path_len;
  const gh__api_version *v = d->route->version;
  size_t base = v && v->base_path ? strlen(v->base_path) : 0;
  if (base && res_len > base && memcmp(res, v->base_path, base) == 0 && res[base] == '/') res += base, res_len -= base;
  gh_policy_request_set_resource(r, res, res_len);
  if (q->client_ip && (reads & GH_POLICY_READS_IP)) gh_policy_request_set_client_ip(r, q->client_ip, q->client_ip_len);
  for (size_t i = 0; (reads & GH_POLICY_READS_HEADERS) && i < q->n_headers; i++)
    gh_policy_request_add_header(r, q->headers[i].name, q->headers[i].name_len, q->headers[i].value,
                                 q->headers[i].value_len);
  if (reads & GH_POLICY_READS_TIME) gh_policy_request_set_time(r, now_ms);
  int decision = GH_POLICY_DENY;
  const char *rule = NULL;
  int rc = gh_policy_decide(p, r, &decision, &rule);
  if (rc) {
    gh__log(GH_LOG_ERROR, "gateway: policy decision failed: %s", gh_strerror(rc));
    gh__decision_deny(d, GH_STAGE_AUTHORIZE, 500, "authorize:error", NULL, "authorization could not be completed",
                      NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_AUTHORIZE, "failed", "%s", gh_err_name(rc), NULL, NULL, NULL, 0, 0);
    return STOP;
  }
  if (decision == GH_POLICY_ALLOW) {
    gh__decision_trace(d, GH_STAGE_AUTHORIZE, "allowed", "rule %s", rule ? rule : "(none)", NULL, NULL, NULL, 0, 0);
    return CONTINUE;
  }
  /* an anonymous caller may succeed with credentials (401); a known one may not (403) */
  char challenge[512];
  bool anonymous = !subject;
  if (anonymous) snprintf(challenge, sizeof challenge, "Bearer realm=\"%s\"", d->route->realm ? d->route->realm->name : "gatehouse");
  gh__decision_deny(d, GH_STAGE_AUTHORIZE, anonymous ? 401 : 403, "authorize:deny", NULL,
                    anonymous ? "authentication is required for this operation" : "the policy does not allow this request",
                    anonymous ? challenge : NULL, d->grpc);
  gh__decision_trace(d, GH_STAGE_AUTHORIZE, "denied", rule ? "rule %s" : "no rule allows it%s", rule ? rule : "", NULL, NULL, NULL, 0, 0);
  return STOP;
}

/* ---- 4. limits ---- */

static int limit_stage(gh_decision *d, const gh_request *q, int64_t now_ms) {
  const gh__gw_route *route = d->route;
  const gh__gw_limit *all[GH__DECISION_SLOTS]; /* the route's, then the consumer's plan's (at most 8: checked at load) */
  size_t n = 0;
  for (size_t i = 0; i < route->n_limits && n < GH__DECISION_SLOTS; i++) all[n++] = route->limits[i];
  const gh__gw_plan *plan = d->consumer ? d->consumer->plan : NULL;
  for (size_t i = 0; plan && i < plan->n_limits && n < GH__DECISION_SLOTS; i++) all[n++] = plan->limits[i];
  if (!n) return CONTINUE;
  gh_limiter *limiters[GH__DECISION_SLOTS];
  const char *keys[GH__DECISION_SLOTS];
  size_t lens[GH__DECISION_SLOTS];
  size_t klen = 0;
  const char *api_key = d->route->realm && d->route->realm->api_key_header ? gh__request_header(q, d->route->realm->api_key_header, &klen) : NULL;
  gh_limit_key_source src = {.attr = decision_attr, .attr_ud = d, .client_ip = q->client_ip,
                             .client_ip_len = q->client_ip_len, .route = route->name,
                             .route_len = strlen(route->name), .api_key = api_key, .api_key_len = klen,
                             .headers = q->headers, .n_headers = q->n_headers};
  for (size_t i = 0; i < n; i++) {
    const gh__gw_limit *l = all[i];
    limiters[i] = l->limiter->object;
    if (i && !strcmp(l->recipe, all[i - 1]->recipe)) { /* per second and per day by the same key: built once */
      memcpy(d->limit_keys[i], d->limit_keys[i - 1], lens[i - 1] + 1);
      lens[i] = lens[i - 1];
      keys[i] = d->limit_keys[i];
      continue;
    }
    int rc = gh_limit_key_build(l->key, &src, d->limit_keys[i], GH__LIMIT_KEY_MAX, &lens[i]);
    if (rc) { /* no part of the recipe is present: count the caller by address instead of not at all */
      lens[i] = 0;
      if (q->client_ip) rc = gh_limit_key_for_ip(q->client_ip, q->client_ip_len, 0, d->limit_keys[i], GH__LIMIT_KEY_MAX);
      if (rc) snprintf(d->limit_keys[i], GH__LIMIT_KEY_MAX, "-");
      lens[i] = strlen(d->limit_keys[i]);
    }
    keys[i] = d->limit_keys[i];
  }
  int allowed = 0;
  size_t denied_by = 0;
  uint64_t remaining = 0;
  int64_t retry_ms = 0;
  int rc = gh_limiter_take_all(limiters, keys, lens, n, 1, now_ms, &allowed, &denied_by, &remaining, &retry_ms);
  if (rc) {
    gh__log(GH_LOG_ERROR, "gateway: limits failed: %s", gh_strerror(rc));
    gh__decision_deny(d, GH_STAGE_LIMIT, 503, "limit:error", NULL, "limits could not be checked", NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_LIMIT, "failed", "%s", gh_err_name(rc), NULL, NULL, NULL, 0, 0);
    return STOP;
  }
  size_t shown_at = denied_by < n ? denied_by : 0; /* the denying limit, or the one closest to denying */
  const gh_limiter *shown = limiters[shown_at];
  const char *policy = all[shown_at]->policy_field; /* constant: rendered at load */
  char state[256];
  int64_t reset = allowed ? 0 : retry_ms;
  if (policy && !gh_limiter_fields(shown, remaining, reset < 0 ? 0 : reset, NULL, 0, state, sizeof state)) {
    gh__decision_add_header(d, "RateLimit-Policy", policy, strlen(policy));
    gh__decision_add_header(d, "RateLimit", state, strlen(state));
  }
  if (allowed) {
    d->quota_taken = plan && plan->quota;
    for (size_t i = 0; i < n; i++)
      if (all[i]->concurrency) d->slots[d->n_slots++].limiter = limiters[i], d->slots[d->n_slots - 1].key = i;
    gh__decision_trace(d, GH_STAGE_LIMIT, "allowed", "%zu limit(s); %llu remaining", NULL, NULL, NULL, NULL, (long long)(n), (long long)((unsigned long long)remaining));
    return CONTINUE;
  }
  char r[96], retry[32];
  snprintf(r, sizeof r, "limit:%s", all[denied_by]->name);
  if (retry_ms >= 0) {
    snprintf(retry, sizeof retry, "%lld", (long long)gh_limit_retry_after_seconds(retry_ms));
    gh__decision_add_header(d, "Retry-After", retry, strlen(retry)); /* RFC 9110 §10.2.3 */
  }
  char problem[512];
  gh__decision_deny(d, GH_STAGE_LIMIT, 429, r, NULL, "rate limit exceeded", NULL, d->grpc);
  if (!d->grpc && !gh_limiter_problem(shown, retry_ms, problem, sizeof problem)) {
    d->body.len = 0;
    gh__buf_puts(&d->body, problem);
  }
  gh__decision_trace(d, GH_STAGE_LIMIT, "denied", "limit %s", all[denied_by]->name, NULL, NULL, NULL, 0, 0);
  return STOP;
}

/* ---- 5. transform ---- */

static int transform_stage(gh_decision *d, const gh_request *q, int64_t now_ms) {
  (void)now_ms;
  const gh_transform *t = d->route->transform;
  gh__buf_put(&d->up_path, d->match.path, d->match.path_len); /* canonical: what the router and policy saw */
  if (q->query) {
    gh__buf_put(&d->up_path, "?", 1);
    gh__buf_put(&d->up_path, q->query, q->query_len);
  }
  gh__buf_put(&d->up_path, "", 1);
  d->up_path.len--;
  if (d->up_path.failed) {
    gh__decision_deny(d, GH_STAGE_TRANSFORM, 503, "transform:out_of_memory", NULL, "out of memory", NULL, d->grpc);
    return STOP;
  }
  d->up_headers = q->headers;
  d->n_up_headers = q->n_headers;
  if (!t) return CONTINUE;
  gh_transform_input in = {.headers = q->headers, .n_headers = q->n_headers, .path = d->up_path.p,
                           .path_len = d->up_path.len, .attr = decision_attr, .attr_ud = d, .route = &d->match};
  char msg[256] = "";
  int rc = gh_transform_request(t, &in, &d->transformed, msg, sizeof msg);
  if (rc) {
    bool client = rc == GH_EDENIED;
    gh__decision_deny(d, GH_STAGE_TRANSFORM, client ? 400 : 500, client ? "transform:refused" : "transform:error",
                      NULL, client ? "the request cannot be transformed" : "the transformation failed", NULL, d->grpc);
    snprintf(d->note, sizeof d->note, "%s", msg);
    gh__decision_trace(d, GH_STAGE_TRANSFORM, "denied", "%s", d->note, NULL, NULL, NULL, 0, 0);
    return STOP;
  }
  d->has_transformed = true;
  d->up_headers = d->transformed.headers;
  d->n_up_headers = d->transformed.n_headers;
  d->up_path.len = 0;
  gh__buf_put(&d->up_path, d->transformed.path, d->transformed.path_len);
  gh__buf_put(&d->up_path, "", 1);
  d->up_path.len--;
  gh__decision_trace(d, GH_STAGE_TRANSFORM, "applied", "path %.*s", d->up_path.p ? d->up_path.p : "", NULL, NULL, NULL, (long long)((int)(d->up_path.len > 120 ? 120 : d->up_path.len)), 0);
  return CONTINUE;
}

/* ---- 6. upstream ---- */

static int upstream_stage(gh_decision *d, const gh_request *q, int64_t now_ms) {
  (void)now_ms;
  const gh__gw_pool *pool = d->route->pool;
  gh_upstream *u = pool->upstream->object;
  const char *key = NULL;
  size_t key_len = 0;
  if (pool->hash_key) {
    if (strcmp(pool->hash_key, "ip") == 0) key = q->client_ip, key_len = q->client_ip_len;
    else if (strcmp(pool->hash_key, "subject") == 0 && (key = gh_decision_subject(d))) key_len = strlen(key);
    else if (strncmp(pool->hash_key, "header:", 7) == 0) key = gh__request_header(q, pool->hash_key + 7, &key_len);
  }
  size_t target = 0;
  int rc = gh_upstream_pick(u, key, key_len, &target);
  if (rc) {
    gh__decision_deny(d, GH_STAGE_UPSTREAM, 503, "upstream:unavailable", NULL, "no upstream target can take the request",
                      NULL, d->grpc);
    gh__decision_trace(d, GH_STAGE_UPSTREAM, "denied", "pool %s: %s", pool->name, gh_err_name(rc), NULL, NULL, 0, 0);
    return STOP;
  }
  d->upstream = u;
  d->target = target;
  d->picked = true;
  gh__decision_trace(d, GH_STAGE_UPSTREAM, "picked", "pool %s: %s", pool->name, gh_upstream_target(u, target), NULL, NULL, 0, 0);
  return CONTINUE;
}

/* ---- the whole ---- */

static bool request_id_ok(const char *p, size_t n) {
  if (!n || n > 128) return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.' || c == ':'))
      return false;
  }
  return true;
}

/* The client's request id when well-formed (its header found by find_headers), else a new one. */
static void set_request_id(gh_decision *d) {
  size_t len = d->given_request_id.len;
  const char *given = d->given_request_id.p;
  if (given && request_id_ok(given, len)) {
    memcpy(d->request_id, given, len);
    d->request_id[len] = 0;
    return;
  }
  static const char hex[] = "0123456789abcdef";
  uint64_t id[2];
  gh__gateway_request_id(d->gw, id);
  for (int i = 0; i < 32; i++) d->request_id[i] = hex[(id[i / 16] >> (60 - 4 * (i % 16))) & 15];
  d->request_id[32] = 0;
}

typedef int (*stage_fn)(gh_decision *, const gh_request *, int64_t);
static int authenticate_or_skip(gh_decision *d, const gh_request *q, int64_t now) {
  if (d->route->auth == GH__AUTH_NONE) return CONTINUE;
  return authenticate_stage(d, q, now);
}

/* One stage with its hooks: before, the stage or the hook replacing it, after. */
static int run_stage(gh_decision *d, const gh__hooks *hooks, int st, const gh_request *q, int64_t now_ms) {
  static const stage_fn stages[GH_STAGE_COUNT] = {route_stage, authenticate_or_skip, authorize_stage,
                                                   limit_stage, transform_stage, upstream_stage};
  if (hooks->stage[st][GH_HOOK_BEFORE].fn && run_hook(d, &hooks->stage[st][GH_HOOK_BEFORE], st, "before", q) == STOP)
    return STOP;
  int outcome;
  bool replaced = hooks->stage[st][GH_HOOK_REPLACE].fn && d->route &&
                  (st == GH_STAGE_AUTHORIZE || (st == GH_STAGE_AUTHENTICATE && d->route->auth != GH__AUTH_NONE));
  if (replaced) {
    outcome = run_hook(d, &hooks->stage[st][GH_HOOK_REPLACE], st, "replacing", q);
    if (outcome == CONTINUE) gh__decision_trace(d, st, "replaced", "by the host's hook", NULL, NULL, NULL, NULL, 0, 0);
  } else {
    outcome = stages[st](d, q, now_ms);
  }
  if (outcome == STOP) return STOP;
  if (st == GH_STAGE_ROUTE && d->grpc == false && d->route && d->route->grpc) d->grpc = true;
  if (hooks->stage[st][GH_HOOK_AFTER].fn && run_hook(d, &hooks->stage[st][GH_HOOK_AFTER], st, "after", q) == STOP)
    return STOP;
  return CONTINUE;
}

int gh_gateway_decide(gh_gateway *gw, const gh_request *q, int64_t now_ms, gh_decision *d) {
  if (!d) return GH_EINVAL;
  if (d->open) gh_gateway_complete(d->gw, d, 0, -1, 0, 0);
  gh__decision_reset(d);
  if (!gw || !q || !q->method || !q->path || (!q->headers && q->n_headers) || !gh__time_ok(now_ms)) {
    gh__decision_deny(d, GH_STAGE_ROUTE, 500, "error:invalid_argument", NULL, "the gateway was called wrongly", NULL, false);
    return GH_EINVAL;
  }
  if (!gh__gateway_loaded(gw)) {
    gh__decision_deny(d, GH_STAGE_ROUTE, 503, "error:no_configuration", NULL, "the gateway has no configuration", NULL,
                      false);
    return GH_EMISUSE;
  }
  d->gw = gw;
  d->snap = gh__gateway_acquire(gw);
  d->open = true;
  d->config_version = d->snap->version;
  d->now_ms = now_ms;
  find_headers(d, q);
  d->grpc = d->content_type.len >= 16 && strncasecmp(d->content_type.p, "application/grpc", 16) == 0;
  set_request_id(d);
  const gh__hooks *hooks = gh__gateway_hooks(gw);
  d->timed = d->snap->metrics || hooks->access_log;
  uint64_t lap = 0;
  if (d->timed) {
    for (int p = 0; p < 4; p++) d->part_ticks[p] = -1;
    size_t m = q->method_len < sizeof d->method - 1 ? q->method_len : sizeof d->method - 1;
    memcpy(d->method, q->method, m);
    d->method[m] = 0;
    lap = gh__ticks();
  }
  for (int st = 0; st < GH_STAGE_COUNT; st++) {
    d->stage = st;
    int outcome = run_stage(d, hooks, st, q, now_ms);
    /* each stage's time, with its hooks, goes to its part; transform and upstream share one reading */
    if (d->timed && (st != GH_STAGE_TRANSFORM || outcome == STOP)) {
      static const int part_of[GH_STAGE_COUNT] = {GH_METRIC_OTHER, GH_METRIC_AUTHENTICATE, GH_METRIC_AUTHORIZE,
                                                  GH_METRIC_LIMITS, GH_METRIC_OTHER, GH_METRIC_OTHER};
      uint64_t now = gh__ticks();
      int64_t *part = &d->part_ticks[part_of[st]];
      *part = (*part < 0 ? 0 : *part) + (int64_t)(now - lap);
      lap = now;
    }
    if (outcome == STOP) return GH_OK;
    if (st == GH_STAGE_AUTHENTICATE) recognise_consumer(d);
  }
  d->verdict = GH_VERDICT_FORWARD;
  d->stage = -1;
  snprintf(d->reason, sizeof d->reason, "forward");
  return GH_OK;
}

void gh_gateway_complete(gh_gateway *gw, gh_decision *d, int status, int64_t upstream_ms, uint64_t bytes_in,
                         uint64_t bytes_out) {
  if (!d || !d->open || !gw || d->gw != gw) return;
  d->open = false;
  if (d->picked) {
    if (upstream_ms >= 0 || status == 0) {
      /* passive health: a refused connection or a 5xx counts against the target, at the decision's
       * time plus the upstream's (no clock read here: deterministic, and cheaper) */
      int64_t at = d->now_ms + (upstream_ms > 0 && upstream_ms < GH_TIME_MAX_MS - d->now_ms ? upstream_ms : 0);
      gh_upstream_report(d->upstream, d->target, status > 0 && status < 500, at);
    }
    gh_upstream_release(d->upstream, d->target);
  }
  for (size_t i = 0; i < d->n_slots; i++) {
    size_t k = d->slots[i].key;
    gh_limiter_release(d->slots[i].limiter, d->limit_keys[k], strlen(d->limit_keys[k]), 1);
  }
  const gh__hooks *hooks = gh__gateway_hooks(gw);
  if (d->snap->metrics || d->snap->usage || hooks->access_log)
    gh__gateway_account(gw, d, status, upstream_ms, bytes_in, bytes_out);
  if (hooks->completion) hooks->completion(hooks->completion_ud, d, status, upstream_ms, bytes_in, bytes_out);
  gh_identity_free(d->identity);
  d->identity = NULL;
  if (d->has_transformed) gh_transform_result_free(&d->transformed);
  d->has_transformed = false;
  d->up_headers = NULL;
  d->n_up_headers = 0;
  gh__snapshot *s = d->snap;
  d->snap = NULL;
  d->route = NULL; /* it lived in the snapshot */
  gh__gateway_release(gw, s);
}
