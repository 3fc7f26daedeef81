/* gatehouse openapi export: the OpenAPI 3.1 document of a configuration's published catalog. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

int cmd_openapi(int argc, char **argv) {
  static const char *const known[] = {"--config", NULL};
  if (argc < 1) return cli_usage("openapi", NULL, "which openapi command?");
  if (strcmp(argv[0], "export")) return cli_usage("openapi", NULL, "unknown openapi command '%s'", argv[0]);
  const char *config = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
    else if (cli_is_option(argv[i])) return cli_option_error("openapi", "export", argv[i], known);
    else return cli_usage("openapi", "export", "unexpected argument '%s'", argv[i]);
  }
  if (!config) return cli_usage("openapi", "export", "--config FILE is required");
  gh_gateway *gw = NULL;
  int rc = cli_load_gateway(config, &gw);
  if (rc) return rc;
  char *doc = NULL;
  size_t len = 0;
  rc = gh_gateway_openapi(gw, &doc, &len);
  gh_gateway_free(gw);
  if (rc) return cli_library_error(rc, NULL);
  fwrite(doc, 1, len, stdout);
  putchar('\n');
  gh_free(doc);
  return 0;
}
