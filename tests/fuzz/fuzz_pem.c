/* Fuzzes private keys in PEM (PKCS#1, SEC1, PKCS#8) through the crypto
 * backend: a key loads or is refused, and one that loads signs with some
 * algorithm of its type or refuses it cleanly. */
#include <stdint.h>
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
  return 0;
}
