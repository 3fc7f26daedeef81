/* Fuzzes OIDC discovery / RFC 8414 metadata: any document parses or is
 * refused with a message; what parses has an https issuer equal to the
 * expected one and an https jwks_uri. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char issuer[] = "https://id.example.com";
  gh_oidc_metadata *m = NULL;
  char msg[256] = "";
  int rc = gh_oidc_metadata_parse(&m, (const char *)data, size, issuer, msg, sizeof msg);
  if ((rc == GH_OK) != (m != NULL)) abort();
  if (rc == GH_OK) {
    if (strcmp(gh_oidc_issuer(m), issuer) || strncmp(gh_oidc_jwks_uri(m), "https://", 8)) abort();
    (void)gh_oidc_introspection_endpoint(m), (void)gh_oidc_token_endpoint(m);
    (void)gh_oidc_supports_alg(m, "RS256");
  } else if (rc != GH_ENOMEM && !msg[0]) {
    abort(); /* a refusal says why */
  }
  gh_oidc_metadata_free(m);
  return 0;
}
