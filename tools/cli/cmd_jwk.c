#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

int cmd_jwk(int argc, char **argv) {
  if (argc < 1) return cli_usage("jwk", NULL, "which jwk command?");
  if (strcmp(argv[0], "thumbprint")) return cli_usage("jwk", NULL, "unknown jwk command '%s'", argv[0]);
  if (argc > 2) return cli_usage("jwk", "thumbprint", "one JWK file at most");
  size_t len;
  char *jwk = cli_read_file(argc == 2 ? argv[1] : "-", 64 * 1024, &len);
  if (!jwk) return EXIT_USAGE;
  char out[GH_JWK_THUMBPRINT_LEN + 1];
  int rc = gh_jwk_thumbprint(jwk, len, out, sizeof out);
  free(jwk);
  if (rc) {
    fprintf(stderr, "error: %s: %s\n", gh_err_name(rc), gh_strerror(rc));
    return EXIT_USAGE;
  }
  printf("%s\n", out);
  return EXIT_VALID;
}
