/* gatehouse jwk thumbprint|generate|from-pem: one key at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gatehouse.h"

static int thumbprint(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (cli_is_option(argv[i])) return cli_usage("jwk", "thumbprint", "unknown option '%s'", argv[i]);
  if (argc > 1) return cli_usage("jwk", "thumbprint", "one JWK file at most");
  size_t len;
  char *jwk = cli_read_file(argc == 1 ? argv[0] : "-", 64 * 1024, &len);
  if (!jwk) return EXIT_USAGE;
  char out[GH_JWK_THUMBPRINT_LEN + 1];
  int rc = gh_jwk_thumbprint(jwk, len, out, sizeof out);
  free(jwk);
  if (rc) return cli_library_error(rc, NULL);
  printf("%s\n", out);
  return EXIT_VALID;
}

/* The labels every exported key may carry. */
typedef struct labels {
  const char *kid, *alg, *use;
} labels;

/* Reads --kid/--alg/--use at argv[*i]; 1 when it took one, 0 when a is another option, -1 on a missing value. */
static int take_label(labels *l, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  const char **slot = !strcmp(a, "--kid") ? &l->kid : !strcmp(a, "--alg") ? &l->alg : !strcmp(a, "--use") ? &l->use : NULL;
  if (!slot) return 0;
  if (*i + 1 >= argc) return -1;
  *slot = argv[++*i];
  return 1;
}

/* Why a key does not take the labels asked for, in the user's words. */
static int label_error(int rc, const char *kind, const labels *l, const char *command) {
  const char *needs = l->alg ? gh_jwt_alg_key_kind(l->alg) : NULL;
  if (rc == GH_EUNSUPPORTED && l->alg && !needs)
    return cli_usage("jwk", command, "unknown algorithm '%s' (HS256/384/512, RS*, PS*, ES256/384/512)", l->alg);
  if (rc == GH_EPARSE || rc == GH_EUNSUPPORTED)
    fprintf(stderr, "error: %s: not a key gatehouse reads: RSA, or EC P-256, P-384, P-521, as unencrypted PEM "
                    "(PKCS#1, SEC1, PKCS#8, or a public key)\n", gh_err_name(rc));
  else if (rc == GH_EKEY && needs && kind && strcmp(needs, kind))
    fprintf(stderr, "error: %s needs an %s key; this key is %s\n", l->alg, needs, kind);
  else if (rc == GH_EINVAL && l->use && strcmp(l->use, "sig") && strcmp(l->use, "enc"))
    return cli_usage("jwk", command, "--use is sig or enc (RFC 7517 section 4.2), not '%s'", l->use);
  else if (rc == GH_EKEY && needs && !kind)
    fprintf(stderr, "error: GH_EKEY: %s needs an %s key; this key is not one, or a key set would refuse it "
                    "(an RSA modulus under %u bits, a weak (ROCA) modulus)\n", l->alg, needs, gh_jwks_default_min_rsa_bits());
  else if (rc == GH_EKEY)
    fprintf(stderr, "error: GH_EKEY: a key set would refuse this key (an RSA modulus under %u bits, a weak "
                    "(ROCA) modulus, or an HMAC key shorter than %s's hash)\n",
            gh_jwks_default_min_rsa_bits(), l->alg ? l->alg : "the algorithm");
  else return cli_library_error(rc, NULL);
  return EXIT_USAGE;
}

/* Prints the JWK that make(...) writes, with kid defaulting to the key's RFC 7638 thumbprint. */
typedef int (*jwk_writer)(const void *key, const labels *l, char **out, size_t *len);

static int print_jwk(const void *key, labels l, jwk_writer make, const char *kind, const char *command) {
  char *jwk, tp[GH_JWK_THUMBPRINT_LEN + 1];
  size_t len;
  int rc = make(key, &l, &jwk, &len);
  if (!rc && !l.kid) {
    rc = gh_jwk_thumbprint(jwk, len, tp, sizeof tp);
    gh_free_secret(jwk);
    l.kid = tp;
    if (!rc) rc = make(key, &l, &jwk, &len);
  }
  if (rc) return label_error(rc, kind, &l, command);
  printf("%s\n", jwk);
  gh_free_secret(jwk);
  return EXIT_VALID;
}

static int private_jwk(const void *key, const labels *l, char **out, size_t *len) {
  return gh_signing_key_jwk(key, 1, l->kid, l->alg, l->use, out, len);
}

typedef struct pem_text {
  const char *p;
  size_t len;
} pem_text;

static int pem_jwk(const void *key, const labels *l, char **out, size_t *len) {
  const pem_text *pem = key;
  return gh_jwk_from_pem(pem->p, pem->len, l->kid, l->alg, l->use, out, len);
}

/* Writes the private key as PEM to a new file only its owner may read. */
static int write_pem(const gh_signing_key *key, const char *path) {
  char *pem;
  size_t len;
  int rc = gh_signing_key_pem(key, 1, &pem, &len);
  if (rc == GH_EUNSUPPORTED) return cli_usage("jwk", "generate", "--pem: an oct key has no PEM form; keep the JWK");
  if (rc) return cli_library_error(rc, NULL);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  bool ok = fd >= 0 && write(fd, pem, len) == (ssize_t)len;
  int err = errno;
  if (fd >= 0) close(fd);
  gh_free_secret(pem);
  if (!ok) {
    fprintf(stderr, "error: cannot write %s (it must not exist yet): %s\n", path, strerror(err));
    return EXIT_USAGE;
  }
  return EXIT_VALID;
}

static int generate(int argc, char **argv) {
  labels l = {0};
  const char *kty = NULL, *crv = NULL, *pem_path = NULL;
  int64_t bits = 0, bytes = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int took = take_label(&l, argc, argv, &i);
    if (took > 0) continue;
    if (!cli_is_option(a)) return cli_usage("jwk", "generate", "unexpected argument '%s' (the key goes to stdout)", a);
    if (!(!strcmp(a, "--kty") || !strcmp(a, "--crv") || !strcmp(a, "--bits") || !strcmp(a, "--bytes") ||
          !strcmp(a, "--pem") || took < 0))
      return cli_usage("jwk", "generate", "unknown option '%s'", a);
    if (!v || took < 0) return cli_usage("jwk", "generate", "%s needs a value", a);
    i++;
    if (!strcmp(a, "--kty")) kty = v;
    else if (!strcmp(a, "--crv")) crv = v;
    else if (!strcmp(a, "--pem")) pem_path = v;
    else if (cli_parse_int(v, 1, 1 << 20, !strcmp(a, "--bits") ? &bits : &bytes))
      return cli_usage("jwk", "generate", "%s takes a whole number, not '%s'", a, v);
  }
  const char *needs = l.alg ? gh_jwt_alg_key_kind(l.alg) : NULL;
  if (l.alg && !needs)
    return cli_usage("jwk", "generate", "unknown algorithm '%s' (HS256/384/512, RS*, PS*, ES256/384/512)", l.alg);
  if (!kty && needs) kty = !strncmp(needs, "EC", 2) ? "EC" : needs; /* --alg ES384 alone: an EC P-384 key */
  if (!crv && needs && !strncmp(needs, "EC ", 3) && kty && !strcmp(kty, "EC")) crv = needs + 3;
  if (!kty) return cli_usage("jwk", "generate", "--kty EC|RSA|oct (or --alg ALG) is required");
  unsigned size;
  if (!strcmp(kty, "EC")) {
    if (bits || bytes) return cli_usage("jwk", "generate", "an EC key takes --crv, not --bits or --bytes");
    size = !crv || !strcmp(crv, "P-256") ? 256 : !strcmp(crv, "P-384") ? 384 : !strcmp(crv, "P-521") ? 521 : 0;
    if (!size) return cli_usage("jwk", "generate", "--crv is P-256, P-384 or P-521, not '%s'", crv);
  } else if (!strcmp(kty, "RSA") || !strcmp(kty, "oct")) {
    bool rsa = kty[0] == 'R';
    if (crv || (rsa ? bytes : bits))
      return cli_usage("jwk", "generate", rsa ? "an RSA key takes --bits" : "an oct key takes --bytes");
    size = (unsigned)(rsa ? bits : bytes);
    if (!rsa && !size && needs && !strcmp(needs, "oct")) size = (unsigned)atoi(l.alg + 2) / 8; /* HS512: 64 bytes */
    if (rsa && size && (size < gh_jwks_default_min_rsa_bits() || size > 8192 || size % 8))
      return cli_usage("jwk", "generate", "--bits is a multiple of 8 from %u to 8192", gh_jwks_default_min_rsa_bits());
    if (!rsa && size && (size < 32 || size > 1024)) return cli_usage("jwk", "generate", "--bytes is 32 to 1024");
    if (pem_path && !rsa) return cli_usage("jwk", "generate", "--pem: an oct key has no PEM form; keep the JWK");
  } else {
    return cli_usage("jwk", "generate", "--kty is EC, RSA or oct, not '%s'", kty);
  }
  gh_signing_key *key;
  int rc = gh_signing_key_generate(&key, kty, size);
  if (rc) return cli_library_error(rc, NULL);
  int status = pem_path ? write_pem(key, pem_path) : EXIT_VALID;
  if (status == EXIT_VALID) status = print_jwk(key, l, private_jwk, gh_signing_key_kind(key), "generate");
  gh_signing_key_free(key);
  return status;
}

static int from_pem(int argc, char **argv) {
  labels l = {0};
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    int took = take_label(&l, argc, argv, &i);
    if (took < 0) return cli_usage("jwk", "from-pem", "%s needs a value", argv[i]);
    if (took) continue;
    if (cli_is_option(argv[i])) return cli_usage("jwk", "from-pem", "unknown option '%s'", argv[i]);
    if (path) return cli_usage("jwk", "from-pem", "one PEM file at most (got '%s' too)", argv[i]);
    path = argv[i];
  }
  size_t len;
  char *text = cli_read_file(path ? path : "-", 64 * 1024, &len);
  if (!text) return EXIT_USAGE;
  pem_text pem = {text, len};
  int status;
  const char *shape = cli_shape(text, len);
  if (strcmp(shape, "a PEM key")) {
    fprintf(stderr, "error: %s is %s; from-pem takes a PEM key (-----BEGIN ... KEY-----)\n", path ? path : "stdin", shape);
    status = EXIT_USAGE;
  } else {
    status = print_jwk(&pem, l, pem_jwk, NULL, "from-pem");
  }
  memset(text, 0, len);
  free(text);
  return status;
}

int cmd_jwk(int argc, char **argv) {
  if (argc < 1) return cli_usage("jwk", NULL, "which jwk command?");
  if (!strcmp(argv[0], "thumbprint")) return thumbprint(argc - 1, argv + 1);
  if (!strcmp(argv[0], "generate")) return generate(argc - 1, argv + 1);
  if (!strcmp(argv[0], "from-pem")) return from_pem(argc - 1, argv + 1);
  return cli_usage("jwk", NULL, "unknown jwk command '%s'", argv[0]);
}
