/* gatehouse config lint: checks a gateway configuration and names every error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

int cmd_config(int argc, char **argv) {
  if (argc < 1) return cli_usage("config", NULL, "which config command?");
  if (strcmp(argv[0], "lint")) return cli_usage("config", NULL, "unknown config command '%s'", argv[0]);
  const char *file = NULL;
  for (int i = 1; i < argc; i++) {
    if (cli_is_option(argv[i])) return cli_usage("config", "lint", "unknown option '%s'", argv[i]);
    if (file) return cli_usage("config", "lint", "one FILE at a time (got '%s' too)", argv[i]);
    file = argv[i];
  }
  if (!file) return cli_usage("config", "lint", "which FILE?");
  size_t len;
  char *doc = cli_read_file(file, gh_gateway_max_config_bytes(), &len);
  if (!doc) return EXIT_USAGE;
  size_t cap = 1u << 20;
  char *errors = malloc(cap);
  if (!errors) {
    free(doc);
    return cli_library_error(GH_ENOMEM, NULL);
  }
  int rc = gh_gateway_config_check(doc, len, errors, cap);
  int status = EXIT_VALID;
  if (rc == GH_OK) {
    printf("%s: valid\n", file);
  } else if (rc == GH_EPARSE || rc == GH_ETOOBIG) {
    if (cli_shape(doc, len) && !strcmp(cli_shape(doc, len), "YAML")) {
      status = cli_document_error("FILE", file, doc, len, rc, errors);
    } else {
      /* every error, one per line, each prefixed with the file like a compiler's */
      for (char *line = errors, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        printf("%s: %s\n", file, line);
      }
      status = EXIT_REJECTED;
    }
  } else {
    status = cli_library_error(rc, errors);
  }
  free(errors);
  free(doc);
  return status;
}
