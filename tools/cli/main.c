/* gatehouse: command-line access to the library (token verification and signing,
 * key thumbprints). Each command lives in its own file. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

static bool is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

int main(int argc, char **argv) {
  if (argc < 2) return cli_overview(stderr);
  const char *cmd = argv[1];
  if (is_help(cmd) || !strcmp(cmd, "help")) return argc > 2 ? cli_help(argv[2], argc > 3 ? argv[3] : NULL) : cli_overview(stdout);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("gatehouse %s (crypto: %s)\n", gh_version_string(), gh_crypto_backend());
    return EXIT_VALID;
  }
  for (int i = 2; i < argc; i++) /* --help anywhere: the most specific command's help */
    if (is_help(argv[i])) return cli_help(cmd, argc > 2 && argv[2][0] != '-' && cli_find(cmd, argv[2]) ? argv[2] : NULL);
  if (!strcmp(cmd, "jwt")) return cmd_jwt(argc - 2, argv + 2);
  if (!strcmp(cmd, "jwk")) return cmd_jwk(argc - 2, argv + 2);
  if (!strcmp(cmd, "jwks")) return cmd_jwks(argc - 2, argv + 2);
  if (!strcmp(cmd, "policy")) return cmd_policy(argc - 2, argv + 2);
  if (!strcmp(cmd, "ratelimit")) return cmd_ratelimit(argc - 2, argv + 2);
  if (!strcmp(cmd, "route")) return cmd_route(argc - 2, argv + 2);
  if (!strcmp(cmd, "config")) return cmd_config(argc - 2, argv + 2);
  if (!strcmp(cmd, "decide")) return cmd_decide(argc - 2, argv + 2);
  if (!strcmp(cmd, "openapi")) return cmd_openapi(argc - 2, argv + 2);
  if (!strcmp(cmd, "token")) return cmd_token(argc - 2, argv + 2);
  fprintf(stderr, "error: unknown command '%s'\n", cmd);
  return cli_overview(stderr);
}
