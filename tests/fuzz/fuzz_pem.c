/* Fuzzes PEM keys through the crypto backend: a private key (PKCS#1, SEC1,
 * PKCS#8) loads or is refused, and one that loads signs with some algorithm
 * of its type or refuses it cleanly; any PEM, private or public, becomes a
 * JWK that is valid JSON or is refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_signing_key *k = NULL;
  int rc = gh_signing_key_from_pem(&k, (const char *)data, size);
  if ((rc == GH_OK) != (k != NULL)) abort();
  static const char *const algs[] = {"RS256", "PS256", "ES256", "ES384", "ES512"};
  for (size_t i = 0; k && i < sizeof algs / sizeof algs[0]; i++) {
    char *token = NULL;
    size_t len;
    int s = gh_jwt_sign(k, algs[i], "k", "{}", 2, &token, &len);
    if (s != GH_OK && s != GH_EKEY && s != GH_ECRYPTO && s != GH_ENOMEM) abort();
    if ((s == GH_OK) != (token != NULL)) abort();
    gh_free(token);
  }
  gh_signing_key_free(k);
  char *jwk = NULL;
  rc = gh_jwk_from_pem((const char *)data, size, NULL, NULL, NULL, &jwk, NULL);
  if ((rc == GH_OK) != (jwk != NULL)) abort();
  if (jwk) {
    gh_jwks *set = NULL; /* a JWK written is one a key set accepts */
    char wrapped[16384];
    int n = snprintf(wrapped, sizeof wrapped, "{\"keys\":[%s]}", jwk);
    if (n > 0 && (size_t)n < sizeof wrapped && gh_jwks_parse(&set, wrapped, (size_t)n, NULL, 0) != GH_OK) abort();
    gh_jwks_free(set);
  }
  gh_free_secret(jwk);
  return 0;
}
