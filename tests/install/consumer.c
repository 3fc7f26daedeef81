/* A program outside the tree, built against the installed package. */
#include <gatehouse.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  gh_jwt_verifier *v;
  if (gh_jwt_verifier_new(&v) != GH_OK || gh_jwt_verifier_build(v) != GH_OK) return 1;
  int reason;
  int rc = gh_jwt_verify(v, "a.b.c", 5, 0, NULL, &reason, NULL, 0);
  gh_jwt_verifier_free(v);
  printf("gatehouse %s (%s): %s\n", gh_version_string(), gh_crypto_backend(), gh_jwt_reason_name(reason));
  return rc == GH_EDENIED && reason == GH_JWT_MALFORMED ? 0 : 1;
}
