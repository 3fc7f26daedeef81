/* Published RFC examples: RFC 7515 appendix A.1-A.5 and RFC 7638 section 3.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"

#define A_PAYLOAD "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define A_EXP_MS 1300819380000LL /* the examples' exp */

static const char RSA_N[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-"
    "pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-"
    "UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_"
    "h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

typedef struct vector {
  const char *name, *jwk, *token;
  int payload_is_jwt;
} vector;

static const vector VECTORS[] = {
    {"RFC 7515 A.1 HS256",
     "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}",
     "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." A_PAYLOAD ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 1},
    {"RFC 7515 A.2 RS256", NULL,
     "eyJhbGciOiJSUzI1NiJ9." A_PAYLOAD
     ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZ"
     "cAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
     "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw",
     1},
    {"RFC 7515 A.3 ES256",
     "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_"
     "FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
     "eyJhbGciOiJFUzI1NiJ9." A_PAYLOAD ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
     1},
    {"RFC 7515 A.4 ES512",
     "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_"
     "NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\",\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-"
     "x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2\"}",
     "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-"
     "mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn",
     0},
};

static gh_jwt_verifier *verifier_for(const char *jwk_json) {
  char jwk[1024];
  if (!jwk_json) {
    snprintf(jwk, sizeof jwk, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\"}", RSA_N);
    jwk_json = jwk;
  }
  gh_jwks *set;
  gh_jwt_verifier *v;
  char msg[128];
  assert_int_equal(gh_jwks_parse(&set, jwk_json, strlen(jwk_json), msg, sizeof msg), GH_OK);
  assert_int_equal(gh_jwks_count(set), 1);
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_jwks(v, set, 0), GH_OK);
  gh_jwks_free(set);
  return v;
}

/* A.1-A.3 are JWTs: they verify just before their exp, are EXPIRED after it
 * (RFC 7519 4.1.4), and reject a flipped signature bit. A.4's payload is not
 * JSON: the signature verifies, the JWT layer then rejects the payload. */
static void test_appendix_a(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
    const vector *t = &VECTORS[i];
    gh_jwt_verifier *v = verifier_for(t->jwk);
    gh_principal *p = NULL;
    int reason;
    char msg[160];
    size_t len = strlen(t->token);
    int rc = gh_jwt_verify(v, t->token, len, A_EXP_MS - 100000, &p, &reason, msg, sizeof msg);
    if (t->payload_is_jwt) {
      if (rc != GH_OK) fail_msg("%s: %s", t->name, msg);
      const char *iss;
      int is_root = 0;
      assert_int_equal(gh_principal_claim_string(p, "iss", 3, &iss), GH_OK);
      assert_string_equal(iss, "joe");
      assert_int_equal(gh_principal_claim_bool(p, "http://example", 14, &is_root), GH_ENOTFOUND);
      assert_int_equal(gh_principal_expires_at(p), 1300819380);
      gh_principal_free(p);
      /* leeway is 60 s by default: 61 s after exp the token is expired */
      assert_int_equal(gh_jwt_verify(v, t->token, len, A_EXP_MS + 61000, NULL, &reason, NULL, 0), GH_EDENIED);
      assert_int_equal(reason, GH_JWT_EXPIRED);
    } else {
      assert_int_equal(rc, GH_EDENIED);
      assert_int_equal(reason, GH_JWT_BAD_PAYLOAD); /* "Payload" is not a JSON object */
    }
    char *bad = strdup(t->token);
    bad[len - 5] = bad[len - 5] == 'A' ? 'B' : 'A';
    rc = gh_jwt_verify(v, bad, len, A_EXP_MS - 100000, NULL, &reason, NULL, 0);
    assert_int_equal(rc, GH_EDENIED);
    assert_true(reason == GH_JWT_BAD_SIGNATURE || reason == GH_JWT_MALFORMED);
    free(bad);
    gh_jwt_verifier_free(v);
  }
}

/* A.5: an unsecured JWS ("alg":"none") is never accepted (RFC 8725 3.2). */
static void test_appendix_a5_unsecured(void **state) {
  (void)state;
  gh_jwt_verifier *v = verifier_for(VECTORS[0].jwk);
  int reason;
  const char *token = "eyJhbGciOiJub25lIn0." A_PAYLOAD ".";
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), A_EXP_MS - 1000, NULL, &reason, NULL, 0), GH_EDENIED);
  assert_int_equal(reason, GH_JWT_MALFORMED); /* empty signature part */
  const char *signed_none = "eyJhbGciOiJub25lIn0." A_PAYLOAD ".AAAA";
  assert_int_equal(gh_jwt_verify(v, signed_none, strlen(signed_none), A_EXP_MS - 1000, NULL, &reason, NULL, 0),
                   GH_EDENIED);
  assert_int_equal(reason, GH_JWT_ALG_NONE);
  gh_jwt_verifier_free(v);
}

/* RFC 7638 section 3.1: the thumbprint of the RFC 7517 A.1 RSA key. */
static void test_rfc7638_thumbprint(void **state) {
  (void)state;
  const char *jwk =
      "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
      "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
      "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\","
      "\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
  char out[GH_JWK_THUMBPRINT_LEN + 1];
  assert_int_equal(gh_jwk_thumbprint(jwk, strlen(jwk), out, sizeof out), GH_OK);
  assert_string_equal(out, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  assert_int_equal(gh_jwk_thumbprint(jwk, strlen(jwk), out, 10), GH_EBUFFER);
  const char *sym = "{\"kty\":\"oct\"}";
  assert_int_equal(gh_jwk_thumbprint(sym, strlen(sym), out, sizeof out), GH_EPARSE); /* no "k" */
  const char *okp = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}";
  assert_int_equal(gh_jwk_thumbprint(okp, strlen(okp), out, sizeof out), GH_EUNSUPPORTED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appendix_a),
      cmocka_unit_test(test_appendix_a5_unsecured),
      cmocka_unit_test(test_rfc7638_thumbprint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
