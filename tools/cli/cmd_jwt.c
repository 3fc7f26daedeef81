#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "gatehouse.h"

#define MAX_INPUT (1024 * 1024)


/* The token from the argument, or standard input when absent or "-". */
static char *read_token(const char *arg, size_t *len) {
  char *t;
  if (arg && strcmp(arg, "-") != 0) {
    *len = strlen(arg);
    t = malloc(*len + 1);
    if (t) memcpy(t, arg, *len + 1);
  } else {
    t = cli_read_file("-", MAX_INPUT, len);
  }
  if (t) cli_trim(t, len);
  if (t && *len > 7 && (!strncasecmp(t, "Bearer ", 7) || !strncasecmp(t, "DPoP ", 5))) {
    fprintf(stderr, "error: the token starts with its HTTP scheme ('%.*s'): pass the token alone, what follows it\n",
            t[0] == 'B' || t[0] == 'b' ? 6 : 4, t);
    free(t);
    return NULL;
  }
  return t;
}

static int verify(int argc, char **argv) {
  const char *jwks_path = NULL, *token_arg = NULL;
  int64_t now_s = (int64_t)time(NULL), leeway = -1;
  gh_jwt_verifier *v;
  if (gh_jwt_verifier_new(&v)) return EXIT_USAGE;
  int rc = EXIT_USAGE;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    const char *want = NULL; /* what a bad value should have been */
    if (!strcmp(a, "--jwks") && val) jwks_path = argv[++i];
    else if (!strcmp(a, "--iss") && val) bad = gh_jwt_verifier_add_issuer(v, val, strlen(val)), i++;
    else if (!strcmp(a, "--aud") && val) bad = gh_jwt_verifier_add_audience(v, val, strlen(val)), i++;
    else if (!strcmp(a, "--now") && val) {
      want = "whole Unix seconds from 0 to 253402300799";
      bad = cli_parse_int(val, 0, GH_TIME_MAX_MS / 1000, &now_s), i++;
    } else if (!strcmp(a, "--leeway") && val) {
      want = "whole seconds from 0 to 86400";
      bad = cli_parse_int(val, 0, 86400, &leeway) || gh_jwt_verifier_set_leeway(v, (int)leeway), i++;
    }
    else if (!strcmp(a, "--alg") && val) bad = gh_jwt_verifier_allow_alg(v, val), i++;
    else if (!strcmp(a, "--typ") && val) bad = gh_jwt_verifier_set_typ(v, val), i++;
    else if (cli_is_option(a)) {
      static const char *const known[] = {"--jwks", "--iss", "--aud", "--now", "--leeway", "--alg", "--typ", NULL};
      cli_option_error("jwt", "verify", a, known);
      goto out;
    } else if (!token_arg) token_arg = a;
    else {
      cli_usage("jwt", "verify", "one token at most (got '%s' too)", a);
      goto out;
    }
    if (bad) {
      fprintf(stderr, "error: invalid value for %s: %s%s%s%s\n", a, val, want ? " (" : "", want ? want : "", want ? ")" : "");
      goto out;
    }
  }
  if (!jwks_path) {
    cli_usage("jwt", "verify", "--jwks FILE is required (the issuer's key set, JSON)");
    goto out;
  }
  size_t jwks_len, token_len;
  char *jwks_json = cli_read_file(jwks_path, 16 * 1024 * 1024, &jwks_len);
  if (!jwks_json) goto out;
  char msg[256] = "";
  gh_jwks *set;
  int err = gh_jwks_parse(&set, jwks_json, jwks_len, msg, sizeof msg);
  const char *shape = err ? cli_shape(jwks_json, jwks_len) : NULL;
  free(jwks_json);
  if (err) {
    if (!strcmp(shape, "a PEM key") || !strcmp(shape, "one JWK") || !strcmp(shape, "YAML"))
      fprintf(stderr, "error: --jwks %s is %s; it takes a JWK Set, JSON like {\"keys\": [{\"kty\": ...}]}%s\n", jwks_path,
              shape, !strcmp(shape, "one JWK") ? ": put the JWK in the \"keys\" array" : "");
    else cli_library_error(err, msg);
    goto out;
  }
  gh_jwt_verifier_set_jwks(v, set, now_s * 1000);
  gh_jwks_free(set);
  gh_jwt_verifier_build(v);
  char *token = read_token(token_arg, &token_len);
  if (!token) goto out;
  gh_principal *p = NULL;
  int reason;
  err = gh_jwt_verify(v, token, token_len, now_s * 1000, &p, &reason, msg, sizeof msg);
  free(token);
  if (err == GH_OK) {
    size_t len;
    const char *claims = gh_principal_payload(p, &len);
    fwrite(claims, 1, len, stdout);
    fputc('\n', stdout);
    gh_principal_free(p);
    rc = EXIT_VALID;
  } else if (err == GH_EDENIED) {
    fprintf(stderr, "error: %s: %s\n", gh_jwt_reason_name(reason), msg);
    rc = EXIT_REJECTED;
  } else {
    fprintf(stderr, "error: %s: %s\n", gh_err_name(err), gh_strerror(err));
  }
out:
  gh_jwt_verifier_free(v);
  return rc;
}

static int sign(int argc, char **argv) {
  const char *alg = NULL, *key_path = NULL, *jwk_path = NULL, *kid = NULL, *payload_arg = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--alg") && val) alg = argv[++i];
    else if (!strcmp(a, "--key") && val) key_path = argv[++i];
    else if (!strcmp(a, "--jwk") && val) jwk_path = argv[++i];
    else if (!strcmp(a, "--kid") && val) kid = argv[++i];
    else if (cli_is_option(a)) {
      static const char *const known[] = {"--alg", "--key", "--jwk", "--kid", NULL};
      return cli_option_error("jwt", "sign", a, known);
    }
    else if (!payload_arg) payload_arg = a;
    else return cli_usage("jwt", "sign", "one payload at most (got '%s' too)", a);
  }
  if (!alg) return cli_usage("jwt", "sign", "--alg is required (HS256, RS256, PS256, ES256, ...)");
  if (!key_path == !jwk_path) return cli_usage("jwt", "sign", "one of --key PEM_FILE or --jwk JWK_FILE is required");
  const char *needs = gh_jwt_alg_key_kind(alg);
  if (!needs) return cli_usage("jwt", "sign", "unknown algorithm '%s' (HS256/384/512, RS*, PS*, ES256/384/512)", alg);
  if (key_path && !strcmp(needs, "oct"))
    return cli_usage("jwt", "sign", "%s signs with a shared secret, not a PEM key: use --jwk with an oct key, "
                     "{\"kty\":\"oct\",\"k\":\"<the secret, base64url>\"}", alg);
  size_t key_len, payload_len;
  const char *path = key_path ? key_path : jwk_path;
  char *key_text = cli_read_file(path, 64 * 1024, &key_len);
  if (!key_text) return EXIT_USAGE;
  gh_signing_key *key;
  int err = key_path ? gh_signing_key_from_pem(&key, key_text, key_len) : gh_signing_key_from_jwk(&key, key_text, key_len);
  const char *shape = err ? cli_shape(key_text, key_len) : NULL;
  char *jwk_kid = NULL; /* --jwk keeps the JWK's kid unless --kid says otherwise */
  if (!err && jwk_path && !kid) {
    cJSON *jwk = cJSON_ParseWithLength(key_text, key_len);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
    if (cJSON_IsString(k)) kid = jwk_kid = strdup(k->valuestring);
    cJSON_Delete(jwk);
  }
  memset(key_text, 0, key_len);
  free(key_text);
  if (err) {
    if (key_path && strcmp(shape, "a PEM key"))
      fprintf(stderr, "error: --key %s is %s; --key takes a private PEM key%s\n", path, shape,
              strstr(shape, "JWK") ? " (use --jwk for a JWK)" : "");
    else if (jwk_path && strcmp(shape, "one JWK"))
      fprintf(stderr, "error: --jwk %s is %s; --jwk takes one private JWK%s\n", path, shape,
              !strcmp(shape, "a PEM key") ? " (use --key for a PEM key)" : !strcmp(shape, "a JWK Set") ? ": pick one of its keys" : "");
    else fprintf(stderr, "error: %s: cannot load the key from %s: %s\n", gh_err_name(err), path, gh_strerror(err));
    return EXIT_USAGE;
  }
  char *payload = read_token(payload_arg, &payload_len);
  char *token = NULL;
  size_t token_len;
  err = payload ? gh_jwt_sign(key, alg, kid, payload, payload_len, &token, &token_len) : GH_EIO;
  free(payload);
  if (err == GH_EKEY && strcmp(gh_signing_key_kind(key), needs))
    fprintf(stderr, "error: %s needs an %s key; this key is %s\n", alg, needs, gh_signing_key_kind(key));
  else if (err == GH_EKEY) /* the right kind, too small: RFC 7518 section 3.2 for HMAC */
    fprintf(stderr, "error: %s needs a longer key: an HMAC key at least as long as the hash output (RFC 7518 3.2)\n", alg);
  else if (err == GH_EPARSE)
    fprintf(stderr, "error: the payload is not a JSON object (strict JSON: no name twice)\n");
  else if (err)
    fprintf(stderr, "error: %s: %s\n", gh_err_name(err), gh_strerror(err));
  gh_signing_key_free(key);
  free(jwk_kid);
  if (err) return EXIT_USAGE;
  printf("%s\n", token);
  gh_free(token);
  return EXIT_VALID;
}

/* Prints header and payload without verifying anything, and says so. */
static int decode(int argc, char **argv) {
  if (argc && cli_is_option(argv[0])) return cli_usage("jwt", "decode", "unknown option '%s'", argv[0]);
  if (argc > 1) return cli_usage("jwt", "decode", "one token at most");
  size_t len;
  char *token = read_token(argc ? argv[0] : NULL, &len);
  if (!token) return EXIT_USAGE;
  char *header, *payload;
  size_t header_len, payload_len;
  int err = gh_jwt_decode_unverified(token, len, &header, &header_len, &payload, &payload_len), rc = EXIT_USAGE;
  if (err == GH_EPARSE) {
    fprintf(stderr, "error: MALFORMED: expected three dot-separated base64url parts\n");
  } else if (err) {
    cli_library_error(err, NULL);
  } else {
    fprintf(stderr, "warning: decoded only, the signature was NOT verified\n");
    printf("%.*s\n%.*s\n", (int)header_len, header, (int)payload_len, payload);
    gh_free(header);
    rc = EXIT_VALID;
  }
  free(token);
  return rc;
}

int cmd_jwt(int argc, char **argv) {
  if (argc < 1) return cli_usage("jwt", NULL, "which jwt command?");
  if (!strcmp(argv[0], "verify")) return verify(argc - 1, argv + 1);
  if (!strcmp(argv[0], "sign")) return sign(argc - 1, argv + 1);
  if (!strcmp(argv[0], "decode")) return decode(argc - 1, argv + 1);
  return cli_usage("jwt", NULL, "unknown jwt command '%s'", argv[0]);
}
