/* Authorization policy: the semantics of issue 3, rule by rule; conditions;
 * configuration errors with JSON paths; the index against the linear
 * reference (explain) on random worlds; allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

static const char *EXAMPLE =
    "{\"roles\": {\"admin\": {\"inherits\": [\"editor\"]}, \"editor\": {\"inherits\": [\"viewer\"]}, \"viewer\": {}},"
    " \"bindings\": [{\"subject\": \"alice\", \"roles\": [\"admin\"]}, {\"subject\": \"vic\", \"roles\": [\"viewer\"]}],"
    " \"rules\": ["
    "  {\"id\": \"read-orders\", \"effect\": \"allow\", \"roles\": [\"viewer\"], \"actions\": [\"GET\"], \"resources\": [\"/orders/*\"]},"
    "  {\"id\": \"own-tenant\", \"effect\": \"allow\", \"scopes\": [\"orders:write\"], \"actions\": [\"POST\", \"PUT\"],"
    "   \"resources\": [\"/tenants/{tenant}/orders/{id}\"], \"when\": {\"param\": {\"tenant\": {\"claim\": \"tenant_id\"}}}},"
    "  {\"id\": \"no-delete-offsite\", \"effect\": \"deny\", \"subjects\": [\"*\"], \"actions\": [\"DELETE\"],"
    "   \"resources\": [\"/orders/{id}\"], \"when\": {\"not\": {\"ip\": [\"10.0.0.0/8\", \"fd00::/8\"]}}},"
    "  {\"id\": \"editors-delete\", \"effect\": \"allow\", \"roles\": [\"editor\"], \"actions\": [\"*\"], \"resources\": [\"/orders/{id}\"]}"
    " ]}";

static gh_policy *compile(const char *json) {
  gh_policy *p;
  char msg[256];
  int rc = gh_policy_parse(&p, json, strlen(json), msg, sizeof msg);
  if (rc) fail_msg("policy: %s", msg);
  return p;
}

/* "decision rule" for a request given as subject, roles, scopes, action, resource and optional context. */
typedef struct req {
  const char *subject, *roles, *scopes, *action, *resource, *claims, *ip, *header, *value;
  int64_t time_s;
} req;

static void fill(gh_policy_request *r, const req *q) {
  gh_policy_request_reset(r);
  if (q->subject) gh_policy_request_set_subject(r, q->subject, strlen(q->subject));
  char buf[256];
  for (int list = 0; list < 2; list++) {
    const char *src = list ? q->scopes : q->roles;
    if (!src) continue;
    snprintf(buf, sizeof buf, "%s", src);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
      list ? gh_policy_request_add_scope(r, t, strlen(t)) : gh_policy_request_add_role(r, t, strlen(t));
  }
  gh_policy_request_set_action(r, q->action, strlen(q->action));
  gh_policy_request_set_resource(r, q->resource, strlen(q->resource));
  if (q->claims) assert_int_equal(gh_policy_request_set_claims(r, q->claims, strlen(q->claims)), GH_OK);
  if (q->ip) assert_int_equal(gh_policy_request_set_client_ip(r, q->ip, strlen(q->ip)), GH_OK);
  if (q->header) gh_policy_request_add_header(r, q->header, strlen(q->header), q->value, strlen(q->value));
  if (q->time_s) gh_policy_request_set_time(r, q->time_s * 1000);
}

static void expect(const gh_policy *p, const req *q, const char *want) {
  gh_policy_request *r;
  assert_int_equal(gh_policy_request_new(&r), GH_OK);
  fill(r, q);
  int decision, d2;
  const char *rule, *r2;
  char *trace;
  assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
  char got[128];
  snprintf(got, sizeof got, "%s %s", decision == GH_POLICY_ALLOW ? "allow" : "deny", rule ? rule : "no-rule");
  if (strcmp(got, want) != 0) fail_msg("%s %s by %s: got \"%s\", want \"%s\"", q->action, q->resource,
                                       q->subject ? q->subject : "-", got, want);
  /* explain reaches the same decision without the index */
  assert_int_equal(gh_policy_explain(p, r, &d2, &r2, &trace, NULL), GH_OK);
  assert_int_equal(d2, decision);
  assert_true(r2 == rule || (r2 && rule && !strcmp(r2, rule)));
  gh_free(trace);
  gh_policy_request_free(r);
}

/* Issue 3: "holders of admin also hold editor and viewer"; deny overrides
 * allow; no applicable rule means deny; the decision names the rule. */
static void test_example_semantics(void **state) {
  (void)state;
  gh_policy *p = compile(EXAMPLE);
  assert_int_equal(gh_policy_rule_count(p), 4);
  assert_int_equal(gh_policy_role_count(p), 3);
  expect(p, &(req){.subject = "alice", .action = "GET", .resource = "/orders/7"}, "allow read-orders");
  expect(p, &(req){.subject = "vic", .action = "GET", .resource = "/orders/7/lines"}, "allow read-orders");
  expect(p, &(req){.subject = "bob", .action = "GET", .resource = "/orders/7"}, "deny no-rule");
  expect(p, &(req){.subject = "bob", .roles = "viewer", .action = "GET", .resource = "/orders/7"}, "allow read-orders");
  expect(p, &(req){.subject = "vic", .action = "POST", .resource = "/orders/7"}, "deny no-rule");
  /* "/orders/" + "*" takes the rest, possibly none: /orders, /orders/ and deeper
   * (a deny there must cover /orders itself; a trailing slash never counts) */
  expect(p, &(req){.subject = "vic", .action = "GET", .resource = "/orders/"}, "allow read-orders");
  expect(p, &(req){.subject = "vic", .action = "GET", .resource = "/orders"}, "allow read-orders");
  expect(p, &(req){.subject = "vic", .action = "GET", .resource = "/order"}, "deny no-rule");
  /* ownership: the {tenant} segment equals the tenant_id claim */
  req own = {.subject = "bob", .scopes = "orders:write", .action = "PUT", .resource = "/tenants/acme/orders/7",
             .claims = "{\"tenant_id\":\"acme\"}"};
  expect(p, &own, "allow own-tenant");
  own.claims = "{\"tenant_id\":\"other\"}";
  expect(p, &own, "deny no-rule");
  own.claims = NULL;
  expect(p, &own, "deny no-rule");
  own.claims = "{\"tenant_id\":\"acme\"}";
  own.scopes = "orders:read";
  expect(p, &own, "deny no-rule");
  /* {id} is exactly one non-empty segment */
  expect(p, &(req){.subject = "bob", .scopes = "orders:write", .action = "PUT", .resource = "/tenants/acme/orders/",
                   .claims = "{\"tenant_id\":\"acme\"}"}, "deny no-rule");
  /* deny overrides allow: editors may delete, but not from outside 10/8 or fd00::/8 */
  expect(p, &(req){.subject = "alice", .action = "DELETE", .resource = "/orders/7", .ip = "10.1.2.3"}, "allow editors-delete");
  expect(p, &(req){.subject = "alice", .action = "DELETE", .resource = "/orders/7", .ip = "fd12::1"}, "allow editors-delete");
  expect(p, &(req){.subject = "alice", .action = "DELETE", .resource = "/orders/7", .ip = "192.0.2.1"}, "deny no-delete-offsite");
  expect(p, &(req){.subject = "alice", .action = "DELETE", .resource = "/orders/7"}, "deny no-delete-offsite"); /* no IP */
  expect(p, &(req){.subject = "vic", .action = "DELETE", .resource = "/orders/7", .ip = "10.0.0.1"}, "deny no-rule");
  gh_policy_free(p);
}

static const char *COND =
    "{\"rules\": ["
    " {\"id\": \"office-hours\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/t\"],"
    "  \"when\": {\"time\": {\"days\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], \"hours\": [9, 17], \"utc_offset\": \"+02:00\"}}},"
    " {\"id\": \"night\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/n\"],"
    "  \"when\": {\"time\": {\"hours\": [22, 6]}}},"
    " {\"id\": \"claims\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/c\"],"
    "  \"when\": {\"claim\": {\"org.plan\": {\"in\": [\"gold\", \"silver\"]}, \"groups\": {\"contains\": \"ops\"},"
    "   \"mfa\": {\"equals\": true}}}},"
    " {\"id\": \"scope-string\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/s\"],"
    "  \"when\": {\"claim\": {\"scope\": {\"contains\": \"b\"}}}},"
    " {\"id\": \"headers\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/h\"],"
    "  \"when\": {\"any\": [{\"header\": {\"X-Env\": {\"equals\": \"prod\"}}}, {\"header\": {\"x-env\": {\"in\": [\"qa\", \"dev\"]}}}]}},"
    " {\"id\": \"params\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/u/{uid}/x/{n}\"],"
    "  \"when\": {\"all\": [{\"param\": {\"uid\": {\"claim\": \"sub\"}}}, {\"param\": {\"n\": {\"equals\": \"1\"}}}]}},"
    " {\"id\": \"numeric-owner\", \"effect\": \"allow\", \"subjects\": [\"*\"], \"actions\": [\"GET\"], \"resources\": [\"/acct/{id}\"],"
    "  \"when\": {\"param\": {\"id\": {\"claim\": \"account\"}}}}"
    "]}";

static void test_conditions(void **state) {
  (void)state;
  gh_policy *p = compile(COND);
  /* 1700000000 is Tuesday 2023-11-14 22:13:20 UTC: Wednesday 00:13:20 at +02:00.
   * 1700031600 is Wednesday 07:00 UTC: 09:00 at +02:00, the window's first second. */
  const int64_t tue_2213_utc = 1700000000, wed_0900_local = 1700031600, sat_1000_utc = 1700302400;
  expect(p, &(req){.action = "GET", .resource = "/t", .time_s = tue_2213_utc}, "deny no-rule");
  expect(p, &(req){.action = "GET", .resource = "/t", .time_s = wed_0900_local - 1}, "deny no-rule");    /* 08:59:59 */
  expect(p, &(req){.action = "GET", .resource = "/t", .time_s = wed_0900_local}, "allow office-hours"); /* 09:00 */
  expect(p, &(req){.action = "GET", .resource = "/t", .time_s = wed_0900_local + 8 * 3600 - 1}, "allow office-hours");
  expect(p, &(req){.action = "GET", .resource = "/t", .time_s = wed_0900_local + 8 * 3600}, "deny no-rule"); /* 17:00 */
  expect(p, &(req){.action = "GET", .resource = "/t", .time_s = sat_1000_utc}, "deny no-rule"); /* Saturday */
  expect(p, &(req){.action = "GET", .resource = "/t"}, "deny no-rule");                          /* no time given */
  expect(p, &(req){.action = "GET", .resource = "/n", .time_s = tue_2213_utc}, "allow night"); /* wraps midnight */
  expect(p, &(req){.action = "GET", .resource = "/n", .time_s = wed_0900_local}, "deny no-rule"); /* 07:00 UTC */
  expect(p, &(req){.action = "GET", .resource = "/n", .time_s = wed_0900_local - 3600 - 1}, "allow night"); /* 05:59:59 */
  const char *good = "{\"org\":{\"plan\":\"gold\"},\"groups\":[\"dev\",\"ops\"],\"mfa\":true}";
  expect(p, &(req){.action = "GET", .resource = "/c", .claims = good}, "allow claims");
  expect(p, &(req){.action = "GET", .resource = "/c", .claims = "{\"org\":{\"plan\":\"bronze\"},\"groups\":[\"ops\"],\"mfa\":true}"},
         "deny no-rule");
  expect(p, &(req){.action = "GET", .resource = "/c", .claims = "{\"org\":{\"plan\":\"gold\"},\"groups\":[\"ops\"],\"mfa\":\"true\"}"},
         "deny no-rule"); /* "true" is not true */
  expect(p, &(req){.action = "GET", .resource = "/s", .claims = "{\"scope\":\"a b c\"}"}, "allow scope-string");
  expect(p, &(req){.action = "GET", .resource = "/s", .claims = "{\"scope\":\"a bb\"}"}, "deny no-rule");
  expect(p, &(req){.action = "GET", .resource = "/h", .header = "X-ENV", .value = "prod"}, "allow headers");
  expect(p, &(req){.action = "GET", .resource = "/h", .header = "x-env", .value = "dev"}, "allow headers");
  expect(p, &(req){.action = "GET", .resource = "/h", .header = "x-env", .value = "Prod"}, "deny no-rule");
  expect(p, &(req){.action = "GET", .resource = "/u/alice/x/1", .claims = "{\"sub\":\"alice\"}"}, "allow params");
  expect(p, &(req){.action = "GET", .resource = "/u/alice/x/2", .claims = "{\"sub\":\"alice\"}"}, "deny no-rule");
  expect(p, &(req){.action = "GET", .resource = "/u/bob/x/1", .claims = "{\"sub\":\"alice\"}"}, "deny no-rule");
  expect(p, &(req){.action = "GET", .resource = "/acct/42", .claims = "{\"account\":42}"}, "allow numeric-owner");
  expect(p, &(req){.action = "GET", .resource = "/acct/42", .claims = "{\"account\":42.5}"}, "deny no-rule");
  gh_policy_free(p);
}

/* Configuration errors name their JSON path. */
static void test_configuration_errors(void **state) {
  (void)state;
  static const struct {
    const char *doc, *path;
  } cases[] = {
      {"{\"roles\":{\"a\":{\"inherits\":[\"b\"]},\"b\":{\"inherits\":[\"c\"]},\"c\":{\"inherits\":[\"a\"]}}}",
       "roles.a.inherits: inheritance cycle a -> b -> c -> a"},
      {"{\"roles\":{\"a\":{\"inherits\":[\"a\"]}}}", "inheritance cycle a -> a"},
      {"{\"roles\":{\"a\":{\"inherits\":[\"nope\"]}}}", "roles.a.inherits[0]: unknown role \"nope\""},
      {"{\"roles\":{\"a\":{\"inherit\":[]}}}", "roles.a: unknown member"},
      {"{\"bindings\":[{\"subject\":\"x\",\"roles\":[\"ghost\"]}]}", "bindings[0].roles[0]: unknown role"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"roles\":[\"ghost\"],\"actions\":[\"GET\"],\"resources\":[\"/\"]}]}",
       "rules[0].roles[0]: unknown role"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"maybe\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"]}]}",
       "rules[0]: \"effect\""},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"actions\":[\"GET\"],\"resources\":[\"/\"]}]}",
       "rules[0]: a rule needs"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/a/*/b\"]}]}",
       "rules[0].resources[0]: bad resource pattern"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"a\"]}]}",
       "rules[0].resources[0]"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"],"
       "\"when\":{\"ip\":[\"10.0.0.1/8\"]}}]}", "rules[0].when.ip[0]: bad CIDR"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/x/{a}\"],"
       "\"when\":{\"param\":{\"b\":{\"claim\":\"sub\"}}}}]}", "rules[0].when.param.b: a resource pattern has no such"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"],"
       "\"when\":{\"all\":[{\"time\":{\"days\":[\"funday\"]}}]}}]}", "rules[0].when.all[0].time.days: days are"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"],"
       "\"when\":{\"claim\":{\"x\":{\"like\":1}}}}]}", "rules[0].when.claim.x: claim operators"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"],"
       "\"when\":{\"geo\":{}}}]}", "rules[0].when.geo: unknown condition"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"]},"
       "{\"id\":\"r\",\"effect\":\"deny\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"/\"]}]}",
       "rules[1]: duplicate rule id"},
      {"{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resource\":[\"/\"]}]}",
       "rules[0]: unknown member \"resource\""},
      {"{\"rule\":[]}", "(document): unknown member \"rule\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gh_policy *p = NULL;
    char msg[256] = "";
    int rc = gh_policy_parse(&p, cases[i].doc, strlen(cases[i].doc), msg, sizeof msg);
    if (rc != GH_EPARSE || !strstr(msg, cases[i].path))
      fail_msg("case %zu: got %s \"%s\", want \"%s\"", i, gh_err_name(rc), msg, cases[i].path);
    assert_null(p);
  }
  gh_policy *p;
  assert_int_equal(gh_policy_parse(&p, "{\"a\":1,\"a\":2}", 13, NULL, 0), GH_EPARSE); /* strict JSON */
  /* a request without action or resource is misuse, not a decision */
  p = compile(EXAMPLE);
  gh_policy_request *r;
  gh_policy_request_new(&r);
  int decision;
  assert_int_equal(gh_policy_decide(p, r, &decision, NULL), GH_EINVAL);
  gh_policy_request_set_action(r, "GET", 3);
  gh_policy_request_set_resource(r, "no-slash", 8);
  assert_int_equal(gh_policy_decide(p, r, &decision, NULL), GH_EINVAL);
  assert_int_equal(gh_policy_request_set_client_ip(r, "300.1.1.1", 9), GH_EINVAL);
  assert_int_equal(gh_policy_request_set_claims(r, "[1]", 3), GH_EPARSE);
  gh_policy_request_free(r);
  gh_policy_free(p);
}

/* Random worlds: the indexed decision equals the linear reference. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static void test_index_equals_linear(void **state) {
  (void)state;
  static const char *const actions[] = {"GET", "PUT", "POST", "DELETE"};
  static const char *const segs[] = {"a", "b", "c", "{x}", "{y}"};
  for (int world = 0; world < 25; world++) {
    char *doc = malloc(1 << 20);
    size_t n = (size_t)sprintf(doc, "{\"roles\":{");
    for (int r = 0; r < 12; r++) {
      char inh[32] = "";
      if (r > 0 && rnd(2)) sprintf(inh, "\"r%u\"", rnd((unsigned)r)); /* a DAG: inherit lower-numbered roles */
      n += (size_t)sprintf(doc + n, "%s\"r%d\":{\"inherits\":[%s]}", r ? "," : "", r, inh);
    }
    n += (size_t)sprintf(doc + n, "},\"bindings\":[{\"subject\":\"u1\",\"roles\":[\"r%u\"]},{\"subject\":\"u2\",\"roles\":[\"r%u\"]}],\"rules\":[",
                         rnd(12), rnd(12));
    for (int i = 0; i < 150; i++) {
      char pat[64] = "", who[32];
      unsigned depth = 1 + rnd(3);
      for (unsigned d = 0; d < depth; d++) sprintf(pat + strlen(pat), "/%s", segs[rnd(5)]);
      if (rnd(4) == 0) strcat(pat, "/*");
      if (rnd(3)) sprintf(who, "\"roles\":[\"r%u\"]", rnd(12));
      else sprintf(who, "\"subjects\":[\"%s\"]", rnd(4) ? (rnd(2) ? "u1" : "u2") : "*");
      n += (size_t)sprintf(doc + n, "%s{\"id\":\"p%d\",\"effect\":\"%s\",%s,\"actions\":[\"%s\"],\"resources\":[\"%s\"]}",
                           i ? "," : "", i, rnd(5) ? "allow" : "deny", who, rnd(6) ? actions[rnd(4)] : "*", pat);
    }
    strcpy(doc + n, "]}");
    gh_policy *p = compile(doc);
    gh_policy_request *r;
    gh_policy_request_new(&r);
    static const char *const path_segs[] = {"a", "b", "c", "zz", ""};
    for (int q = 0; q < 400; q++) {
      char path[64] = "", sub[8];
      unsigned depth = 1 + rnd(4);
      for (unsigned d = 0; d < depth; d++) sprintf(path + strlen(path), "/%s", path_segs[rnd(5)]);
      sprintf(sub, "u%u", 1 + rnd(3));
      gh_policy_request_reset(r);
      gh_policy_request_set_subject(r, sub, strlen(sub));
      if (rnd(3) == 0) {
        char role[8];
        sprintf(role, "r%u", rnd(12));
        gh_policy_request_add_role(r, role, strlen(role));
      }
      const char *a = actions[rnd(4)];
      gh_policy_request_set_action(r, a, strlen(a));
      gh_policy_request_set_resource(r, path, strlen(path));
      int d1, d2;
      const char *r1, *r2;
      char *trace;
      assert_int_equal(gh_policy_decide(p, r, &d1, &r1), GH_OK);
      assert_int_equal(gh_policy_explain(p, r, &d2, &r2, &trace, NULL), GH_OK);
      if (d1 != d2 || (r1 != r2 && (!r1 || !r2 || strcmp(r1, r2))))
        fail_msg("world %d: %s %s %s: index %s %s, linear %s %s", world, sub, a, path, d1 ? "allow" : "deny",
                 r1 ? r1 : "-", d2 ? "allow" : "deny", r2 ? r2 : "-");
      gh_free(trace);
    }
    gh_policy_request_free(r);
    gh_policy_free(p);
    free(doc);
  }
}

/* Differential against node-casbin (RBAC with deny-override and keyMatch2)
 * on generated worlds: tests/vectors/policy/casbin-worlds.json, made by
 * tests/oracles/gen-policy-worlds.mjs, which hands casbin gatehouse's two
 * documented path rules explicitly ("/a/" + "*" also covers "/a"; a trailing
 * slash never counts). Every decision must agree. */
static void test_casbin_differential(void **state) {
  (void)state;
  cJSON *doc = t_load_json("policy/casbin-worlds.json"), *w, *q;
  gh_policy_request *r;
  gh_policy_request_new(&r);
  int checked = 0, allowed = 0;
  cJSON_ArrayForEach(w, cJSON_GetObjectItem(doc, "worlds")) {
    char *json = cJSON_PrintUnformatted(cJSON_GetObjectItem(w, "policy"));
    gh_policy *p = compile(json);
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(w, "queries")) {
      const char *sub = cJSON_GetObjectItem(q, "subject")->valuestring, *act = cJSON_GetObjectItem(q, "action")->valuestring,
                 *res = cJSON_GetObjectItem(q, "resource")->valuestring;
      gh_policy_request_reset(r);
      gh_policy_request_set_subject(r, sub, strlen(sub));
      gh_policy_request_set_action(r, act, strlen(act));
      gh_policy_request_set_resource(r, res, strlen(res));
      int decision;
      const char *rule;
      assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
      int casbin = cJSON_IsTrue(cJSON_GetObjectItem(q, "allow"));
      if (decision != casbin)
        fail_msg("world %d: %s %s %s: gatehouse %s (%s), casbin %s", cJSON_GetObjectItem(w, "seed")->valueint, sub, act,
                 res, decision ? "allow" : "deny", rule ? rule : "no-rule", casbin ? "allow" : "deny");
      checked++;
      allowed += casbin;
    }
    gh_policy_free(p);
    free(json);
  }
  assert_true(checked >= 3000);
  assert_true(allowed > checked / 10 && allowed < checked * 9 / 10); /* both outcomes well represented */
  gh_policy_request_free(r);
  cJSON_Delete(doc);
}

static int parse_example(void) {
  gh_policy *p = NULL;
  int rc = gh_policy_parse(&p, EXAMPLE, strlen(EXAMPLE), NULL, 0);
  gh_policy *q = NULL;
  if (!rc) rc = gh_policy_parse(&q, COND, strlen(COND), NULL, 0);
  gh_policy_free(p);
  gh_policy_free(q);
  return rc;
}

static void test_allocation_failure(void **state) {
  (void)state;
  t_alloc_install();
  long n;
  for (n = 1; n < 100000; n += t_faultsim_step()) {
    t_alloc_fail_at(n);
    int rc = parse_example();
    long made = t_alloc_count();
    if (rc != GH_OK && rc != GH_ENOMEM) fail_msg("failing allocation %ld gave %s", n, gh_err_name(rc));
    if (t_alloc_outstanding()) fail_msg("failing allocation %ld leaked %ld", n, t_alloc_outstanding());
    if (made < n) break;
  }
  t_alloc_fail_at(0);
  assert_true(n > 50);
  assert_int_equal(parse_example(), GH_OK);
  assert_int_equal(t_alloc_outstanding(), 0);
  t_alloc_uninstall();
}

/* A request's strings live inline when short and on the heap when long;
 * setting a field again moves it between the two without leaking or reading
 * freed memory (ASan and valgrind run this). */
static void test_request_strings(void **state) {
  (void)state;
  gh_policy *p = compile(EXAMPLE);
  gh_policy_request *r;
  assert_int_equal(gh_policy_request_new(&r), GH_OK);
  char long_path[300] = "/orders/";
  memset(long_path + 8, 'x', sizeof long_path - 9);
  const char *paths[] = {"/orders/7", long_path, "/orders/8", long_path, long_path};
  int decision;
  const char *rule;
  assert_int_equal(gh_policy_request_set_subject(r, "alice", 5), GH_OK);
  assert_int_equal(gh_policy_request_set_action(r, "GET", 3), GH_OK);
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(gh_policy_request_set_resource(r, paths[i], strlen(paths[i])), GH_OK);
    assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
    assert_int_equal(decision, GH_POLICY_ALLOW); /* /orders/ and any remainder */
  }
  const char *who = "a-subject-longer-than-twenty-four-bytes";
  assert_int_equal(gh_policy_request_set_subject(r, who, strlen(who)), GH_OK);
  assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
  assert_int_equal(decision, GH_POLICY_DENY); /* not alice */
  assert_int_equal(gh_policy_request_set_subject(r, "alice", 5), GH_OK);
  assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
  assert_int_equal(decision, GH_POLICY_ALLOW);
  assert_int_equal(gh_policy_request_set_action(r, "PROPFIND-LONGER", 15), GH_OK); /* past the inline 8 */
  assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
  assert_int_equal(decision, GH_POLICY_ALLOW); /* editors-delete: any action on /orders/{id} */
  assert_string_equal(rule, "editors-delete");
  assert_int_equal(gh_policy_request_set_resource(r, "/orders/7/items", 15), GH_OK);
  assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
  assert_int_equal(decision, GH_POLICY_DENY); /* read-orders is GET only */
  gh_policy_request_reset(r);
  assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_EINVAL); /* no action, no resource */
  gh_policy_request_free(r);
  gh_policy_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_strings),
      cmocka_unit_test(test_example_semantics),   cmocka_unit_test(test_conditions),
      cmocka_unit_test(test_configuration_errors), cmocka_unit_test(test_index_equals_linear),
      cmocka_unit_test(test_allocation_failure),  cmocka_unit_test(test_casbin_differential),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
