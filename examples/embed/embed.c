/* The smallest useful host: the README's embedding snippet as a program.
 * Verifies a bearer token against a key set, for one issuer and audience.
 *
 *   usage: embed JWKS_FILE TOKEN_FILE [ISSUER [AUDIENCE]]
 *   (TOKEN_FILE "-" reads standard input; ISSUER defaults to
 *    https://id.example.com and AUDIENCE to api://orders, as in the README)
 *
 * Prints "allow sub=..." (exit 0) or "deny REASON: why" (exit 1); a file it
 * cannot read or a key set that does not parse exits 2. Try it with the demo
 * key (examples/tokens/README.md):
 *   gatehouse jwt sign --alg ES256 --jwk examples/tokens/demo-signing-key.jwk.json \
 *     '{"sub":"alice","iss":"https://id.example.com","aud":"api://orders","exp":4102444800}' > token.txt
 *   embed examples/tokens/demo-jwks.json token.txt */
#include <gatehouse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file (at most max bytes), NUL-terminated, trailing white space cut; NULL on error. */
static char *read_file(const char *path, size_t max, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  char *buf = f ? malloc(max + 1) : NULL;
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  if (f && f != stdin) fclose(f);
  if (!buf || n > max) {
    fprintf(stderr, "embed: cannot read %s%s\n", path, buf ? " (too large)" : "");
    free(buf);
    return NULL;
  }
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
  buf[n] = 0;
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5) return fprintf(stderr, "usage: embed JWKS_FILE TOKEN_FILE [ISSUER [AUDIENCE]]\n"), 2;
  const char *issuer = argc > 3 ? argv[3] : "https://id.example.com", *audience = argc > 4 ? argv[4] : "api://orders";
  size_t jwks_len, token_len;
  char *jwks_json = read_file(argv[1], 1 << 20, &jwks_len), *token = read_file(argv[2], 16 * 1024, &token_len);
  char msg[256];
  gh_jwks *keys = NULL;
  if (!jwks_json || !token || gh_jwks_parse(&keys, jwks_json, jwks_len, msg, sizeof msg)) {
    if (jwks_json && token) fprintf(stderr, "embed: %s: %s\n", argv[1], msg);
    free(jwks_json);
    free(token);
    return 2;
  }
  gh_jwt_verifier *v;
  gh_jwt_verifier_new(&v);
  gh_jwt_verifier_add_issuer(v, issuer, strlen(issuer));
  gh_jwt_verifier_add_audience(v, audience, strlen(audience));
  gh_jwt_verifier_allow_alg(v, "ES256");          /* what your issuer signs with */
  gh_jwt_verifier_set_cache(v, 10000, 60000);     /* repeated tokens skip the signature */
  gh_jwt_verifier_build(v);                       /* immutable and thread-safe from here */
  gh_jwt_verifier_set_jwks(v, keys, gh_now_ms()); /* swap keys any time, from any thread */
  gh_jwks_free(keys);

  gh_principal *who = NULL;
  int reason;
  int rc = gh_jwt_verify(v, token, token_len, gh_now_ms(), &who, &reason, msg, sizeof msg);
  if (rc == GH_OK) printf("allow sub=%s\n", gh_principal_subject(who) ? gh_principal_subject(who) : "-");
  else printf("deny %s: %s\n", gh_jwt_reason_name(reason), msg);
  gh_principal_free(who);
  gh_jwt_verifier_free(v);
  free(jwks_json);
  free(token);
  return rc == GH_OK ? 0 : 1;
}
