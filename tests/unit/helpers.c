#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/alloc.h"
#include "gatehouse/error.h"
#include "gatehouse/realm.h"

char *t_read_vector(const char *rel, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", GH_VECTORS_DIR, rel);
  return t_read_file(path, len);
}

char *t_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  buf[n] = '\0';
  if (len) *len = (size_t)n;
  return buf;
}

cJSON *t_load_json(const char *rel) {
  char *text = t_read_vector(rel, NULL);
  cJSON *j = cJSON_Parse(text);
  free(text);
  assert_non_null(j);
  return j;
}

unsigned char *t_unhex(const char *hex, size_t *len) {
  size_t n = strlen(hex) / 2;
  unsigned char *out = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (unsigned char)v;
  }
  *len = n;
  return out;
}

static atomic_long outstanding, count, fail_at;

static void *t_malloc(void *ud, size_t n) {
  (void)ud;
  long c = atomic_fetch_add(&count, 1) + 1;
  if (atomic_load(&fail_at) && c == atomic_load(&fail_at)) return NULL;
  void *p = malloc(n);
  if (p) atomic_fetch_add(&outstanding, 1);
  return p;
}

static void *t_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  long c = atomic_fetch_add(&count, 1) + 1;
  if (atomic_load(&fail_at) && c == atomic_load(&fail_at)) return NULL;
  void *q = realloc(p, n);
  if (q && !p) atomic_fetch_add(&outstanding, 1);
  return q;
}

static void t_free(void *ud, void *p) {
  (void)ud;
  if (p) atomic_fetch_sub(&outstanding, 1);
  free(p);
}

void t_alloc_install(void) {
  atomic_store(&outstanding, 0);
  atomic_store(&count, 0);
  atomic_store(&fail_at, 0);
  gh_set_allocator(t_malloc, t_realloc, t_free, NULL);
}

void t_alloc_uninstall(void) { gh_set_allocator(NULL, NULL, NULL, NULL); }

void t_alloc_fail_at(long n) {
  atomic_store(&count, 0);
  atomic_store(&fail_at, n);
}

long t_alloc_outstanding(void) { return atomic_load(&outstanding); }
long t_alloc_count(void) { return atomic_load(&count); }

long t_faultsim_step(void) {
  const char *s = getenv("GH_FAULTSIM_STEP");
  long step = s ? atol(s) : 1;
  return step > 0 ? step : 1;
}

static int claims_hook(void *ud, const char *cred, size_t len, char **json, size_t *json_len) {
  (void)len, (void)cred;
  *json = strdup(ud);
  *json_len = strlen(ud);
  return 1;
}

gh_identity *t_identity_with_claims(const char *realm, const char *claims_json) {
  gh_realm *r;
  gh_idp *idp;
  gh_auth_request *q;
  gh_identity *id = NULL;
  int reason;
  char challenge[256];
  assert_int_equal(gh_realm_new(&r, realm), GH_OK);
  assert_int_equal(gh_idp_new_custom(&idp, "claims", claims_hook, (void *)claims_json), GH_OK);
  assert_int_equal(gh_realm_add_idp(r, idp), GH_OK);
  gh_idp_free(idp); /* the realm holds its own reference */
  gh_auth_request_new(&q);
  gh_auth_request_set_api_key(q, "any", 3);
  assert_int_equal(gh_realm_authenticate(r, q, 1700000000000LL, &id, &reason, challenge, sizeof challenge), GH_OK);
  gh_auth_request_free(q);
  gh_realm_free(r);
  return id;
}

static char g_log[16384];
static size_t g_log_len;

static void capture(void *ud, int level, const char *msg) {
  (void)ud;
  int n = snprintf(g_log + g_log_len, sizeof g_log - g_log_len, "%d %s\n", level, msg);
  if (n > 0 && g_log_len + (size_t)n < sizeof g_log) g_log_len += (size_t)n;
}

void t_log_capture(int min_level) {
  g_log_len = 0, g_log[0] = 0;
  gh_set_log(capture, NULL, min_level);
}

int t_log_count(const char *text) {
  int n = 0;
  for (const char *p = g_log; (p = strstr(p, text)); p += strlen(text)) n++;
  return n;
}

const char *t_log_all(void) { return g_log; }

void t_log_stop(void) { gh_set_log(NULL, NULL, GH_LOG_WARN); }
