/* Canonical paths (gatehouse/path.h), and what they are for: the router, the
 * policy engine and transformations agree on which resource a request names,
 * however the client spells it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/path.h"
#include "gatehouse.h"

static char out[GH_PATH_MAX + 1];

static int canon(const char *in, unsigned flags) {
  size_t n;
  char msg[128];
  int rc = gh_path_canonicalize(in, strlen(in), flags, out, sizeof out, &n, msg, sizeof msg);
  if (!rc) assert_int_equal(n, strlen(out));
  else if (rc == GH_EPARSE) assert_true(msg[0]); /* a refusal always says why */
  return rc;
}

static void expect_canon(const char *in, const char *want) {
  if (canon(in, 0) != GH_OK) fail_msg("%s: refused", in);
  if (strcmp(out, want)) fail_msg("%s: got %s, want %s", in, out, want);
  char again[GH_PATH_MAX + 1];
  memcpy(again, out, strlen(out) + 1);
  assert_int_equal(canon(again, 0), GH_OK); /* a fixed point */
  assert_string_equal(out, again);
  assert_true(gh__path_is_canonical(again, strlen(again), 0));
}

static void expect_refused(const char *in) {
  int rc = canon(in, 0);
  if (rc != GH_EPARSE) fail_msg("%s: got %d (%s), want EPARSE", in, rc, rc ? "" : out);
  assert_false(gh__path_is_canonical(in, strlen(in), 0));
}

/* RFC 3986 §6.2.2.1: hex digits of escapes upper case; §6.2.2.2: escapes of
 * unreserved characters decoded; gatehouse/path.h for the rest. */
static void test_normal_forms(void **state) {
  (void)state;
  expect_canon("/", "/");
  expect_canon("/orders/7", "/orders/7");
  expect_canon("/%61dmin", "/admin");                 /* §6.2.2.2 */
  expect_canon("/%7Euser/%2D%2e%5F", "/~user/-._"); /* every unreserved punctuation mark */
  expect_canon("/a%2cb", "/a%2Cb");                   /* §6.2.2.1: reserved stays encoded, digits upper case */
  expect_canon("/a%3Fb%23c", "/a%3Fb%23c");
  expect_canon("/caf%c3%a9", "/caf%C3%A9");
  expect_canon("/caf\xc3\xa9", "/caf%C3%A9"); /* a raw byte over 0x7f: as a host that decoded would hand it */
  expect_canon("/a b", "/a%20b");
  expect_canon("/a\"<>^`{|}[]", "/a%22%3C%3E%5E%60%7B%7C%7D%5B%5D");
  expect_canon("/!$&'()*+,;=:@", "/!$&'()*+,;=:@"); /* sub-delims, ':' and '@' are pchar (§3.3) */
  expect_canon("//a///b", "/a/b");                 /* empty segments merge */
  expect_canon("/a/", "/a/");                      /* a trailing slash stays */
  expect_canon("/a//", "/a/");
  expect_canon("/a?x=/../&y=%zz", "/a"); /* the query is not the path */
  expect_canon("/a#frag", "/a");
  expect_canon("/...", "/...");       /* three dots name a resource */
  expect_canon("/.well-known/x", "/.well-known/x");
  expect_canon("/a..b/..c/c..", "/a..b/..c/c..");
  expect_canon("/%0A", "/%0A"); /* an encoded control character stays encoded */
}

static void test_refusals(void **state) {
  (void)state;
  const char *dots[] = {"/.", "/..", "/a/.", "/a/..", "/public/../admin/x", "/./admin/x", "/%2e%2e/admin",
                        "/.%2e/admin", "/%2E./admin", "/%2E/admin", "/a/%2e", "/..;/admin", "/.;x/admin", "/a/..;jsessionid=1"};
  for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++) expect_refused(dots[i]);
  const char *other[] = {"", "a", "?/a", "/a%", "/a%4", "/a%zz", "/a%4g", "/a%2Fb", "/a%2fb", "/a%5Cb", "/a%00b",
                         "/a\\b", "/a\tb", "/a\nb", "/a\x7f"};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) expect_refused(other[i]);
  char nul[] = "/a\0b";
  assert_int_equal(gh_path_canonicalize(nul, 4, 0, out, sizeof out, NULL, NULL, 0), GH_EPARSE);
}

static void test_limits_and_arguments(void **state) {
  (void)state;
  char *big = malloc(GH_PATH_MAX + 2);
  big[0] = '/';
  memset(big + 1, 'a', GH_PATH_MAX);
  assert_int_equal(gh_path_canonicalize(big, GH_PATH_MAX, 0, out, sizeof out, NULL, NULL, 0), GH_OK);
  assert_int_equal(gh_path_canonicalize(big, GH_PATH_MAX + 1, 0, out, sizeof out, NULL, NULL, 0), GH_ETOOBIG);
  memset(big + 1, ' ', GH_PATH_MAX / 3); /* grows threefold once encoded */
  assert_int_equal(gh_path_canonicalize(big, GH_PATH_MAX / 3 + 1, 0, out, sizeof out, NULL, NULL, 0), GH_OK);
  assert_int_equal(gh_path_canonicalize(big, GH_PATH_MAX / 3 + 2, 0, out, sizeof out, NULL, NULL, 0), GH_ETOOBIG);
  free(big);
  char small[4];
  char msg[100];
  assert_int_equal(gh_path_canonicalize("/abcd", 5, 0, small, sizeof small, NULL, msg, sizeof msg), GH_EBUFFER);
  assert_non_null(strstr(msg, "buffer"));
  assert_int_equal(gh_path_canonicalize("/abc", 4, 0, small, sizeof small, NULL, NULL, 0), GH_EBUFFER); /* and the NUL */
  assert_int_equal(gh_path_canonicalize(NULL, 0, 0, out, sizeof out, NULL, NULL, 0), GH_EINVAL);
  assert_int_equal(gh_path_canonicalize("/", 1, 0x80, out, sizeof out, NULL, NULL, 0), GH_EINVAL);
  assert_int_equal(gh_path_max(), GH_PATH_MAX);
}

static void test_ignore_case(void **state) {
  (void)state;
  assert_int_equal(canon("/ADMIN/%2f%7e%c3%A9", GH_PATH_IGNORE_CASE), GH_EPARSE); /* %2f is refused */
  assert_int_equal(canon("/ADMIN/Caf%c3%A9/%7E%4A", GH_PATH_IGNORE_CASE), GH_OK);
  assert_string_equal(out, "/admin/caf%C3%A9/~j"); /* letters folded, escapes keep upper-case digits */
  assert_true(gh__path_is_canonical(out, strlen(out), GH_PATH_IGNORE_CASE));
  assert_false(gh__path_is_canonical("/Admin", 6, GH_PATH_IGNORE_CASE));
  assert_true(gh__path_is_canonical("/Admin", 6, 0));
}

static void test_decoding_helpers(void **state) {
  (void)state;
  char buf[32];
  size_t n = gh__pct_decode("a%20b%2Fc", 9, buf);
  assert_int_equal(n, 5);
  assert_memory_equal(buf, "a b/c", 5);
  assert_true(gh__pct_equal("acme%20corp", 11, "acme corp", 9));
  assert_false(gh__pct_equal("acme%20corp", 11, "acme%20corp", 11));
  assert_false(gh__pct_equal("acme", 4, "acm", 3));
  assert_false(gh__pct_equal("acm", 3, "acme", 4));
}

/* ---- every spelling of a denied resource, against every rule kind ---- */

static const char POLICY[] =
    "{\"rules\":["
    "{\"id\":\"no-admin\",\"effect\":\"deny\",\"subjects\":[\"*\"],\"actions\":[\"*\"],\"resources\":[\"/admin/*\"]},"
    "{\"id\":\"no-secret\",\"effect\":\"deny\",\"subjects\":[\"*\"],\"actions\":[\"*\"],\"resources\":[\"/orders/{id}/secret\"]},"
    "{\"id\":\"no-keys\",\"effect\":\"deny\",\"subjects\":[\"*\"],\"actions\":[\"*\"],\"resources\":[\"/keys\"]},"
    "{\"id\":\"open\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"*\"],\"resources\":[\"/*\"]}]}";

/* Spellings of /admin/x, /orders/7/secret and /keys. Each must be refused
 * as a resource, or denied by the rule that covers what it names. */
static const struct {
  const char *path, *rule;
} SPELLINGS[] = {
    {"/admin/x", "no-admin"}, {"/admin", "no-admin"}, {"/admin/", "no-admin"}, {"/%61dmin/x", "no-admin"},
    {"/%61%64%6D%69%6E/x", "no-admin"}, {"//admin/x", "no-admin"}, {"/admin//x", "no-admin"}, {"///admin", "no-admin"},
    {"/public/../admin/x", NULL}, {"/./admin/x", NULL}, {"/%2e%2e/admin/x", NULL}, {"/.%2e/admin/x", NULL},
    {"/%2E/admin/x", NULL}, {"/x/..;/admin/x", NULL}, {"/admin%2Fx", NULL}, {"/admin\\x", NULL},
    {"/orders/7/secret", "no-secret"}, {"/orders/%37/secret", "no-secret"}, {"/orders//7/secret/", "no-secret"},
    {"/orders/7/%73ecret", "no-secret"}, {"/orders/a%20b/secret", "no-secret"}, {"/orders/../secret", NULL},
    {"/orders/./secret", NULL}, {"/orders/%2e/secret", NULL}, {"/orders/%2e%2e/secret", NULL},
    {"/keys", "no-keys"}, {"/keys/", "no-keys"}, {"//keys", "no-keys"}, {"/%6Beys", "no-keys"}, {"/keys?x=1", "no-keys"},
};

static void test_spellings_against_rule_kinds(void **state) {
  (void)state;
  gh_policy *p;
  char msg[256];
  assert_int_equal(gh_policy_parse(&p, POLICY, strlen(POLICY), msg, sizeof msg), GH_OK);
  gh_policy_request *r;
  assert_int_equal(gh_policy_request_new(&r), GH_OK);
  assert_int_equal(gh_policy_request_set_action(r, "GET", 3), GH_OK);
  for (size_t i = 0; i < sizeof SPELLINGS / sizeof SPELLINGS[0]; i++) {
    const char *path = SPELLINGS[i].path, *want = SPELLINGS[i].rule;
    assert_int_equal(gh_policy_request_set_resource(r, "/other", 6), GH_OK);
    int rc = gh_policy_request_set_resource(r, path, strlen(path)), decision;
    const char *rule;
    if (!want) {
      if (rc != GH_EPARSE) fail_msg("%s: resource accepted (%d), want it refused", path, rc);
      /* a refused resource leaves none behind: no decision on the last one */
      assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_EINVAL);
      continue;
    }
    if (rc) fail_msg("%s: refused (%d)", path, rc);
    assert_int_equal(gh_policy_decide(p, r, &decision, &rule), GH_OK);
    if (decision != GH_POLICY_DENY || !rule || strcmp(rule, want))
      fail_msg("%s: %s by %s, want deny by %s", path, decision ? "allow" : "deny", rule ? rule : "-", want);
  }
  gh_policy_request_free(r);
  gh_policy_free(p);
}

/* The same spellings through the router: refused with 400, or routed to the
 * route that names what the policy denied. */
static void test_spellings_through_the_router(void **state) {
  (void)state;
  gh_router *b;
  char msg[256];
  assert_int_equal(gh_router_new(&b), GH_OK);
  assert_int_equal(gh_router_set_trailing_slash(b, GH_ROUTER_SLASH_IGNORE), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/admin/{rest*}", "no-admin", NULL, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/orders/{id}/secret", "no-secret", NULL, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/keys", "no-keys", NULL, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/{any*}", "open", NULL, msg, sizeof msg), GH_OK);
  gh_router *r = b;
  assert_int_equal(gh_router_build(r), GH_OK);
  gh_route_match *m = malloc(gh_route_match_size());
  for (size_t i = 0; i < sizeof SPELLINGS / sizeof SPELLINGS[0]; i++) {
    const char *path = SPELLINGS[i].path, *want = SPELLINGS[i].rule;
    assert_int_equal(gh_router_match(r, "GET", 3, path, strlen(path), m), GH_OK);
    if (!want) {
      if (m->status != 400) fail_msg("%s: status %d, want 400", path, m->status);
      continue;
    }
    assert_int_equal(canon(path, 0), GH_OK);
    if (!strcmp(out, "/admin")) want = "open"; /* a catch-all route needs its slash; the policy's "*" does not */
    if (m->status != 200 || strcmp(m->name, want)) fail_msg("%s: %d %s, want %s", path, m->status, m->name, want);
    /* the policy decided on the path the router matched */
    assert_int_equal(m->path_len, strlen(out));
    assert_memory_equal(m->path, out, m->path_len);
  }
  /* parameters come out decoded, and are never "." or ".." */
  assert_int_equal(gh_router_match(r, "GET", 3, "/orders/a%20b/secret", 20, m), GH_OK);
  assert_int_equal(m->params[0].len, 3);
  assert_memory_equal(m->params[0].value, "a b", 3);
  assert_int_equal(gh_router_match(r, "GET", 3, "/orders/%2e/secret", 18, m), GH_OK);
  assert_int_equal(m->status, 400);
  free(m);
  gh_router_free(r);
}

/* Route and policy patterns are canonicalised as requests are. */
static void test_patterns_are_canonical(void **state) {
  (void)state;
  gh_router *b;
  char msg[256];
  assert_int_equal(gh_router_new(&b), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/caf\xc3\xa9/%7Bx%7d", "cafe", NULL, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/a/../b", NULL, NULL, msg, sizeof msg), GH_EPARSE);
  assert_non_null(strstr(msg, "dot segment"));
  gh_router *r = b;
  assert_int_equal(gh_router_build(r), GH_OK);
  gh_route_match *m = malloc(gh_route_match_size());
  assert_int_equal(gh_router_match(r, "GET", 3, "/caf%c3%a9/%7bx%7D", 18, m), GH_OK);
  assert_int_equal(m->status, 200);
  free(m);
  gh_router_free(r);

  const char doc[] = "{\"rules\":[{\"id\":\"c\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],"
                     "\"resources\":[\"/caf\xc3\xa9//x/\"]}]}";
  gh_policy *p;
  assert_int_equal(gh_policy_parse(&p, doc, strlen(doc), msg, sizeof msg), GH_OK);
  gh_policy_request *q;
  gh_policy_request_new(&q);
  gh_policy_request_set_action(q, "GET", 3);
  assert_int_equal(gh_policy_request_set_resource(q, "/caf%C3%A9/x", 12), GH_OK);
  int decision;
  assert_int_equal(gh_policy_decide(p, q, &decision, NULL), GH_OK);
  assert_int_equal(decision, GH_POLICY_ALLOW);
  gh_policy_request_free(q);
  gh_policy_free(p);
  const char bad[] = "{\"rules\":[{\"id\":\"c\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],"
                     "\"resources\":[\"/a/%2e%2e/b\"]}]}";
  assert_int_equal(gh_policy_parse(&p, bad, strlen(bad), msg, sizeof msg), GH_EPARSE);
  assert_non_null(strstr(msg, "rules[0].resources[0]"));
  assert_non_null(strstr(msg, "dot segment"));
}

/* Opt-in case-insensitive matching, in the router and in the policy. */
static void test_case_insensitive_matching(void **state) {
  (void)state;
  gh_router *b;
  char msg[256];
  assert_int_equal(gh_router_new(&b), GH_OK);
  assert_int_equal(gh_router_set_ignore_case(b, 1), GH_OK);
  assert_int_equal(gh_router_add(b, "GET", "/Admin/{id}", "admin", NULL, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_router_set_ignore_case(b, 0), GH_EMISUSE); /* routes were added with it */
  gh_router *r = b;
  assert_int_equal(gh_router_build(r), GH_OK);
  gh_route_match *m = malloc(gh_route_match_size());
  assert_int_equal(gh_router_match(r, "GET", 3, "/ADMIN/X", 8, m), GH_OK);
  assert_int_equal(m->status, 200);
  assert_memory_equal(m->params[0].value, "x", 1);
  free(m);
  gh_router_free(r);

  const char doc[] = "{\"ignore_case\":true,\"rules\":["
                     "{\"id\":\"no\",\"effect\":\"deny\",\"subjects\":[\"*\"],\"actions\":[\"*\"],\"resources\":[\"/Admin/*\"]},"
                     "{\"id\":\"yes\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"*\"],\"resources\":[\"/*\"]}]}";
  gh_policy *p;
  assert_int_equal(gh_policy_parse(&p, doc, strlen(doc), msg, sizeof msg), GH_OK);
  gh_policy_request *q;
  gh_policy_request_new(&q);
  gh_policy_request_set_action(q, "GET", 3);
  const char *spellings[] = {"/admin/x", "/ADMIN/x", "/aDmIn", "/%41dmin/"};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(gh_policy_request_set_resource(q, spellings[i], strlen(spellings[i])), GH_OK);
    int decision;
    const char *rule;
    assert_int_equal(gh_policy_decide(p, q, &decision, &rule), GH_OK);
    if (decision != GH_POLICY_DENY) fail_msg("%s: allowed", spellings[i]);
  }
  gh_policy_free(p);
  const char strict[] = "{\"rules\":[{\"id\":\"no\",\"effect\":\"deny\",\"subjects\":[\"*\"],\"actions\":[\"*\"],"
                        "\"resources\":[\"/admin/*\"]}]}";
  assert_int_equal(gh_policy_parse(&p, strict, strlen(strict), msg, sizeof msg), GH_OK);
  gh_policy_request_set_resource(q, "/ADMIN/x", 8);
  const char *rule;
  int decision;
  assert_int_equal(gh_policy_decide(p, q, &decision, &rule), GH_OK);
  assert_null(rule); /* case counts by default: no rule names /ADMIN */
  gh_policy_free(p);
  assert_int_equal(gh_policy_parse(&p, "{\"ignore_case\":1}", 17, msg, sizeof msg), GH_EPARSE);
  gh_policy_request_free(q);
}

/* A claim or parameter rendered into a rewritten path cannot climb out of
 * its segment, drop one, or smuggle a '/'. */
static void test_transform_paths_stay_canonical(void **state) {
  (void)state;
  const char doc[] = "{\"request\":{\"path\":\"/tenants/{params.t}/{params.rest}\"}}";
  gh_transform *t;
  char msg[256];
  assert_int_equal(gh_transform_parse(&t, doc, strlen(doc), msg, sizeof msg), GH_OK);
  const struct {
    const char *t, *rest, *want; /* want NULL: refused */
  } cases[] = {{"acme", "x", "/tenants/acme/x"}, {"..", "x", NULL}, {".", "x", NULL}, {"a/b", "x", NULL},
               {"", "x", NULL}, {"acme", "..", NULL}, {"a b", "%2e", "/tenants/a%20b/%252e"}, {"ACME", "~", "/tenants/ACME/~"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gh_route_match *m = calloc(1, gh_route_match_size());
    m->status = 200, m->name = "r", m->n_params = 2;
    m->params[0] = (gh_route_param){"t", cases[i].t, strlen(cases[i].t)};
    m->params[1] = (gh_route_param){"rest", cases[i].rest, strlen(cases[i].rest)};
    gh_transform_input in = {.path = "/x", .path_len = 2, .route = m};
    gh_transform_result res;
    int rc = gh_transform_request(t, &in, &res, msg, sizeof msg);
    if (!cases[i].want) {
      if (rc != GH_EDENIED) fail_msg("t=%s rest=%s: %d, want EDENIED", cases[i].t, cases[i].rest, rc);
      assert_non_null(strstr(msg, "request.path"));
    } else {
      assert_int_equal(rc, GH_OK);
      if (strlen(cases[i].want) != res.path_len || memcmp(res.path, cases[i].want, res.path_len))
        fail_msg("t=%s: got %.*s, want %s", cases[i].t, (int)res.path_len, res.path, cases[i].want);
      gh_transform_result_free(&res);
    }
    free(m);
  }
  gh_transform_free(t);
}

/* Property: on random paths, the router and the policy engine accept the
 * same ones and, pattern by pattern, match the same ones. */
static void test_router_and_policy_agree(void **state) {
  (void)state;
  static const char *const PIECES[] = {"a", "b", "A", ".", "..", "%2e", "%2E", "%61", "%41", "%2F", "%20", "~",
                                       ";", "/", "//", "%", "%zz", "x y", "\xc3\xa9", "%C3%A9", "-", "%7e"};
  static const char *const PATTERNS[] = {"/a/{x}", "/a/b/*", "/{x}/b", "/a", "/b/{x}/a/*", "/~/{x}"};
  enum { N = sizeof PATTERNS / sizeof PATTERNS[0] };
  gh_router *routers[N];
  gh_policy *policies[N];
  char msg[256], doc[512];
  for (size_t k = 0; k < N; k++) {
    gh_router *b;
    gh_router_new(&b);
    gh_router_set_trailing_slash(b, GH_ROUTER_SLASH_IGNORE);
    char route[64];
    snprintf(route, sizeof route, "%s", PATTERNS[k]);
    size_t n = strlen(route);
    if (route[n - 1] == '*') snprintf(route + n - 1, sizeof route - n + 1, "{rest*}");
    assert_int_equal(gh_router_add(b, "GET", route, "r", NULL, msg, sizeof msg), GH_OK);
    assert_int_equal(gh_router_build(b), GH_OK);
    routers[k] = b;
    snprintf(doc, sizeof doc,
             "{\"rules\":[{\"id\":\"r\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],\"resources\":[\"%s\"]}]}",
             PATTERNS[k]);
    assert_int_equal(gh_policy_parse(&policies[k], doc, strlen(doc), msg, sizeof msg), GH_OK);
  }
  gh_policy_request *q;
  gh_policy_request_new(&q);
  gh_policy_request_set_action(q, "GET", 3);
  gh_route_match *m = malloc(gh_route_match_size());
  srand(7);
  int accepted = 0, matched = 0;
  for (int iter = 0; iter < 20000; iter++) {
    char path[256] = "/";
    for (int parts = 1 + rand() % 6; parts > 0; parts--) {
      strcat(path, PIECES[rand() % (sizeof PIECES / sizeof PIECES[0])]);
      if (rand() % 2) strcat(path, "/");
    }
    size_t len = strlen(path);
    int canon_rc = canon(path, 0);
    int policy_rc = gh_policy_request_set_resource(q, path, len);
    if ((canon_rc == GH_OK) != (policy_rc == GH_OK)) fail_msg("%s: canon %d, policy %d", path, canon_rc, policy_rc);
    for (size_t k = 0; k < N; k++) {
      assert_int_equal(gh_router_match(routers[k], "GET", 3, path, len, m), GH_OK);
      if ((m->status == 400) != (canon_rc != GH_OK)) fail_msg("%s: router %d, canon %d", path, m->status, canon_rc);
      if (canon_rc) continue;
      assert_int_equal(m->path_len, strlen(out));
      assert_memory_equal(m->path, out, m->path_len);
      int decision;
      assert_int_equal(gh_policy_decide(policies[k], q, &decision, NULL), GH_OK);
      if ((m->status == 200) != (decision == GH_POLICY_ALLOW))
        fail_msg("%s against %s: router %d, policy %s", path, PATTERNS[k], m->status, decision ? "allow" : "deny");
      matched += m->status == 200;
    }
    accepted += canon_rc == GH_OK;
  }
  assert_true(accepted > 2000 && accepted < 19000); /* both outcomes well represented */
  assert_true(matched > 500);
  free(m);
  gh_policy_request_free(q);
  for (size_t k = 0; k < N; k++) gh_router_free(routers[k]), gh_policy_free(policies[k]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_forms),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_limits_and_arguments),
      cmocka_unit_test(test_ignore_case),
      cmocka_unit_test(test_decoding_helpers),
      cmocka_unit_test(test_spellings_against_rule_kinds),
      cmocka_unit_test(test_spellings_through_the_router),
      cmocka_unit_test(test_patterns_are_canonical),
      cmocka_unit_test(test_case_insensitive_matching),
      cmocka_unit_test(test_transform_paths_stay_canonical),
      cmocka_unit_test(test_router_and_policy_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
