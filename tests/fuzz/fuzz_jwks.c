/* Fuzzes JWK Set parsing, RFC 7638 thumbprints and private JWKs as signing keys. */
#include <stdint.h>
#include <stdlib.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_jwks *set = NULL;
  int rc = gh_jwks_parse(&set, (const char *)data, size, NULL, 0);
  if (rc == GH_OK && gh_jwks_count(set) + gh_jwks_skipped(set) > GH_JWKS_DEFAULT_MAX_KEYS) abort();
  if (rc != GH_OK && set) abort();
  gh_jwks_free(set);
  char tp[GH_JWK_THUMBPRINT_LEN + 1];
  (void)gh_jwk_thumbprint((const char *)data, size, tp, sizeof tp);
  gh_signing_key *key = NULL;
  rc = gh_signing_key_from_jwk(&key, (const char *)data, size);
  if ((rc == GH_OK) != (key != NULL)) abort();
  gh_signing_key_free(key);
  return 0;
}
