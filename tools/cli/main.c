/* gatehouse: command-line access to the library (token verification and signing,
 * key thumbprints). Each command lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

static int usage(FILE *out) {
  fprintf(out,
          "usage: gatehouse <command> [options]\n"
          "\n"
          "commands:\n"
          "  jwt verify --jwks FILE [--iss ISSUER]... [--aud AUDIENCE]... [--now UNIX_SECONDS]\n"
          "             [--leeway SECONDS] [--alg ALG]... [--typ TYP] [TOKEN]\n"
          "  jwt sign   --alg ALG (--key PEM_FILE | --jwk JWK_FILE) [--kid KID] [PAYLOAD_JSON]\n"
          "  jwt decode [TOKEN]          (does NOT verify)\n"
          "  jwk thumbprint [JWK_FILE]   (RFC 7638, SHA-256)\n"
          "  policy check|explain --policy FILE --subject S [--role R]... [--scope S]...\n"
          "             --action A --resource PATH [--context JSON]\n"
          "  policy check --policy FILE --batch   (JSON lines on stdin, one verdict per line)\n"
          "  ratelimit simulate --algorithm gcra|token-bucket|sliding-window|fixed-window --limit N\n"
          "             --period SECONDS [--burst B]   (arrivals on stdin: <unix-ms> [cost])\n"
          "  route match --openapi FILE [METHOD PATH]   (else METHOD PATH lines on stdin; one JSON\n"
          "             object per request)\n"
          "  version\n"
          "\n"
          "A TOKEN, payload or file given as '-' or left out is read from standard input.\n"
          "Exit status: 0 valid (route: all matched), 1 rejected (route: some did not match), 2 usage or input error.\n");
  return out == stdout ? EXIT_VALID : EXIT_USAGE;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(stderr);
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) return usage(stdout);
  if (!strcmp(cmd, "version")) {
    printf("gatehouse %s (crypto: %s)\n", gh_version_string(), gh_crypto_backend());
    return EXIT_VALID;
  }
  if (!strcmp(cmd, "jwt")) return cmd_jwt(argc - 2, argv + 2);
  if (!strcmp(cmd, "jwk")) return cmd_jwk(argc - 2, argv + 2);
  if (!strcmp(cmd, "policy")) return cmd_policy(argc - 2, argv + 2);
  if (!strcmp(cmd, "ratelimit")) return cmd_ratelimit(argc - 2, argv + 2);
  if (!strcmp(cmd, "route")) return cmd_route(argc - 2, argv + 2);
  fprintf(stderr, "error: unknown command '%s'\n", cmd);
  return usage(stderr);
}
