/* gatehouse token issue: a token of a local realm, signed with the key a
 * state folder keeps (the reference server's demo realm makes one there on
 * first run: REALM-signing-key.jwk.json, and REALM-realm.json naming its
 * issuer, audience and key id). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gatehouse.h"

#define MAX_ROLES 16

int cmd_token(int argc, char **argv) {
  static const char *const known[] = {"--realm", "--sub", "--role", "--state", "--ttl", NULL};
  if (argc < 1) return cli_usage("token", NULL, "which token command?");
  if (strcmp(argv[0], "issue")) return cli_usage("token", NULL, "unknown token command '%s'", argv[0]);
  const char *realm = NULL, *sub = NULL, *state = ".gatehouse", *roles[MAX_ROLES];
  size_t n_roles = 0;
  int64_t ttl = 3600;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    if (!strcmp(a, "--realm") && has)
      realm = argv[++i];
    else if (!strcmp(a, "--sub") && has)
      sub = argv[++i];
    else if (!strcmp(a, "--state") && has)
      state = argv[++i];
    else if (!strcmp(a, "--role") && has) {
      if (n_roles == MAX_ROLES) return cli_usage("token", "issue", "at most %d roles", MAX_ROLES);
      roles[n_roles++] = argv[++i];
    } else if (!strcmp(a, "--ttl") && has) {
      if (cli_parse_int(argv[++i], 1, 366 * 86400, &ttl))
        return cli_usage("token", "issue", "--ttl takes whole seconds, 1 to 31622400 (got '%s')", argv[i]);
    } else if (cli_is_option(a)) {
      return cli_option_error("token", "issue", a, known);
    } else {
      return cli_usage("token", "issue", "unexpected argument '%s'", a);
    }
  }
  if (!realm || !sub) return cli_usage("token", "issue", "--realm NAME and --sub SUBJECT are required");
  char path[4096];
  size_t len;
  snprintf(path, sizeof path, "%s/%s-realm.json", state, realm);
  char *about = cli_read_file(path, 65536, &len);
  if (!about) {
    fprintf(stderr,
            "error: no realm %s in %s (gatehouse-server makes the demo realm there on its first run; "
            "--state DIR names another folder)\n",
            realm, state);
    return EXIT_USAGE;
  }
  cJSON *info = cJSON_ParseWithLength(about, len);
  free(about);
  const cJSON *iss = cJSON_GetObjectItemCaseSensitive(info, "issuer");
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(info, "audience");
  const cJSON *kid = cJSON_GetObjectItemCaseSensitive(info, "kid");
  const cJSON *alg = cJSON_GetObjectItemCaseSensitive(info, "alg");
  if (!cJSON_IsString(iss) || !cJSON_IsString(aud) || !cJSON_IsString(kid) || !cJSON_IsString(alg)) {
    cJSON_Delete(info);
    fprintf(stderr, "error: %s must name the realm's issuer, audience, kid and alg\n", path);
    return EXIT_USAGE;
  }
  snprintf(path, sizeof path, "%s/%s-signing-key.jwk.json", state, realm);
  char *jwk = cli_read_file(path, 65536, &len);
  gh_signing_key *key = NULL;
  int rc = jwk ? gh_signing_key_from_jwk(&key, jwk, len) : GH_EIO;
  free(jwk); /* as the other commands read private keys */
  int status = EXIT_VALID;
  if (rc) {
    status = rc == GH_EIO ? EXIT_USAGE : cli_library_error(rc, "the realm's signing key");
  } else {
    int64_t now = (int64_t)time(NULL);
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "iss", iss->valuestring);
    cJSON_AddStringToObject(claims, "aud", aud->valuestring);
    cJSON_AddStringToObject(claims, "sub", sub);
    cJSON *r = cJSON_AddArrayToObject(claims, "roles");
    for (size_t i = 0; i < n_roles; i++) cJSON_AddItemToArray(r, cJSON_CreateString(roles[i]));
    cJSON_AddNumberToObject(claims, "iat", (double)now);
    cJSON_AddNumberToObject(claims, "exp", (double)(now + ttl));
    char *payload = cJSON_PrintUnformatted(claims), *token = NULL;
    size_t token_len = 0;
    rc = payload ? gh_jwt_sign(key, alg->valuestring, kid->valuestring, payload, strlen(payload), &token, &token_len)
                 : GH_ENOMEM;
    if (rc)
      status = cli_library_error(rc, NULL);
    else
      printf("%s\n", token);
    gh_free(token);
    cJSON_free(payload);
    cJSON_Delete(claims);
  }
  gh_signing_key_free(key);
  cJSON_Delete(info);
  return status;
}
