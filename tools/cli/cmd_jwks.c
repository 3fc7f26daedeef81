/* gatehouse jwks add: builds the key set verifiers read from private or public JWKs. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

/* Members that only a private key has (RFC 7518 sections 6.2.2 and 6.3.2). */
static const char *const PRIVATE_MEMBERS[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

/* Reads one JWK file into the set's array as its public half, its kid kept or,
 * without one, set to its RFC 7638 thumbprint. EXIT_VALID or EXIT_USAGE (message printed). */
static int add_key(cJSON *keys, const char *path, bool *has_secret) {
  size_t len;
  char *text = cli_read_file(path, 64 * 1024, &len);
  if (!text) return EXIT_USAGE;
  const char *shape = cli_shape(text, len);
  cJSON *jwk = strcmp(shape, "one JWK") ? NULL : cJSON_ParseWithLength(text, len);
  char tp[GH_JWK_THUMBPRINT_LEN + 1];
  int rc = jwk ? gh_jwk_thumbprint(text, len, tp, sizeof tp) : GH_EPARSE;
  memset(text, 0, len);
  free(text);
  if (!jwk) {
    fprintf(stderr, "error: %s is %s; jwks add takes JWK files, one key each%s\n", path, shape,
            !strcmp(shape, "a PEM key") ? " (gatehouse jwk from-pem turns a PEM key into one)" : "");
    return EXIT_USAGE;
  }
  if (rc) {
    cJSON_Delete(jwk);
    return cli_library_error(rc, "not a usable JWK");
  }
  const cJSON *kty = cJSON_GetObjectItemCaseSensitive(jwk, "kty");
  if (cJSON_IsString(kty) && !strcmp(kty->valuestring, "oct")) *has_secret = true;
  else
    for (size_t i = 0; i < sizeof PRIVATE_MEMBERS / sizeof PRIVATE_MEMBERS[0]; i++)
      cJSON_DeleteItemFromObjectCaseSensitive(jwk, PRIVATE_MEMBERS[i]);
  const cJSON *kid = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
  if (!kid) cJSON_AddStringToObject(jwk, "kid", tp);
  else if (!cJSON_IsString(kid)) {
    cJSON_Delete(jwk);
    fprintf(stderr, "error: %s: \"kid\" must be a string\n", path);
    return EXIT_USAGE;
  }
  const char *id = cJSON_GetObjectItemCaseSensitive(jwk, "kid")->valuestring;
  const cJSON *other;
  cJSON_ArrayForEach(other, keys) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(other, "kid");
    if (cJSON_IsString(k) && !strcmp(k->valuestring, id)) {
      fprintf(stderr, "error: %s: kid \"%s\" is already in the set; give each key its own kid (jwk generate --kid)\n",
              path, id);
      cJSON_Delete(jwk);
      return EXIT_USAGE;
    }
  }
  cJSON_AddItemToArray(keys, jwk);
  return EXIT_VALID;
}

static int add(int argc, char **argv) {
  const char *set_path = NULL;
  int files = 0;
  for (int i = 0; i < argc; i++) { /* options anywhere; the JWK files keep their order */
    if (!cli_is_option(argv[i])) argv[files++] = argv[i];
    else if (strcmp(argv[i], "--set")) return cli_usage("jwks", "add", "unknown option '%s'", argv[i]);
    else if (i + 1 >= argc) return cli_usage("jwks", "add", "--set needs a value");
    else set_path = argv[++i];
  }
  if (!files) return cli_usage("jwks", "add", "which JWK files?");
  cJSON *set = NULL;
  if (set_path) {
    size_t len;
    char *text = cli_read_file(set_path, 16 * 1024 * 1024, &len);
    if (!text) return EXIT_USAGE;
    const char *shape = cli_shape(text, len);
    char msg[256] = "";
    gh_jwks *strict = NULL; /* the library's strict JSON first: cJSON would keep the first of two names */
    int rc = strcmp(shape, "a JWK Set") ? GH_EPARSE : gh_jwks_parse(&strict, text, len, msg, sizeof msg);
    gh_jwks_free(strict);
    if (!rc) set = cJSON_ParseWithLength(text, len);
    free(text);
    if (rc && !strcmp(shape, "a JWK Set")) return cli_library_error(rc, msg);
    if (!set) {
      fprintf(stderr, "error: --set %s is %s; it takes a JWK Set, JSON like {\"keys\": [...]}\n", set_path, shape);
      return EXIT_USAGE;
    }
  } else {
    set = cJSON_CreateObject();
    cJSON_AddArrayToObject(set, "keys");
  }
  cJSON *keys = cJSON_GetObjectItemCaseSensitive(set, "keys");
  bool has_secret = false;
  int status = EXIT_VALID;
  for (int i = 0; i < files && status == EXIT_VALID; i++) status = add_key(keys, argv[i], &has_secret);
  char *text = status == EXIT_VALID ? cJSON_Print(set) : NULL;
  cJSON_Delete(set);
  if (status == EXIT_VALID) { /* the set must load as a verifier loads it, every key used */
    char msg[256] = "";
    gh_jwks *parsed = NULL;
    int rc = text ? gh_jwks_parse(&parsed, text, strlen(text), msg, sizeof msg) : GH_ENOMEM;
    if (!rc && gh_jwks_skipped(parsed)) rc = GH_EKEY, snprintf(msg, sizeof msg, "%zu key(s) would be skipped as unusable", gh_jwks_skipped(parsed));
    gh_jwks_free(parsed);
    if (rc) status = cli_library_error(rc, msg);
  }
  if (status == EXIT_VALID) {
    printf("%s\n", text);
    if (has_secret) fprintf(stderr, "note: the set holds an oct key, a shared secret: keep it as private as the key\n");
  }
  if (text) {
    memset(text, 0, strlen(text));
    cJSON_free(text);
  }
  return status;
}

int cmd_jwks(int argc, char **argv) {
  if (argc < 1) return cli_usage("jwks", NULL, "which jwks command?");
  if (!strcmp(argv[0], "add")) return add(argc - 1, argv + 1);
  return cli_usage("jwks", NULL, "unknown jwks command '%s'", argv[0]);
}
