/* Token binding: DPoP proofs made by npm jose (tests/vectors/dpop), each case
 * citing its RFC 9449 rule; certificate binding (RFC 8705); replay storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

static gh_dpop_verifier *verifier(void) {
  gh_dpop_verifier *v;
  assert_int_equal(gh_dpop_verifier_new(&v), GH_OK);
  assert_int_equal(gh_dpop_verifier_build(v), GH_OK);
  return v;
}

static int verify_case(gh_dpop_verifier *v, const cJSON *c, const char *expected_jkt, char *jkt, int *reason) {
  const char *proof = cJSON_GetObjectItem(c, "proof")->valuestring, *htm = cJSON_GetObjectItem(c, "htm")->valuestring,
             *htu = cJSON_GetObjectItem(c, "htu")->valuestring, *at = cJSON_GetObjectItem(c, "access_token")->valuestring;
  int64_t now = (int64_t)cJSON_GetObjectItem(c, "now")->valuedouble * 1000;
  char msg[200];
  return gh_dpop_verify(v, proof, strlen(proof), htm, strlen(htm), htu, strlen(htu), at, strlen(at), expected_jkt,
                        expected_jkt ? strlen(expected_jkt) : 0, now, jkt,
                        reason, msg, sizeof msg);
}

static void test_jose_proofs(void **state) {
  (void)state;
  cJSON *doc = t_load_json("dpop/proofs.json"), *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases")) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring, *expect = cJSON_GetObjectItem(c, "expect")->valuestring;
    const cJSON *jkt_item = cJSON_GetObjectItem(c, "jkt");
    bool replay = cJSON_IsTrue(cJSON_GetObjectItem(c, "replay"));
    gh_dpop_verifier *v = verifier();
    char jkt[GH_DPOP_JKT_LEN + 1] = "";
    int reason = -1;
    const char *expected_jkt = cJSON_IsString(jkt_item) && !strcmp(expect, "BINDING_MISMATCH") ? jkt_item->valuestring : NULL;
    int rc = verify_case(v, c, expected_jkt, jkt, &reason);
    if (replay) { /* the first use is fine; the same proof again is a replay */
      assert_int_equal(rc, GH_OK);
      rc = verify_case(v, c, NULL, jkt, &reason);
    }
    if (strcmp(gh_dpop_reason_name(reason), expect) != 0)
      fail_msg("%s (%s): got %s, want %s", name, cJSON_GetObjectItem(c, "rfc")->valuestring, gh_dpop_reason_name(reason), expect);
    assert_int_equal(rc, strcmp(expect, "OK") ? GH_EDENIED : GH_OK);
    if (rc == GH_OK && cJSON_IsString(jkt_item)) assert_string_equal(jkt, jkt_item->valuestring); /* RFC 7638, as jose computes it */
    gh_dpop_verifier_free(v);
    n++;
  }
  assert_int_equal(n, 20);
  cJSON_Delete(doc);
}

static int calls, answer;
static int replay_hook(void *ud, const char *jti, size_t len, int64_t expires_ms) {
  (void)ud, (void)jti, (void)len, (void)expires_ms;
  calls++;
  return answer;
}

/* A host replay store (Redis in a cluster): consulted once per valid proof; an
 * error rejects the proof (fail closed). */
static void test_replay_hook(void **state) {
  (void)state;
  cJSON *doc = t_load_json("dpop/proofs.json");
  const cJSON *valid = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cases"), 0), *bad_htm = NULL, *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases")) if (!strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "wrong htm")) bad_htm = c;
  gh_dpop_verifier *v;
  assert_int_equal(gh_dpop_verifier_new(&v), GH_OK);
  assert_int_equal(gh_dpop_verifier_set_replay_hook(v, replay_hook, NULL), GH_OK);
  assert_int_equal(gh_dpop_verifier_build(v), GH_OK);
  assert_int_equal(gh_dpop_verifier_set_window(v, 10, 1), GH_EMISUSE); /* built */
  int reason;
  answer = 1;
  assert_int_equal(verify_case(v, valid, NULL, NULL, &reason), GH_OK);
  answer = 0;
  assert_int_equal(verify_case(v, valid, NULL, NULL, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_REPLAYED);
  answer = -1;
  assert_int_equal(verify_case(v, valid, NULL, NULL, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_REPLAYED);
  calls = 0;
  assert_int_equal(verify_case(v, bad_htm, NULL, NULL, &reason), GH_EDENIED);
  assert_int_equal(calls, 0); /* invalid proofs never reach the replay store */
  gh_dpop_verifier_free(v);
  cJSON_Delete(doc);
}

/* Bound access tokens: cnf.jkt needs a proof of that key, cnf.x5t#S256 the certificate. */
static gh_principal *principal_with(const char *cnf) {
  char payload[512], *token;
  size_t len;
  snprintf(payload, sizeof payload, "{\"sub\":\"alice\",\"exp\":1700003600%s%s}", cnf ? ",\"cnf\":" : "", cnf ? cnf : "");
  gh_signing_key *k;
  static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
  assert_int_equal(gh_signing_key_from_secret(&k, secret, 32), GH_OK);
  assert_int_equal(gh_jwt_sign(k, "HS256", NULL, payload, strlen(payload), &token, &len), GH_OK);
  gh_signing_key_free(k);
  gh_jwks *set;
  const char *jwks = "{\"kty\":\"oct\",\"k\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\"}";
  assert_int_equal(gh_jwks_parse(&set, jwks, strlen(jwks), NULL, 0), GH_OK);
  gh_jwt_verifier *v;
  gh_jwt_verifier_new(&v);
  gh_jwt_verifier_build(v);
  gh_jwt_verifier_set_jwks(v, set, 0);
  gh_principal *p;
  assert_int_equal(gh_jwt_verify(v, token, len, 1700000000000LL, &p, NULL, NULL, 0), GH_OK);
  gh_jwt_verifier_free(v);
  gh_jwks_free(set);
  gh_free(token);
  return p;
}

static void test_binding(void **state) {
  (void)state;
  const char *jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
  int reason;
  gh_principal *plain = principal_with(NULL);
  assert_int_equal(gh_principal_check_binding(plain, NULL, 0, NULL, &reason), GH_OK); /* unbound */
  gh_principal_free(plain);

  gh_principal *dpop = principal_with("{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}");
  assert_int_equal(gh_principal_check_binding(dpop, jkt, strlen(jkt), NULL, &reason), GH_OK);
  assert_int_equal(gh_principal_check_binding(dpop, NULL, 0, NULL, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_PROOF_REQUIRED); /* a bound token without its proof */
  assert_int_equal(gh_principal_check_binding(dpop, "AAAAOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", 44, NULL, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_BINDING_MISMATCH);
  gh_principal_free(dpop);

  unsigned char cert[32];
  for (int i = 0; i < 32; i++) cert[i] = (unsigned char)i;
  /* base64url of bytes 0..31 */
  gh_principal *mtls = principal_with("{\"x5t#S256\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}");
  assert_int_equal(gh_principal_check_binding(mtls, NULL, 0, cert, &reason), GH_OK);
  assert_int_equal(gh_principal_check_binding(mtls, NULL, 0, NULL, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_CERT_MISMATCH);
  cert[31] ^= 1;
  assert_int_equal(gh_principal_check_binding(mtls, NULL, 0, cert, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_CERT_MISMATCH);
  gh_principal_free(mtls);
}

/* Without an access token (a token request), ath is not required. */
static void test_no_access_token(void **state) {
  (void)state;
  cJSON *doc = t_load_json("dpop/proofs.json");
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cases"), 0);
  const char *proof = cJSON_GetObjectItem(c, "proof")->valuestring;
  gh_dpop_verifier *v = verifier();
  int reason;
  const char *htu = "https://api.example.com/orders";
  assert_int_equal(gh_dpop_verify(v, proof, strlen(proof), "GET", 3, htu, strlen(htu), NULL, 0, NULL, 0, 1700000000000LL, NULL,
                                  &reason, NULL, 0),
                   GH_OK);
  /* the htu check normalises only what RFC 3986 section 6.2 allows: the path is exact */
  const char *other = "https://api.example.com/Orders";
  gh_dpop_verifier_free(v);
  v = verifier();
  assert_int_equal(gh_dpop_verify(v, proof, strlen(proof), "GET", 3, other, strlen(other), NULL, 0, NULL, 0, 1700000000000LL,
                                  NULL, &reason, NULL, 0),
                   GH_EDENIED);
  assert_int_equal(reason, GH_DPOP_BAD_HTU);
  /* RFC 9449 section 4.3: servers SHOULD normalise per RFC 3986 sections
   * 6.2.2 and 6.2.3 before comparing: case of scheme and host, default port,
   * escapes of unreserved characters, query and fragment */
  const char *same[] = {"HTTPS://API.example.com:443/%6Frders?x=1", "https://api.example.com/orders#f",
                        "https://api.example.com/%6f%72ders"};
  for (size_t i = 0; i < 3; i++) {
    gh_dpop_verifier_free(v);
    v = verifier();
    if (gh_dpop_verify(v, proof, strlen(proof), "GET", 3, same[i], strlen(same[i]), NULL, 0, NULL, 0, 1700000000000LL, NULL,
                       &reason, NULL, 0) != GH_OK)
      fail_msg("%s: refused", same[i]);
  }
  const char *not_same[] = {"https://api.example.com/x/../orders", "https://api.example.com/orders%2F"};
  for (size_t i = 0; i < 2; i++) {
    gh_dpop_verifier_free(v);
    v = verifier();
    assert_int_equal(gh_dpop_verify(v, proof, strlen(proof), "GET", 3, not_same[i], strlen(not_same[i]), NULL, 0, NULL, 0,
                                    1700000000000LL, NULL, &reason, NULL, 0),
                     GH_EDENIED);
    assert_int_equal(reason, GH_DPOP_BAD_HTU);
  }
  gh_dpop_verifier_free(v);
  cJSON_Delete(doc);
}

static cJSON *g_doc;
static int verify_all(void) {
  gh_dpop_verifier *v = NULL;
  int rc = gh_dpop_verifier_new(&v);
  if (!rc) rc = gh_dpop_verifier_build(v);
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(g_doc, "cases")) {
    if (rc) break;
    int reason;
    int r = verify_case(v, c, NULL, NULL, &reason);
    if (r == GH_ENOMEM) rc = r;
  }
  gh_dpop_verifier_free(v);
  return rc;
}

static void test_allocation_failure(void **state) {
  (void)state;
  g_doc = t_load_json("dpop/proofs.json");
  t_alloc_install();
  long n;
  for (n = 1; n < 100000; n += t_faultsim_step()) {
    t_alloc_fail_at(n);
    int rc = verify_all();
    long made = t_alloc_count();
    if (rc != GH_OK && rc != GH_ENOMEM) fail_msg("failing allocation %ld gave %s", n, gh_err_name(rc));
    if (t_alloc_outstanding()) fail_msg("failing allocation %ld leaked %ld", n, t_alloc_outstanding());
    if (made < n) break;
  }
  t_alloc_fail_at(0);
  assert_true(n > 20);
  t_alloc_uninstall();
  cJSON_Delete(g_doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jose_proofs),     cmocka_unit_test(test_replay_hook),
      cmocka_unit_test(test_binding),         cmocka_unit_test(test_no_access_token),
      cmocka_unit_test(test_allocation_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
