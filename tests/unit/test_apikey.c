/* API key store: digests only, O(1) lookup, expiry and revocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "gatehouse.h"

static void test_lookup(void **state) {
  (void)state;
  gh_apikey_store *s;
  assert_int_equal(gh_apikey_store_new(&s), GH_OK);
  assert_int_equal(gh_apikey_store_add(s, "key-alice", 9, "alice", "orders:read orders:write", 0), GH_OK);
  assert_int_equal(gh_apikey_store_add(s, "key-bob", 7, "bob", NULL, 1000), GH_OK);
  unsigned char digest[32];
  gh__hash_digest(GH__SHA256, "key-carol", 9, digest);
  assert_int_equal(gh_apikey_store_add_digest(s, digest, "carol", "x", 0), GH_OK);
  assert_int_equal(gh_apikey_lookup(s, "key-alice", 9, 0, NULL, NULL), GH_EMISUSE); /* not built */
  assert_int_equal(gh_apikey_store_build(s), GH_OK);
  assert_int_equal(gh_apikey_store_add(s, "late", 4, "x", NULL, 0), GH_EMISUSE);

  const gh_apikey *k;
  int reason;
  assert_int_equal(gh_apikey_lookup(s, "key-alice", 9, 500, &k, &reason), GH_OK);
  assert_string_equal(gh_apikey_consumer(k), "alice");
  assert_string_equal(gh_apikey_scopes(k), "orders:read orders:write");
  assert_int_equal(gh_apikey_lookup(s, "key-carol", 9, 500, &k, &reason), GH_OK);
  assert_string_equal(gh_apikey_consumer(k), "carol");
  assert_int_equal(gh_apikey_lookup(s, "key-bob", 7, 999, &k, &reason), GH_OK);
  assert_int_equal(gh_apikey_lookup(s, "key-bob", 7, 1000, &k, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_APIKEY_EXPIRED);
  assert_null(k);
  assert_int_equal(gh_apikey_lookup(s, "key-alicf", 9, 0, &k, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_APIKEY_UNKNOWN);
  assert_int_equal(gh_apikey_lookup(s, "", 0, 0, &k, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_APIKEY_MALFORMED);
  assert_int_equal(gh_apikey_store_revoke(s, "key-alice", 9), GH_OK); /* after build */
  assert_int_equal(gh_apikey_lookup(s, "key-alice", 9, 0, &k, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_APIKEY_REVOKED);
  assert_int_equal(gh_apikey_store_revoke(s, "nope", 4), GH_ENOTFOUND);
  assert_string_equal(gh_apikey_reason_name(GH_APIKEY_REVOKED), "REVOKED");
  gh_apikey_store_free(s);
  gh_apikey_store_free(NULL);
}

static void test_duplicates_and_scale(void **state) {
  (void)state;
  gh_apikey_store *s;
  assert_int_equal(gh_apikey_store_new(&s), GH_OK);
  char key[32];
  for (int i = 0; i < 20000; i++) {
    int n = snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(gh_apikey_store_add(s, key, (size_t)n, "c", NULL, 0), GH_OK);
  }
  assert_int_equal(gh_apikey_store_build(s), GH_OK);
  assert_int_equal(gh_apikey_store_count(s), 20000);
  for (int i = 0; i < 20000; i += 997) {
    int n = snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(gh_apikey_lookup(s, key, (size_t)n, 0, NULL, NULL), GH_OK);
  }
  gh_apikey_store_free(s);
  assert_int_equal(gh_apikey_store_new(&s), GH_OK);
  assert_int_equal(gh_apikey_store_add(s, "same", 4, "a", NULL, 0), GH_OK);
  assert_int_equal(gh_apikey_store_add(s, "same", 4, "b", NULL, 0), GH_OK);
  assert_int_equal(gh_apikey_store_build(s), GH_EEXIST);
  gh_apikey_store_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_lookup), cmocka_unit_test(test_duplicates_and_scale)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
