/* Keys out of the library (lib/iam/signing_key_export.c): generation, JWK
 * (RFC 7517; members per RFC 7518 section 6) and PEM. The oracle is npm's
 * jose, which exported the keys in tests/vectors/jose/keys as the private JWKs in
 * private-jwks.json (tests/oracles/gen-private-jwks.mjs): our export of the
 * same PEM must match it member for member. */
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

static const char *const ALGS[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
static const char *const PRIVATE_MEMBERS[] = {"d", "p", "q", "dp", "dq", "qi"};

/* Both JSON objects have the same members with the same values, in any order. */
static void assert_same_members(const char *got, const cJSON *want, const char *what) {
  cJSON *g = cJSON_Parse(got);
  if (!g) fail_msg("%s: not JSON: %s", what, got);
  if (cJSON_GetArraySize(g) != cJSON_GetArraySize(want)) fail_msg("%s: %s", what, got);
  const cJSON *m;
  cJSON_ArrayForEach(m, want) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(g, m->string);
    if (!o || !cJSON_Compare(o, m, 1)) fail_msg("%s: member %s differs in %s", what, m->string, got);
  }
  cJSON_Delete(g);
}

/* RFC 7517 section 4 and RFC 7518 sections 6.2, 6.3: jose's JWK of each PEM key, private and public. */
static void test_pem_to_jwk_matches_jose(void **state) {
  (void)state;
  cJSON *jwks = t_load_json("jose/private-jwks.json");
  for (size_t i = 0; i < sizeof ALGS / sizeof ALGS[0]; i++) {
    char path[64], kid[16], *jwk;
    size_t len;
    snprintf(path, sizeof path, "jose/keys/%s.pem", ALGS[i]);
    snprintf(kid, sizeof kid, "k-%s", ALGS[i]);
    char *pem = t_read_vector(path, &len);
    const cJSON *want = cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), ALGS[i]);
    assert_int_equal(gh_jwk_from_pem(pem, len, kid, ALGS[i], NULL, &jwk, NULL), GH_OK);
    assert_same_members(jwk, want, ALGS[i]);
    gh_free_secret(jwk);

    /* the public PEM written from the key reads back as the public JWK */
    gh_signing_key *k;
    char *pub_pem;
    assert_int_equal(gh_signing_key_from_pem(&k, pem, len), GH_OK);
    assert_int_equal(gh_signing_key_pem(k, 0, &pub_pem, &len), GH_OK);
    assert_non_null(strstr(pub_pem, "-----BEGIN PUBLIC KEY-----"));
    cJSON *pub = cJSON_Duplicate(want, 1);
    for (size_t m = 0; m < sizeof PRIVATE_MEMBERS / sizeof PRIVATE_MEMBERS[0]; m++)
      cJSON_DeleteItemFromObject(pub, PRIVATE_MEMBERS[m]);
    assert_int_equal(gh_jwk_from_pem(pub_pem, len, kid, ALGS[i], NULL, &jwk, NULL), GH_OK);
    assert_same_members(jwk, pub, ALGS[i]);
    gh_free_secret(jwk);
    assert_int_equal(gh_signing_key_jwk(k, 0, kid, ALGS[i], NULL, &jwk, NULL), GH_OK);
    assert_same_members(jwk, pub, ALGS[i]);
    gh_free(jwk);
    /* and the private PEM written back loads as the same key */
    char *priv_pem;
    assert_int_equal(gh_signing_key_pem(k, 1, &priv_pem, &len), GH_OK);
    assert_int_equal(gh_jwk_from_pem(priv_pem, len, kid, ALGS[i], NULL, &jwk, NULL), GH_OK);
    assert_same_members(jwk, want, ALGS[i]);
    gh_free_secret(jwk);
    gh_free_secret(priv_pem);
    gh_free_secret(pub_pem);
    cJSON_Delete(pub);
    gh_signing_key_free(k);
    free(pem);
  }
  cJSON_Delete(jwks);
}

/* A fresh key signs a token that verifies against the key set made of its public JWK. */
static void sign_and_verify(const gh_signing_key *k, const char *alg) {
  char *pub, *set_text, *token;
  size_t len;
  assert_int_equal(gh_signing_key_jwk(k, 0, "fresh", alg, "sig", &pub, NULL), GH_OK);
  assert_non_null(set_text = malloc(strlen(pub) + 16));
  sprintf(set_text, "{\"keys\":[%s]}", pub);
  gh_jwks *set;
  assert_int_equal(gh_jwks_parse(&set, set_text, strlen(set_text), NULL, 0), GH_OK);
  assert_int_equal(gh_jwks_count(set), 1);
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_allow_alg(v, alg), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_jwks(v, set, 1700000000000), GH_OK);
  const char *payload = "{\"sub\":\"alice\",\"exp\":1700003600}";
  assert_int_equal(gh_jwt_sign(k, alg, "fresh", payload, strlen(payload), &token, &len), GH_OK);
  gh_principal *p = NULL;
  int reason = -1;
  char msg[128] = "";
  if (gh_jwt_verify(v, token, len, 1700000000000, &p, &reason, msg, sizeof msg)) fail_msg("%s: %s", alg, msg);
  assert_int_equal(reason, GH_JWT_OK);
  gh_principal_free(p);
  gh_free(token);
  gh_jwt_verifier_free(v);
  gh_jwks_free(set);
  free(set_text);
  gh_free(pub);
}

/* Generated keys of every kind: usable, and their private JWK and PEM round-trip to the same key. */
static void test_generate_round_trips(void **state) {
  (void)state;
  static const struct {
    const char *kty;
    unsigned size;
    const char *alg, *kind;
  } cases[] = {{"EC", 0, "ES256", "EC P-256"},   {"EC", 384, "ES384", "EC P-384"}, {"EC", 521, "ES512", "EC P-521"},
               {"RSA", 0, "RS256", "RSA"},       {"RSA", 2048, "PS512", "RSA"},    {"oct", 0, "HS256", "oct"},
               {"oct", 64, "HS512", "oct"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gh_signing_key *k, *again;
    assert_int_equal(gh_signing_key_generate(&k, cases[i].kty, cases[i].size), GH_OK);
    assert_string_equal(gh_signing_key_kind(k), cases[i].kind);
    char *jwk, *jwk2;
    size_t len;
    assert_int_equal(gh_signing_key_jwk(k, 1, "k1", cases[i].alg, "sig", &jwk, &len), GH_OK);
    assert_int_equal(len, strlen(jwk));
    assert_int_equal(gh_signing_key_from_jwk(&again, jwk, len), GH_OK);
    assert_int_equal(gh_signing_key_jwk(again, 1, "k1", cases[i].alg, "sig", &jwk2, NULL), GH_OK);
    assert_string_equal(jwk, jwk2);
    gh_free_secret(jwk2);
    gh_signing_key_free(again);
    if (strcmp(cases[i].kty, "oct")) {
      char *pem;
      assert_int_equal(gh_signing_key_pem(k, 1, &pem, &len), GH_OK);
      assert_int_equal(gh_jwk_from_pem(pem, len, "k1", cases[i].alg, "sig", &jwk2, NULL), GH_OK);
      assert_string_equal(jwk, jwk2);
      gh_free_secret(jwk2);
      gh_free_secret(pem);
      sign_and_verify(k, cases[i].alg);
    } else {
      /* RFC 7518 section 6.4: an oct JWK is its "k" */
      cJSON *j = cJSON_Parse(jwk);
      size_t want = cases[i].size ? cases[i].size : 32;
      assert_int_equal(strlen(cJSON_GetObjectItem(j, "k")->valuestring), (want * 4 + 2) / 3);
      cJSON_Delete(j);
    }
    gh_free_secret(jwk);
    gh_signing_key_free(k);
  }
  /* two keys are never the same */
  gh_signing_key *a, *b;
  char *ja, *jb;
  assert_int_equal(gh_signing_key_generate(&a, "oct", 32), GH_OK);
  assert_int_equal(gh_signing_key_generate(&b, "oct", 32), GH_OK);
  assert_int_equal(gh_signing_key_jwk(a, 1, NULL, NULL, NULL, &ja, NULL), GH_OK);
  assert_int_equal(gh_signing_key_jwk(b, 1, NULL, NULL, NULL, &jb, NULL), GH_OK);
  assert_string_not_equal(ja, jb);
  gh_free_secret(ja);
  gh_free_secret(jb);
  gh_signing_key_free(a);
  gh_signing_key_free(b);
}

/* Each refusal names a reason a caller can act on. */
static void test_refusals(void **state) {
  (void)state;
  gh_signing_key *k = NULL;
  assert_int_equal(gh_signing_key_generate(&k, "DSA", 0), GH_EUNSUPPORTED);
  assert_int_equal(gh_signing_key_generate(&k, "EC", 255), GH_EUNSUPPORTED);
  assert_int_equal(gh_signing_key_generate(&k, "RSA", 1024), GH_EINVAL); /* RFC 7518 section 3.3: 2048 or more */
  assert_int_equal(gh_signing_key_generate(&k, "RSA", 16384), GH_EINVAL);
  assert_int_equal(gh_signing_key_generate(&k, "oct", 16), GH_EINVAL); /* RFC 7518 section 3.2 */
  assert_null(k);
  assert_int_equal(gh_signing_key_generate(&k, "oct", 32), GH_OK);
  char *out = NULL;
  size_t len;
  assert_int_equal(gh_signing_key_jwk(k, 0, NULL, NULL, NULL, &out, NULL), GH_EKEY); /* no public half */
  assert_int_equal(gh_signing_key_jwk(k, 1, NULL, "HS512", NULL, &out, NULL), GH_EKEY); /* 32 bytes < 64 */
  assert_int_equal(gh_signing_key_jwk(k, 1, NULL, "ES256", NULL, &out, NULL), GH_EKEY);
  assert_int_equal(gh_signing_key_jwk(k, 1, NULL, "XS256", NULL, &out, NULL), GH_EUNSUPPORTED);
  assert_int_equal(gh_signing_key_jwk(k, 1, NULL, NULL, "verify", &out, NULL), GH_EINVAL); /* RFC 7517 4.2 */
  assert_int_equal(gh_signing_key_jwk(k, 1, "a\nb", NULL, NULL, &out, NULL), GH_EINVAL);
  assert_int_equal(gh_signing_key_pem(k, 1, &out, &len), GH_EUNSUPPORTED);
  assert_null(out);
  /* a kid with quotes is escaped, not spliced into the JSON */
  assert_int_equal(gh_signing_key_jwk(k, 1, "a\"b\\c", NULL, NULL, &out, NULL), GH_OK);
  cJSON *j = cJSON_Parse(out);
  assert_string_equal(cJSON_GetObjectItem(j, "kid")->valuestring, "a\"b\\c");
  cJSON_Delete(j);
  gh_free_secret(out);
  gh_signing_key_free(k);

  assert_int_equal(gh_signing_key_generate(&k, "EC", 384), GH_OK);
  assert_int_equal(gh_signing_key_jwk(k, 1, NULL, "ES256", NULL, &out, NULL), GH_EKEY); /* RFC 7518 3.4: P-384 is ES384 */
  assert_int_equal(gh_signing_key_jwk(k, 1, NULL, "RS256", NULL, &out, NULL), GH_EKEY);
  gh_signing_key_free(k);

  /* a key the key sets refuse (RFC 7518 section 3.3: RSA under 2048 bits) is refused here too */
  char *pem = t_read_vector("jose/keys/weak-rsa-1024.pem", &len);
  assert_int_equal(gh_jwk_from_pem(pem, len, NULL, NULL, NULL, &out, NULL), GH_EKEY);
  free(pem);
  static const char *const not_keys[] = {"", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                                         "{\"kty\":\"EC\"}"};
  for (size_t i = 0; i < sizeof not_keys / sizeof not_keys[0]; i++)
    assert_int_equal(gh_jwk_from_pem(not_keys[i], strlen(not_keys[i]), NULL, NULL, NULL, &out, NULL), GH_EPARSE);
  assert_null(out);
  assert_int_equal(gh_jwk_from_pem(NULL, 0, NULL, NULL, NULL, &out, NULL), GH_EINVAL);
  gh_free_secret(NULL);
}

/* Every allocation failure is reported, and leaks nothing. */
static void test_allocation_failures(void **state) {
  (void)state;
  size_t len;
  char *pem = t_read_vector("jose/keys/RS256.pem", &len);
  t_alloc_install();
  for (long n = 1;; n += t_faultsim_step()) {
    t_alloc_fail_at(n);
    char *out = NULL;
    int rc = gh_jwk_from_pem(pem, len, "k", "RS256", "sig", &out, NULL);
    t_alloc_fail_at(0);
    if (rc == GH_OK) {
      gh_free_secret(out);
      break;
    }
    assert_int_equal(rc, GH_ENOMEM);
    assert_null(out);
    assert_int_equal(t_alloc_outstanding(), 0);
  }
  t_alloc_uninstall();
  free(pem);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pem_to_jwk_matches_jose),
      cmocka_unit_test(test_generate_round_trips),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
