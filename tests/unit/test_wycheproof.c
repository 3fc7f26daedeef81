/* Project Wycheproof vectors (tests/vectors/wycheproof, Apache-2.0):
 * the crypto provider against ECDSA P1363 (RFC 7518 3.4), RSASSA-PKCS1-v1_5
 * (RFC 7518 3.3), RSASSA-PSS (RFC 7518 3.5) and HMAC (RFC 7518 3.2), and the
 * whole JWS/JWK layer against json_web_signature_test / json_web_key_test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "gatehouse.h"
#include "helpers.h"
#include "iam/jws.h"

static gh__hash hash_of(const char *sha) {
  return !strcmp(sha, "SHA-256") ? GH__SHA256 : !strcmp(sha, "SHA-384") ? GH__SHA384 : GH__SHA512;
}

static const char *str(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k)->valuestring; }

/* Where this test asserts something other than the file's "result", and why.
 * Each override still asserts an outcome, so it can fail. */
static const struct {
  const char *file;
  int tc;
  int verifies;
  const char *why;
} OVERRIDES[] = {
    /* RFC 7520 figure 20 signs PS384 with a key whose JWK says "alg":"PS256";
     * RFC 7517 4.4 and issue 2: a key's own alg pins it to that algorithm. */
    {"json_web_signature_test.json", 346, 0, "key pinned to PS256, token PS384"},
    {"json_web_signature_test.json", 350, 0, "key pinned to PS256, token PS384"},
    /* The same RFC 7520 EC key carries "alg":"ES521", which is no JWS algorithm
     * (RFC 7518 3.1 names ES512): a key pinned to an unknown alg never verifies. */
    {"json_web_signature_test.json", 347, 0, "key pinned to unknown alg ES521"},
    {"json_web_signature_test.json", 351, 0, "key pinned to unknown alg ES521"},
    /* Defects of the vector file: "invalidBase64Padding*" are byte-identical to
     * tcId 357 (valid; their padding was lost), and 372/373 contain '?', outside
     * the base64url alphabet (RFC 7515 section 2), yet say valid. */
    {"json_web_signature_test.json", 367, 1, "identical to valid tcId 357"},
    {"json_web_signature_test.json", 370, 1, "identical to valid tcId 357"},
    {"json_web_signature_test.json", 372, 0, "'?' is not base64url"},
    {"json_web_signature_test.json", 373, 0, "'?' is not base64url"},
};

/* valid must verify, invalid must not; "acceptable" may go either way. */
static void check(const cJSON *t, int verified, const char *file, int *checked) {
  int tc = cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint;
  for (size_t i = 0; i < sizeof OVERRIDES / sizeof OVERRIDES[0]; i++)
    if (!strcmp(OVERRIDES[i].file, file) && OVERRIDES[i].tc == tc) {
      if (verified != OVERRIDES[i].verifies)
        fail_msg("%s tcId %d: must %s (%s)", file, tc, OVERRIDES[i].verifies ? "verify" : "be rejected",
                 OVERRIDES[i].why);
      (*checked)++;
      return;
    }
  const char *result = str(t, "result");
  if (!strcmp(result, "valid") && !verified) fail_msg("%s tcId %d: valid signature rejected", file, tc);
  if (!strcmp(result, "invalid") && verified) fail_msg("%s tcId %d: invalid signature accepted", file, tc);
  (*checked)++;
}

/* One signature vector: the message hashed, then verified with the key. */
static void verify_vector(const gh__pkey *k, gh__sig_scheme scheme, gh__hash h, const cJSON *t, const char *file,
                          int *checked) {
  size_t msg_len, sig_len;
  unsigned char *msg = t_unhex(str(t, "msg"), &msg_len), *sig = t_unhex(str(t, "sig"), &sig_len);
  unsigned char digest[GH__HASH_MAX];
  gh__hash_digest(h, msg, msg_len, digest);
  int rc = gh__pkey_verify(k, scheme, h, digest, sig, sig_len);
  assert_true(rc == GH_OK || rc == GH_EDENIED);
  check(t, rc == GH_OK, file, checked);
  free(msg);
  free(sig);
}

static void ecdsa_file(const char *file, gh__curve curve) {
  char rel[256];
  snprintf(rel, sizeof rel, "wycheproof/%s", file);
  cJSON *doc = t_load_json(rel), *g, *t;
  int checked = 0;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
    size_t pub_len;
    unsigned char *pub = t_unhex(str(cJSON_GetObjectItem(g, "publicKey"), "uncompressed"), &pub_len);
    size_t cl = gh__curve_len(curve);
    gh__pkey *k = NULL;
    assert_int_equal(pub_len, 1 + 2 * cl);
    assert_int_equal(gh__pkey_ec_new(&k, curve, pub + 1, pub + 1 + cl), GH_OK);
    gh__hash h = hash_of(str(g, "sha"));
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests")) verify_vector(k, GH__SIG_ECDSA, h, t, file, &checked);
    gh__pkey_free(k);
    free(pub);
  }
  assert_int_equal(checked, cJSON_GetObjectItem(doc, "numberOfTests")->valueint);
  cJSON_Delete(doc);
}

static void rsa_file(const char *file, gh__sig_scheme scheme) {
  char rel[256];
  snprintf(rel, sizeof rel, "wycheproof/%s", file);
  cJSON *doc = t_load_json(rel), *g, *t;
  int checked = 0, groups_used = 0;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
    /* RFC 7518 3.5: PSS with MGF1 of the same hash and a salt as long as the hash. */
    if (scheme == GH__SIG_PSS &&
        (strcmp(str(g, "mgfSha"), str(g, "sha")) ||
         (size_t)cJSON_GetObjectItem(g, "sLen")->valueint != gh__hash_len(hash_of(str(g, "sha")))))
      continue;
    const cJSON *pk = cJSON_GetObjectItem(g, "publicKey");
    size_t n_len, e_len;
    unsigned char *n = t_unhex(str(pk, "modulus"), &n_len), *e = t_unhex(str(pk, "publicExponent"), &e_len);
    gh__pkey *k = NULL;
    assert_int_equal(gh__pkey_rsa_new(&k, n, n_len, e, e_len), GH_OK);
    gh__hash h = hash_of(str(g, "sha"));
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests")) verify_vector(k, scheme, h, t, file, &checked);
    groups_used++;
    gh__pkey_free(k);
    free(n);
    free(e);
  }
  assert_true(groups_used > 0 && checked > 50);
  cJSON_Delete(doc);
}

static void hmac_file(const char *file, gh__hash h) {
  char rel[256];
  snprintf(rel, sizeof rel, "wycheproof/%s", file);
  cJSON *doc = t_load_json(rel), *g, *t;
  int checked = 0;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests")) {
      size_t key_len, msg_len, tag_len;
      unsigned char *key = t_unhex(str(t, "key"), &key_len), *msg = t_unhex(str(t, "msg"), &msg_len),
                    *tag = t_unhex(str(t, "tag"), &tag_len);
      gh__hmac_key hk;
      unsigned char mac[GH__HASH_MAX];
      gh__hmac_key_init(&hk, h, key, key_len);
      gh__hmac_compute(&hk, msg, msg_len, mac);
      check(t, tag_len <= gh__hash_len(h) && memcmp(mac, tag, tag_len) == 0, file, &checked);
      free(key);
      free(msg);
      free(tag);
    }
  }
  assert_int_equal(checked, cJSON_GetObjectItem(doc, "numberOfTests")->valueint);
  cJSON_Delete(doc);
}

static void test_ecdsa_p256(void **s) { (void)s, ecdsa_file("ecdsa_secp256r1_sha256_p1363_test.json", GH__P256); }
static void test_ecdsa_p384(void **s) { (void)s, ecdsa_file("ecdsa_secp384r1_sha384_p1363_test.json", GH__P384); }
static void test_ecdsa_p521(void **s) { (void)s, ecdsa_file("ecdsa_secp521r1_sha512_p1363_test.json", GH__P521); }
static void test_rsa_pkcs1_256(void **s) { (void)s, rsa_file("rsa_signature_2048_sha256_test.json", GH__SIG_PKCS1); }
static void test_rsa_pkcs1_384(void **s) { (void)s, rsa_file("rsa_signature_2048_sha384_test.json", GH__SIG_PKCS1); }
static void test_rsa_pkcs1_512(void **s) { (void)s, rsa_file("rsa_signature_2048_sha512_test.json", GH__SIG_PKCS1); }
static void test_rsa_pss_256(void **s) { (void)s, rsa_file("rsa_pss_2048_sha256_mgf1_32_test.json", GH__SIG_PSS); }
static void test_rsa_pss_384(void **s) { (void)s, rsa_file("rsa_pss_2048_sha384_mgf1_48_test.json", GH__SIG_PSS); }
static void test_rsa_pss_512(void **s) { (void)s, rsa_file("rsa_pss_4096_sha512_mgf1_64_test.json", GH__SIG_PSS); }
static void test_hmac_256(void **s) { (void)s, hmac_file("hmac_sha256_test.json", GH__SHA256); }
static void test_hmac_384(void **s) { (void)s, hmac_file("hmac_sha384_test.json", GH__SHA384); }
static void test_hmac_512(void **s) { (void)s, hmac_file("hmac_sha512_test.json", GH__SHA512); }

/* A JWS test group's key ("public", else "private") as a one-key set, or the
 * JWK test group's key set; the JWS must verify exactly when "result" is valid. */
static void jose_file(const char *file) {
  char rel[256];
  snprintf(rel, sizeof rel, "wycheproof/%s", file);
  cJSON *doc = t_load_json(rel), *g, *t;
  int checked = 0;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
    cJSON *key = cJSON_GetObjectItem(g, "public");
    if (!key) key = cJSON_GetObjectItem(g, "private");
    char *key_json = cJSON_PrintUnformatted(key);
    gh_jwks *set = NULL;
    char msg[256];
    int prc = gh_jwks_parse(&set, key_json, strlen(key_json), msg, sizeof msg);
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests")) {
      const char *jws = str(t, "jws");
      int verified = 0;
      if (prc == GH_OK) {
        gh__jws out;
        int reason;
        int rc = gh__jws_verify(set, GH__ALG_ALL, jws, strlen(jws), &out, &reason, msg, sizeof msg);
        assert_true(rc == GH_OK || rc == GH_EDENIED);
        verified = rc == GH_OK;
        if (verified) gh__jws_clear(&out);
      }
      check(t, verified, file, &checked);
    }
    gh_jwks_free(set);
    free(key_json);
  }
  assert_int_equal(checked, cJSON_GetObjectItem(doc, "numberOfTests")->valueint);
  cJSON_Delete(doc);
}

static void test_jws(void **s) { (void)s, jose_file("json_web_signature_test.json"); }

/* RFC 7520 section 4.2 (PS384) and 4.3 (ES512) with the keys as RFC 7520
 * section 3 publishes them, without the "alg" member Wycheproof adds: they
 * verify. (The overrides above reject them only because of that member.) */
static void test_rfc7520_keys_as_published(void **state) {
  (void)state;
  cJSON *doc = t_load_json("wycheproof/json_web_signature_test.json"), *g, *t;
  int verified = 0;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
    if (strcmp(cJSON_GetObjectItem(g, "comment")->valuestring, "rfc7520") != 0) continue;
    cJSON *key = cJSON_Duplicate(cJSON_GetObjectItem(g, cJSON_GetObjectItem(g, "public") ? "public" : "private"), 1);
    cJSON_DeleteItemFromObject(key, "alg");
    char *json = cJSON_PrintUnformatted(key);
    gh_jwks *set;
    assert_int_equal(gh_jwks_parse(&set, json, strlen(json), NULL, 0), GH_OK);
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests")) {
      const char *jws = str(t, "jws");
      gh__jws out;
      int reason;
      if (gh__jws_verify(set, GH__ALG_ALL, jws, strlen(jws), &out, &reason, NULL, 0) != GH_OK)
        fail_msg("RFC 7520 %s: %s", str(t, "comment"), gh_jwt_reason_name(reason));
      gh__jws_clear(&out);
      verified++;
    }
    gh_jwks_free(set);
    free(json);
    cJSON_Delete(key);
  }
  assert_int_equal(verified, 5); /* figures 13 (RS256), 20 (PS384), 27 (ES512), 35 (HS256) twice */
  cJSON_Delete(doc);
}
static void test_jwk(void **s) { (void)s, jose_file("json_web_key_test.json"); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ecdsa_p256),   cmocka_unit_test(test_ecdsa_p384),   cmocka_unit_test(test_ecdsa_p521),
      cmocka_unit_test(test_rsa_pkcs1_256), cmocka_unit_test(test_rsa_pkcs1_384), cmocka_unit_test(test_rsa_pkcs1_512),
      cmocka_unit_test(test_rsa_pss_256),  cmocka_unit_test(test_rsa_pss_384),  cmocka_unit_test(test_rsa_pss_512),
      cmocka_unit_test(test_hmac_256),     cmocka_unit_test(test_hmac_384),     cmocka_unit_test(test_hmac_512),
      cmocka_unit_test(test_jws),          cmocka_unit_test(test_jwk),
      cmocka_unit_test(test_rfc7520_keys_as_published),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
