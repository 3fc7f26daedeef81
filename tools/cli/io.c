#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "gatehouse.h"

char *cli_read_file(const char *path, size_t max, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "error: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      if (cap >= max) break;
      cap *= 2;
      char *more = realloc(buf, cap + 1);
      if (!more) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = more;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int too_big = buf && n > max;
  if (f != stdin) fclose(f);
  if (!buf || too_big) {
    fprintf(stderr, "error: %s: %s\n", path, buf ? "input too large" : "out of memory");
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

void cli_trim(char *s, size_t *len) {
  while (*len && strchr(" \t\r\n", s[*len - 1])) s[--*len] = '\0';
}

int cli_library_error(int rc, const char *msg) {
  fprintf(stderr, "error: %s: %s\n", gh_err_name(rc), msg && msg[0] ? msg : gh_strerror(rc));
  return EXIT_USAGE;
}

/* [-]digits[.digits]: what a person types, and nothing strtod would also take. */
static int plain_decimal(const char *s, int fraction) {
  const char *p = s + (*s == '-');
  size_t whole = strspn(p, "0123456789");
  if (!whole) return 0;
  p += whole;
  if (fraction && *p == '.') {
    size_t digits = strspn(p + 1, "0123456789");
    if (!digits) return 0;
    p += 1 + digits;
  }
  return *p == '\0';
}

int cli_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  if (!s || !plain_decimal(s, 0)) return -1;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int cli_parse_decimal(const char *s, double lo, double hi, double *out) {
  if (!s || !plain_decimal(s, 1)) return -1;
  double v = strtod(s, NULL);
  if (!(v >= lo && v <= hi)) return -1;
  *out = v;
  return 0;
}

const char *cli_shape(const char *text, size_t len) {
  while (len && strchr(" \t\r\n", *text)) text++, len--;
  if (len >= 10 && !strncmp(text, "-----BEGIN", 10)) return "a PEM key";
  cJSON *j = cJSON_ParseWithLength(text, len);
  const char *shape = "not JSON";
  if (j) {
    shape = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "keys")) ? "a JWK Set"
            : cJSON_GetObjectItemCaseSensitive(j, "kty")                 ? "one JWK"
                                                                         : "JSON";
    cJSON_Delete(j);
  } else if (len && (text[0] == '-' || memchr(text, ':', len < 200 ? len : 200)) && text[0] != '{' && text[0] != '[') {
    shape = "YAML"; /* "key: value" lines or "- item": YAML, which gatehouse does not read */
  }
  return shape;
}

bool cli_is_option(const char *arg) { return arg[0] == '-' && arg[1]; }

int cli_option_error(const char *group, const char *sub, const char *arg, const char *const *known) {
  for (; *known; known++)
    if (!strcmp(arg, *known)) return cli_usage(group, sub, "%s needs a value", arg);
  return cli_usage(group, sub, "unknown option '%s'", arg);
}

int cli_document_error(const char *option, const char *path, const char *text, size_t len, int rc, const char *msg) {
  if (rc == GH_EPARSE && !strcmp(cli_shape(text, len), "YAML")) {
    fprintf(stderr, "error: %s %s is YAML; gatehouse reads JSON: convert it first (for instance `yq -o=json %s`)\n",
            option, path, path);
    return EXIT_USAGE;
  }
  return cli_library_error(rc, msg);
}

int cli_load_gateway(const char *config, gh_gateway **out) {
  *out = NULL;
  size_t len;
  char *doc = cli_read_file(config, gh_gateway_max_config_bytes(), &len);
  if (!doc) return EXIT_USAGE;
  char *errors = malloc(1u << 16);
  int rc = errors ? gh_gateway_new(out) : GH_ENOMEM;
  if (!rc) rc = gh_gateway_load(*out, doc, len, errors, 1u << 16);
  if (rc == GH_EPARSE) {
    fprintf(stderr, "error: %s is not a valid configuration (gatehouse config lint %s lists every error):\n%s\n",
            config, config, errors);
    rc = EXIT_USAGE;
  } else if (rc) {
    rc = cli_library_error(rc, errors);
  }
  free(doc);
  free(errors);
  if (rc) {
    gh_gateway_free(*out);
    *out = NULL;
  }
  return rc;
}
