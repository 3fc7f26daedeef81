#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gatehouse.h"

/* What `gatehouse token issue --realm demo` signs with: the realm's issuer, audience and key id. */
static void describe_realm(const char *state_dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/demo-realm.json", state_dir);
  FILE *about = fopen(path, "w");
  if (!about) return;
  fprintf(about, "{\"issuer\": \"%s\", \"audience\": \"%s\", \"kid\": \"%s\", \"alg\": \"ES256\"}\n", DEMO_ISSUER,
          DEMO_AUDIENCE, DEMO_KID);
  fclose(about);
}

static gh_signing_key *read_or_make_key(const char *state_dir);

gh_signing_key *demo_key(const char *state_dir) {
  gh_signing_key *key = read_or_make_key(state_dir);
  if (key) describe_realm(state_dir);
  return key;
}

static gh_signing_key *read_or_make_key(const char *state_dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/demo-signing-key.jwk.json", state_dir);
  gh_signing_key *key = NULL;
  FILE *f = fopen(path, "rb");
  if (f) {
    char jwk[8192];
    size_t n = fread(jwk, 1, sizeof jwk, f);
    fclose(f);
    if (gh_signing_key_from_jwk(&key, jwk, n)) {
      fprintf(stderr, "gatehouse-server: %s is not a signing key; remove it to make a new one\n", path);
      return NULL;
    }
    return key;
  }
  if (mkdir(state_dir, 0700) && errno != EEXIST) {
    fprintf(stderr, "gatehouse-server: cannot make the state folder %s: %s (choose one with --state DIR)\n", state_dir,
            strerror(errno));
    return NULL;
  }
  char *jwk = NULL;
  size_t len = 0;
  if (gh_signing_key_generate(&key, "EC", 256) || gh_signing_key_jwk(key, 1, DEMO_KID, "ES256", "sig", &jwk, &len)) {
    fprintf(stderr, "gatehouse-server: cannot make the demo key\n");
    gh_signing_key_free(key);
    return NULL;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || write(fd, jwk, len) != (ssize_t)len) {
    fprintf(stderr, "gatehouse-server: cannot write %s: %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
    gh_free_secret(jwk);
    gh_signing_key_free(key);
    return NULL;
  }
  close(fd);
  gh_free_secret(jwk);
  fprintf(stderr, "gatehouse-server: made the demo realm's key pair in %s\n", state_dir);
  return key;
}

/* The demo: a JWT realm with the generated key; an API-key realm whose consumer is on a plan; APIs in
 * several lifecycle states; a limit; everything proxied to the built-in echo service. */
static const char *DEMO =
    "{\"gatehouse\":1,"
    "\"realms\":{"
    " \"demo\":{\"providers\":[{\"name\":\"demo-idp\",\"type\":\"jwt\",\"issuer\":\"" DEMO_ISSUER
    "\","
    "  \"audience\":\"" DEMO_AUDIENCE
    "\",\"algorithms\":[\"ES256\"],\"roles_claim\":\"roles\",\"jwks\":{\"keys\":[%s]}}]},"
    " \"partners\":{\"api_key_header\":\"X-API-Key\",\"providers\":[{\"name\":\"keys\",\"type\":\"api_key\",\"consumer_"
    "keys\":true}]}},"
    "\"policies\":{\"orders\":{\"roles\":{\"editor\":{\"inherits\":[\"viewer\"]},\"viewer\":{}},\"rules\":["
    " {\"id\":\"read\",\"effect\":\"allow\",\"roles\":[\"viewer\"],\"actions\":[\"GET\",\"HEAD\"],\"resources\":[\"/"
    "orders\",\"/orders/*\"]},"
    " {\"id\":\"write\",\"effect\":\"allow\",\"roles\":[\"editor\"],\"actions\":[\"POST\",\"PUT\"],\"resources\":[\"/"
    "orders\",\"/orders/*\"]}]}},"
    "\"limits\":{\"per-caller\":{\"algorithm\":\"gcra\",\"limit\":20,\"period\":1,\"burst\":20,\"key\":\"subject|ip\","
    "\"memory\":1048576}},"
    "\"upstreams\":{\"echo\":{\"targets\":[\"http://127.0.0.1:%d\"]}},"
    "\"apis\":["
    " {\"name\":\"orders\",\"title\":\"Orders\",\"versions\":["
    "  {\"version\":\"v0\",\"state\":\"retired\",\"base_path\":\"/v0\",\"successor\":\"v2\",\"upstream\":\"echo\","
    "   \"routes\":[{\"method\":\"GET\",\"path\":\"/orders/{id}\"}]},"
    "  {\"version\":\"v1\",\"state\":\"deprecated\",\"base_path\":\"/v1\",\"deprecated\":\"2026-06-01T00:00:00Z\","
    "   "
    "\"sunset\":\"2030-01-01T00:00:00Z\",\"successor\":\"v2\",\"realm\":\"demo\",\"policy\":\"orders\",\"limits\":["
    "\"per-caller\"],"
    "   \"upstream\":\"echo\",\"routes\":[{\"name\":\"v1-get-order\",\"method\":\"GET\",\"path\":\"/orders/{id}\"}]},"
    "  "
    "{\"version\":\"v2\",\"base_path\":\"/"
    "v2\",\"realm\":\"demo\",\"policy\":\"orders\",\"limits\":[\"per-caller\"],\"upstream\":\"echo\","
    "   \"routes\":[{\"name\":\"get-order\",\"method\":\"GET\",\"path\":\"/orders/{id}\"},"
    "             {\"name\":\"create-order\",\"method\":\"POST\",\"path\":\"/orders\"}]}]},"
    " {\"name\":\"catalog\",\"title\":\"Catalog\",\"subscription_required\":true,\"versions\":["
    "  {\"version\":\"v1\",\"base_path\":\"/catalog/v1\",\"realm\":\"partners\",\"upstream\":\"echo\","
    "   \"routes\":[{\"name\":\"list-products\",\"method\":\"GET\",\"path\":\"/products\"}]}]}],"
    "\"routes\":[{\"name\":\"health\",\"method\":\"GET\",\"path\":\"/"
    "health\",\"upstream\":\"echo\",\"auth\":\"none\"}],"
    "\"plans\":{\"starter\":{\"title\":\"Starter\",\"limits\":{"
    " \"per-second\":{\"algorithm\":\"gcra\",\"limit\":5,\"period\":1,\"memory\":1048576},"
    " \"daily\":{\"algorithm\":\"quota-day\",\"limit\":1000,\"memory\":1048576}}}},"
    "\"consumers\":{\"demo-app\":{\"plan\":\"starter\",\"credentials\":{\"api_keys\":["
    " \"%s\"]},\"subscriptions\":[{\"api\":\"catalog\",\"version\":\"v1\"}]}}}";

char *demo_config(const gh_signing_key *key, int echo_port, size_t *len) {
  char *jwk = NULL;
  size_t jlen = 0;
  if (gh_signing_key_jwk(key, 0, DEMO_KID, "ES256", "sig", &jwk, &jlen)) return NULL;
  /* sha256("demo-key-DO-NOT-USE"): a configuration holds digests, never keys */
  const char *digest = "7a315f8102d9ecd79acc72f5d5c537c0e4b36a99559a06813ad7fa81d369c5fb";
  size_t cap = strlen(DEMO) + jlen + 128;
  char *doc = malloc(cap);
  if (doc) *len = (size_t)snprintf(doc, cap, DEMO, jwk, echo_port, digest);
  gh_free(jwk);
  return doc;
}

char *demo_token(const gh_signing_key *key, const char *sub, const char *role, long long now_s) {
  char payload[512], *token = NULL;
  size_t len = 0;
  snprintf(payload, sizeof payload,
           "{\"iss\":\"" DEMO_ISSUER "\",\"aud\":\"" DEMO_AUDIENCE
           "\",\"sub\":\"%s\",\"roles\":[\"%s\"],\"iat\":%lld,"
           "\"exp\":%lld}",
           sub, role, now_s, now_s + 86400);
  if (gh_jwt_sign(key, "ES256", DEMO_KID, payload, strlen(payload), &token, &len)) return NULL;
  char *copy = strdup(token);
  gh_free(token);
  return copy;
}
