/* The smallest useful host: verify a bearer token against a key set.
 * usage: embed JWKS_JSON TOKEN   (prints the subject, or the reason) */
#include <gatehouse.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: embed JWKS_JSON TOKEN\n"), 2;
  gh_jwks *keys;
  gh_jwt_verifier *v;
  char msg[256];
  if (gh_jwks_parse(&keys, argv[1], strlen(argv[1]), msg, sizeof msg)) return fprintf(stderr, "%s\n", msg), 2;
  gh_jwt_verifier_new(&v);
  gh_jwt_verifier_allow_alg(v, "ES256");        /* accept only what your issuer uses */
  gh_jwt_verifier_set_cache(v, 10000, 60000);   /* repeated tokens skip the signature check */
  gh_jwt_verifier_build(v);                     /* from here on: thread-safe */
  gh_jwt_verifier_set_jwks(v, keys, gh_now_ms()); /* swappable at any time */
  gh_jwks_free(keys);

  gh_principal *who;
  int reason;
  int rc = gh_jwt_verify(v, argv[2], strlen(argv[2]), gh_now_ms(), &who, &reason, msg, sizeof msg);
  if (rc == GH_OK) printf("allow sub=%s\n", gh_principal_subject(who) ? gh_principal_subject(who) : "-");
  else printf("deny %s: %s\n", gh_jwt_reason_name(reason), msg);
  gh_principal_free(who);
  gh_jwt_verifier_free(v);
  return rc == GH_OK ? 0 : 1;
}
