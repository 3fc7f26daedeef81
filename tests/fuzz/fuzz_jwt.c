/* Fuzzes the whole verification path: compact JWS parsing, header rules, key
 * selection, signature check and claims, against a fixed HS256 key set and a
 * fixed EC key set. Invariants: no crash or leak, and a result of GH_OK or
 * GH_EDENIED with a known reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

static gh_jwt_verifier *hs, *es;

static gh_jwt_verifier *make(const char *jwks) {
  gh_jwks *set;
  gh_jwt_verifier *v;
  if (gh_jwks_parse(&set, jwks, strlen(jwks), NULL, 0) || gh_jwt_verifier_new(&v)) abort();
  gh_jwt_verifier_set_cache(v, 256, 1000);
  gh_jwt_verifier_build(v);
  gh_jwt_verifier_set_jwks(v, set, 0);
  gh_jwks_free(set);
  return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  hs = make("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0\"}]}");
  es = make("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
            "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_jwt_verifier *vs[2] = {hs, es};
  for (int i = 0; i < 2; i++) {
    gh_principal *p = NULL;
    int reason = -1;
    char msg[128];
    int rc = gh_jwt_verify(vs[i], (const char *)data, size, 1300819300000LL, &p, &reason, msg, sizeof msg);
    if (rc == GH_OK) {
      size_t len;
      if (!gh_principal_payload(p, &len) || reason != GH_JWT_OK) abort();
      const char *s;
      (void)gh_principal_claim_string(p, "sub", 3, &s);
    } else if (rc != GH_EDENIED || !strcmp(gh_jwt_reason_name(reason), "UNKNOWN")) {
      abort();
    }
    gh_principal_free(p);
  }
  char *header, *payload; /* decoding for display: the same bytes never crash it either */
  size_t header_len, payload_len;
  int d = gh_jwt_decode_unverified((const char *)data, size, &header, &header_len, &payload, &payload_len);
  if (d == GH_OK) {
    if (header[header_len] || payload != header + header_len + 1 || payload[payload_len]) abort(); /* NUL-terminated, one block */
    gh_free(header);
  } else if (d != GH_EPARSE && d != GH_ETOOBIG && d != GH_ENOMEM) {
    abort();
  }
  return 0;
}
