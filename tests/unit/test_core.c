/* lib/core: error codes, base64url (RFC 4648 5, strict as RFC 7515 2 asks),
 * strict JSON (RFC 8259), constant-time compare, hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base64url.h"
#include "core/core.h"
#include "core/hash64.h"
#include "core/json.h"
#include "gatehouse.h"

/* RFC 9110 §15's reason phrases, and none made up for a status the library does not name. */
static void test_status_text(void **state) {
  (void)state;
  assert_string_equal(gh_http_status_text(429), "Too Many Requests"); /* RFC 6585 §4 */
  assert_string_equal(gh_http_status_text(413), "Content Too Large");  /* RFC 9110 §15.5.14, was "Payload" */
  assert_string_equal(gh_http_status_text(101), "Switching Protocols");
  assert_string_equal(gh_http_status_text(504), "Gateway Timeout");
  assert_string_equal(gh_http_status_text(299), "");
  assert_string_equal(gh_http_status_text(-1), "");
}

static void test_errors(void **state) {
  (void)state;
  assert_string_equal(gh_err_name(GH_ENOMEM), "ENOMEM");
  assert_string_equal(gh_strerror(GH_OK), "success");
  assert_string_equal(gh_err_name(-999), "UNKNOWN");
  assert_string_equal(gh_strerror(-999), "unknown error");
  assert_int_equal(GH_EIO, -13); /* codes are only ever added: values are fixed */
  assert_non_null(strchr(gh_version_string(), '.'));
}

/* RFC 4648 section 10 vectors, in the URL alphabet without padding. */
static void test_base64url_vectors(void **state) {
  (void)state;
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  for (int i = 0; i < 7; i++) {
    char out[16];
    unsigned char dec[16];
    size_t n;
    assert_int_equal(gh__b64url_encode((const unsigned char *)plain[i], strlen(plain[i]), out), strlen(enc[i]));
    assert_string_equal(out, enc[i]);
    assert_int_equal(gh__b64url_decode(enc[i], strlen(enc[i]), dec, sizeof dec, &n), GH_OK);
    assert_int_equal(n, strlen(plain[i]));
    assert_memory_equal(dec, plain[i], n);
  }
  unsigned char bytes[] = {0xfb, 0xff, 0xbf};
  char out[8];
  gh__b64url_encode(bytes, 3, out);
  assert_string_equal(out, "-_-_"); /* URL-safe alphabet */
}

static void test_base64url_strict(void **state) {
  (void)state;
  unsigned char out[16];
  size_t n;
  static const char *const bad[] = {
      "Zg==",  /* padding */
      "Zm9v+", "Zm/v", /* standard alphabet */
      "Z",     /* 1 mod 4 */
      "Zh",    /* non-zero unused bits: "Zg" is the canonical form */
      "Zm9",   /* "Zm8" is canonical */
      "Zm 9v", "Zm9v\n", /* white space */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(gh__b64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &n), GH_EPARSE);
  assert_int_equal(gh__b64url_decode("Zm9vYmFy", 8, out, 5, &n), GH_EBUFFER);
}

/* Every byte value in every position of a quad (and of a final pair):
 * accepted exactly when it is in the URL alphabet, decoding to its index
 * (RFC 4648 section 5, table 2). */
static void test_base64url_every_byte(void **state) {
  (void)state;
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int c = 0; c < 256; c++) {
    const char *at = c ? memchr(alphabet, c, 64) : NULL;
    for (int pos = 0; pos < 4; pos++) {
      char quad[4] = {'A', 'A', 'A', 'A'};
      quad[pos] = (char)c;
      unsigned char out[3];
      size_t n;
      int rc = gh__b64url_decode(quad, 4, out, sizeof out, &n);
      assert_int_equal(rc, at ? GH_OK : GH_EPARSE);
      if (!at) continue;
      uint32_t v = (uint32_t)out[0] << 16 | (uint32_t)out[1] << 8 | out[2];
      assert_int_equal(v, (uint32_t)(at - alphabet) << (18 - 6 * pos));
    }
    char pair[2] = {(char)c, 'A'};
    unsigned char out[1];
    size_t n;
    assert_int_equal(gh__b64url_decode(pair, 2, out, sizeof out, &n), at ? GH_OK : GH_EPARSE);
  }
}

static int parse(const char *s) {
  cJSON *j;
  int rc = gh__json_parse(s, strlen(s), 1 << 20, 8, &j, NULL, 0);
  if (rc == GH_OK) cJSON_Delete(j);
  return rc;
}

static void test_json_strict(void **state) {
  (void)state;
  static const char *const good[] = {
      "{}", "[]", "0", "-0.5e+10", "\"\\u00e9\\ud83d\\ude00\"", "{\"a\":[1,true,false,null,\"x\"]}", " {\"a\" : 1 } ",
      "\"caf\xc3\xa9\"",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (parse(good[i]) != GH_OK) fail_msg("rejected valid JSON %s", good[i]);
  static const char *const bad[] = {
      "{\"a\":1,\"a\":2}",             /* duplicate member (cJSON alone keeps the first) */
      "{\"x\":{\"b\":1,\"b\":1}}",     /* nested duplicate */
      "01", "+1", "1.", ".5", "1e", "-", /* RFC 8259 section 6 numbers */
      "\"a\x01\"",                     /* raw control character */
      "\"\\u0000\"",                   /* would truncate a C string */
      "\"\\ud800\"", "\"\\udc00x\"",   /* lone surrogates */
      "\"\xc3\x28\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", /* invalid UTF-8, overlong */
      "{\"a\":1,}", "[1,]", "{a:1}", "'x'", "nul", "{} {}", "", "NaN", "Infinity",
      "\"\\x41\"",                     /* unknown escape */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (parse(bad[i]) != GH_EPARSE) fail_msg("accepted invalid JSON #%zu %s", i, bad[i]);
  /* many members: the sorted duplicate check */
  char big[4096] = "{";
  for (int i = 0; i < 100; i++) sprintf(big + strlen(big), "\"k%d\":%d,", i, i);
  strcat(big, "\"k7\":0}");
  assert_int_equal(parse(big), GH_EPARSE);
  big[strlen(big) - 6] = 'z';
  assert_int_equal(parse(big), GH_OK);
}

/* The scanner settles duplicates itself: escaped spellings of one name
 * collide, nested objects are checked, big objects fall back to the tree. */
static void test_json_duplicates_without_tree(void **state) {
  (void)state;
  assert_int_equal(parse("{\"exp\":1,\"\\u0065xp\":2}"), GH_EPARSE); /* "\u0065xp" is "exp" */
  assert_int_equal(parse("{\"a\":{\"b\":[{\"c\":1,\"c\":2}]}}"), GH_EPARSE);
  assert_int_equal(parse("[{\"a\":1},{\"a\":1}]"), GH_OK); /* same name in sibling objects */
  assert_int_equal(parse("{\"a\":{\"x\":1},\"b\":{\"x\":1}}"), GH_OK);
  char big[8192] = "{";
  for (int i = 0; i < 300; i++) sprintf(big + strlen(big), "\"k%d\":{\"v\":%d},", i, i);
  strcat(big, "\"k299\":0}");
  assert_int_equal(gh__json_scan(big, strlen(big), 1 << 20, 8, NULL, NULL, NULL, NULL, 0), GH_EPARSE);
  big[strlen(big) - 6] = 'z';
  assert_int_equal(gh__json_scan(big, strlen(big), 1 << 20, 8, NULL, NULL, NULL, NULL, 0), GH_OK);
}

typedef struct seen {
  int count;
  char names[8][32];
  char values[8][32];
} seen;

static void record(void *ud, const char *name, size_t n, const char *value, size_t len) {
  seen *s = ud;
  snprintf(s->names[s->count], 32, "%.*s", (int)n, name ? name : "(null)");
  snprintf(s->values[s->count], 32, "%.*s", (int)len, value);
  s->count++;
}

static void test_json_scan_members(void **state) {
  (void)state;
  seen s = {0};
  bool object = false;
  const char *doc = " {\"sub\" : \"al\\\"ice\", \"\\u0065xp\":17, \"n\":{\"deep\":1}} ";
  assert_int_equal(gh__json_scan(doc, strlen(doc), 1024, 8, record, &s, &object, NULL, 0), GH_OK);
  assert_true(object);
  assert_int_equal(s.count, 3); /* top-level members only */
  assert_string_equal(s.names[0], "sub");
  assert_string_equal(s.values[0], "\"al\\\"ice\"");
  assert_string_equal(s.names[1], "exp"); /* names arrive decoded */
  assert_string_equal(s.values[1], "17");
  assert_string_equal(s.values[2], "{\"deep\":1}");
  assert_int_equal(gh__json_scan("[1]", 3, 1024, 8, record, &s, &object, NULL, 0), GH_OK);
  assert_false(object);
  char out[16];
  const char *esc = "a\\u00e9\\ud83d\\ude00\\n";
  size_t n = gh__json_unescape(esc, strlen(esc), out, sizeof out);
  assert_int_equal(n, 1 + 2 + 4 + 1);
  assert_memory_equal(out, "a\xc3\xa9\xf0\x9f\x98\x80\n", n);
  assert_int_equal(gh__json_unescape(esc, strlen(esc), out, 3), SIZE_MAX);
}

static void test_json_limits(void **state) {
  (void)state;
  cJSON *j;
  char msg[128];
  assert_int_equal(gh__json_parse("[[[[[[[[[1]]]]]]]]]", 19, 1024, 8, &j, msg, sizeof msg), GH_ETOOBIG);
  assert_non_null(strstr(msg, "deep"));
  assert_int_equal(gh__json_parse("[[[[[[[[1]]]]]]]]", 17, 1024, 8, &j, NULL, 0), GH_OK);
  cJSON_Delete(j);
  assert_int_equal(gh__json_parse("[1,2,3]", 7, 6, 8, &j, msg, sizeof msg), GH_ETOOBIG);
  assert_int_equal(gh__json_parse("{\"a\":{\"b\":{\"c\":7}}}", 19, 100, 8, &j, NULL, 0), GH_OK);
  const cJSON *c = gh__json_path(j, "a.b.c", 5);
  assert_non_null(c);
  assert_int_equal(c->valueint, 7);
  assert_null(gh__json_path(j, "a.x.c", 5));
  assert_null(gh__json_path(j, "a.b.c.d", 7));
  cJSON_Delete(j);
}

static void test_ct_equal_and_hash(void **state) {
  (void)state;
  assert_true(gh__ct_equal("abcd", "abcd", 4));
  assert_false(gh__ct_equal("abcd", "abce", 4));
  assert_true(gh__ct_equal("", "", 0));
  unsigned char x[37], y[37]; /* four words and a tail: a difference anywhere counts */
  for (size_t i = 0; i < sizeof x; i++) x[i] = y[i] = (unsigned char)(i * 7);
  for (size_t len = 0; len <= sizeof x; len++) {
    assert_true(gh__ct_equal(x, y, len));
    for (size_t at = 0; at < len; at++) {
      y[at] ^= 0x80;
      assert_false(gh__ct_equal(x, y, len));
      y[at] ^= 0x80;
    }
  }
  uint64_t s = gh__hash_seed();
  assert_int_not_equal(gh__hash64("token-a", 7, s), gh__hash64("token-b", 7, s));
  assert_int_equal(gh__hash64("same", 4, s), gh__hash64("same", 4, s));
  unsigned char secret[8] = {1, 2, 3, 4, 5, 6, 7, 8}, zero[8] = {0};
  gh__wipe(secret, sizeof secret);
  assert_memory_equal(secret, zero, 8);
}

static int64_t fixed_clock(void *ud) { return *(int64_t *)ud; }
static int logged;
static void log_hook(void *ud, int level, const char *msg) {
  (void)ud;
  (void)msg;
  if (level >= GH_LOG_WARN) logged++;
}

static void *any_malloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}

static void test_hooks(void **state) {
  (void)state;
  int64_t t = 123456;
  gh_set_clock(fixed_clock, &t);
  assert_int_equal(gh_now_ms(), 123456);
  gh_set_clock(NULL, NULL);
  assert_true(gh_now_ms() > 1600000000000LL);
  gh_set_log(log_hook, NULL, GH_LOG_WARN);
  gh__log(GH_LOG_INFO, "quiet");
  gh__log(GH_LOG_ERROR, "loud %d", 1);
  assert_int_equal(logged, 1);
  gh_set_log(NULL, NULL, GH_LOG_WARN);
  assert_int_equal(gh_set_allocator(any_malloc, NULL, NULL, NULL), GH_EINVAL); /* all or none */
}

/* Numbers from outside never become integers by an out-of-range cast. */
static void test_numbers_in_range(void **state) {
  (void)state;
  int64_t v;
  assert_true(gh__double_to_int64(42, &v) && v == 42);
  assert_true(gh__double_to_int64(-9223372036854775808.0, &v) && v == INT64_MIN);
  assert_false(gh__double_to_int64(9223372036854775808.0, &v)); /* 2^63 */
  assert_false(gh__double_to_int64(1e300, &v));
  assert_false(gh__double_to_int64(-1e300, &v));
  assert_false(gh__double_to_int64(0.5, &v));
  assert_false(gh__double_to_int64(NAN, &v));
  assert_false(gh__double_to_int64(INFINITY, &v));
  assert_true(gh__seconds_to_ms(1.5, &v) && v == 1500);
  assert_true(gh__seconds_to_ms(GH_TIME_MAX_MS / 1000, &v) && v == GH_TIME_MAX_MS / 1000 * 1000);
  assert_false(gh__seconds_to_ms(1e300, &v));
  assert_false(gh__seconds_to_ms(-1, &v));
  assert_false(gh__seconds_to_ms(NAN, &v));
  assert_false(gh__seconds_to_ms(INFINITY, &v));
  assert_true(gh__time_ok(0) && gh__time_ok(GH_TIME_MAX_MS));
  assert_false(gh__time_ok(-1) || gh__time_ok(GH_TIME_MAX_MS + 1) || gh__time_ok(INT64_MAX));
  assert_int_equal(gh_time_max_ms(), GH_TIME_MAX_MS);
}

/* Every entry point that takes a time refuses one outside the range rather
 * than adding a period to it and wrapping. */
static void test_times_out_of_range(void **state) {
  (void)state;
  const int64_t bad[] = {-1, GH_TIME_MAX_MS + 1, INT64_MAX, INT64_MIN};
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, "t", GH_LIMIT_GCRA, 10, 1000, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_set_timeout(l, ((int64_t)1 << 40) + 1), GH_EINVAL);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_max_lifetime(v, INT64_MAX / 1000), GH_EINVAL); /* * 1000 would wrap */
  assert_int_equal(gh_jwt_verifier_set_max_lifetime(v, 86400), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_policy_request *r;
  assert_int_equal(gh_policy_request_new(&r), GH_OK);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int allowed;
    assert_int_equal(gh_limiter_take(l, "k", 1, 1, bad[i], &allowed, NULL, NULL), GH_EINVAL);
    assert_int_equal(gh_jwt_verify(v, "a.b.c", 5, bad[i], NULL, NULL, NULL, 0), GH_EINVAL);
    assert_int_equal(gh_policy_request_set_time(r, bad[i]), GH_EINVAL);
  }
  int allowed;
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, GH_TIME_MAX_MS, &allowed, NULL, NULL), GH_OK);
  assert_true(allowed);
  gh_policy_request_free(r);
  gh_jwt_verifier_free(v);
  gh_limiter_free(l);
}

/* A claim of 1e300 in a policy condition or a limit key is a number no
 * integer equals, not undefined behaviour (UBSan runs this). */
static void test_huge_claims(void **state) {
  (void)state;
  const char doc[] = "{\"rules\":[{\"id\":\"own\",\"effect\":\"allow\",\"subjects\":[\"*\"],\"actions\":[\"GET\"],"
                     "\"resources\":[\"/t/{id}\"],\"when\":{\"param\":{\"id\":{\"claim\":\"tid\"}}}}]}";
  gh_policy *p;
  assert_int_equal(gh_policy_parse(&p, doc, strlen(doc), NULL, 0), GH_OK);
  gh_policy_request *r;
  gh_policy_request_new(&r);
  gh_policy_request_set_action(r, "GET", 3);
  gh_policy_request_set_resource(r, "/t/7", 4);
  const char *claims[] = {"{\"tid\":1e300}", "{\"tid\":-1e300}", "{\"tid\":9223372036854775808}", "{\"tid\":7.5}"};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(gh_policy_request_set_claims(r, claims[i], strlen(claims[i])), GH_OK);
    int decision;
    assert_int_equal(gh_policy_decide(p, r, &decision, NULL), GH_OK);
    assert_int_equal(decision, GH_POLICY_DENY);
  }
  assert_int_equal(gh_policy_request_set_claims(r, "{\"tid\":7}", 9), GH_OK);
  int decision;
  assert_int_equal(gh_policy_decide(p, r, &decision, NULL), GH_OK);
  assert_int_equal(decision, GH_POLICY_ALLOW);
  gh_policy_request_free(r);
  gh_policy_free(p);
}

/* An allocator that keeps each block's size, and counts blocks freed while
 * they still hold the byte 'S' (a secret left behind). Its realloc moves
 * every block, as a real one may. */
static int secrets_left;

static void *sized_malloc(void *ud, size_t n) {
  (void)ud;
  size_t *p = malloc(sizeof(size_t) + n);
  if (!p) return NULL;
  *p = n;
  return p + 1;
}

static void sized_free(void *ud, void *q) {
  (void)ud;
  if (!q) return;
  size_t *p = (size_t *)q - 1;
  if (memchr(q, 'S', *p)) secrets_left++;
  free(p);
}

static void *sized_realloc(void *ud, void *q, size_t n) {
  void *r = sized_malloc(ud, n);
  if (r && q) {
    size_t old = ((size_t *)q)[-1];
    memcpy(r, q, old < n ? old : n);
    sized_free(ud, q);
  }
  return r;
}

/* A secret buffer is wiped wherever it leaves bytes behind: when it grows and
 * when it is freed; its base64url pieces too. A plain one is not (the
 * allocator sees the secret, which shows the check can fail). */
static void test_secret_buffer(void **state) {
  (void)state;
  for (int secret = 0; secret < 2; secret++) {
    assert_int_equal(gh_set_allocator(sized_malloc, sized_realloc, sized_free, NULL), GH_OK);
    secrets_left = 0;
    gh__buf b = {.secret = secret};
    char chunk[40];
    memset(chunk, 'S', sizeof chunk);
    for (int i = 0; i < 20; i++) gh__buf_put(&b, chunk, sizeof chunk); /* grows 64 -> 1024 */
    gh__buf_put_b64url(&b, "\x49\x24\x92", 3);                     /* "SSSS" */
    assert_int_equal(gh__buf_finish(&b), GH_OK);
    assert_int_equal(b.len, 20 * sizeof chunk + 4);
    assert_int_equal(memcmp(b.p + b.len - 4, "SSSS", 4), 0); /* contents kept across moves */
    gh__buf_free(&b);
    gh_set_allocator(NULL, NULL, NULL, NULL);
    if (secret) assert_int_equal(secrets_left, 0);
    else assert_true(secrets_left > 1);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_numbers_in_range), cmocka_unit_test(test_times_out_of_range), cmocka_unit_test(test_huge_claims),
      cmocka_unit_test(test_errors),      cmocka_unit_test(test_base64url_vectors), cmocka_unit_test(test_base64url_strict),
      cmocka_unit_test(test_base64url_every_byte),
      cmocka_unit_test(test_json_strict), cmocka_unit_test(test_json_limits),       cmocka_unit_test(test_ct_equal_and_hash),
      cmocka_unit_test(test_hooks),       cmocka_unit_test(test_json_duplicates_without_tree),
      cmocka_unit_test(test_json_scan_members),   cmocka_unit_test(test_secret_buffer),
      cmocka_unit_test(test_status_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
