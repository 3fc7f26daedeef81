#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

typedef struct scanner {
  const unsigned char *p, *end, *start;
  int depth, max_depth;
  int err; /* GH_EPARSE or GH_ETOOBIG */
  const char *why;
} scanner;

static bool fail(scanner *s, int err, const char *why) {
  if (!s->err) {
    s->err = err;
    s->why = why;
  }
  return false;
}

static void skip_ws(scanner *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(scanner *s, unsigned *out) {
  if (s->end - s->p < 4) return fail(s, GH_EPARSE, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hex_value(s->p[i]);
    if (h < 0) return fail(s, GH_EPARSE, "bad \\u escape");
    v = v << 4 | (unsigned)h;
  }
  s->p += 4;
  *out = v;
  return true;
}

/* Length of a well-formed UTF-8 sequence at p (RFC 3629), 0 if ill-formed. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned char c = p[0];
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return n;
}

static bool scan_string(scanner *s) {
  s->p++; /* opening quote */
  while (s->p < s->end) {
    unsigned char c = *s->p;
    if (c == '"') {
      s->p++;
      return true;
    }
    if (c < 0x20) return fail(s, GH_EPARSE, "control character in string");
    if (c == '\\') {
      if (++s->p >= s->end) break;
      unsigned char e = *s->p++;
      if (e == 'u') {
        unsigned u;
        if (!read_hex4(s, &u)) return false;
        if (u == 0) return fail(s, GH_EPARSE, "\\u0000 in string");
        if (u >= 0xDC00 && u <= 0xDFFF) return fail(s, GH_EPARSE, "lone low surrogate");
        if (u >= 0xD800 && u <= 0xDBFF) {
          unsigned lo;
          if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u') return fail(s, GH_EPARSE, "lone high surrogate");
          s->p += 2;
          if (!read_hex4(s, &lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF) return fail(s, GH_EPARSE, "lone high surrogate");
        }
      } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
        return fail(s, GH_EPARSE, "bad escape");
      }
      continue;
    }
    size_t n = utf8_len(s->p, s->end);
    if (!n) return fail(s, GH_EPARSE, "invalid UTF-8");
    s->p += n;
  }
  return fail(s, GH_EPARSE, "unterminated string");
}

static bool is_digit(scanner *s) { return s->p < s->end && *s->p >= '0' && *s->p <= '9'; }

static bool scan_number(scanner *s) {
  if (*s->p == '-') s->p++;
  if (!is_digit(s)) return fail(s, GH_EPARSE, "bad number");
  if (*s->p == '0') {
    s->p++;
    if (is_digit(s)) return fail(s, GH_EPARSE, "leading zero in number");
  } else {
    while (is_digit(s)) s->p++;
  }
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (!is_digit(s)) return fail(s, GH_EPARSE, "bad fraction");
    while (is_digit(s)) s->p++;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (!is_digit(s)) return fail(s, GH_EPARSE, "bad exponent");
    while (is_digit(s)) s->p++;
  }
  return true;
}

static bool scan_literal(scanner *s, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return fail(s, GH_EPARSE, "unexpected character");
  s->p += n;
  return true;
}

static bool scan_value(scanner *s);

static bool scan_container(scanner *s, bool object) {
  unsigned char close = object ? '}' : ']';
  if (++s->depth > s->max_depth) return fail(s, GH_ETOOBIG, "nesting too deep");
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    s->depth--;
    return true;
  }
  for (;;) {
    skip_ws(s);
    if (object) {
      if (s->p >= s->end || *s->p != '"') return fail(s, GH_EPARSE, "expected member name");
      if (!scan_string(s)) return false;
      skip_ws(s);
      if (s->p >= s->end || *s->p != ':') return fail(s, GH_EPARSE, "expected ':'");
      s->p++;
    }
    if (!scan_value(s)) return false;
    skip_ws(s);
    if (s->p >= s->end) return fail(s, GH_EPARSE, "unterminated container");
    if (*s->p == ',') {
      s->p++;
      continue;
    }
    if (*s->p == close) {
      s->p++;
      s->depth--;
      return true;
    }
    return fail(s, GH_EPARSE, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static bool scan_value(scanner *s) {
  skip_ws(s);
  if (s->p >= s->end) return fail(s, GH_EPARSE, "unexpected end of input");
  switch (*s->p) {
  case '{':
    return scan_container(s, true);
  case '[':
    return scan_container(s, false);
  case '"':
    return scan_string(s);
  case 't':
    return scan_literal(s, "true");
  case 'f':
    return scan_literal(s, "false");
  case 'n':
    return scan_literal(s, "null");
  default:
    if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return scan_number(s);
    return fail(s, GH_EPARSE, "unexpected character");
  }
}

static int cmp_names(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Returns GH_OK, GH_EPARSE (duplicate; *dup names it) or GH_ENOMEM. */
static int check_duplicates(const cJSON *node, const char **dup) {
  for (const cJSON *c = node->child; c; c = c->next) {
    int rc = check_duplicates(c, dup);
    if (rc) return rc;
  }
  if (!cJSON_IsObject(node)) return GH_OK;
  size_t n = 0;
  for (const cJSON *c = node->child; c; c = c->next) n++;
  if (n < 2) return GH_OK;
  if (n <= 8) {
    for (const cJSON *a = node->child; a; a = a->next)
      for (const cJSON *b = a->next; b; b = b->next)
        if (strcmp(a->string, b->string) == 0) {
          *dup = a->string;
          return GH_EPARSE;
        }
    return GH_OK;
  }
  const cJSON **v = gh__calloc(n, sizeof *v);
  if (!v) return GH_ENOMEM;
  size_t i = 0;
  for (const cJSON *c = node->child; c; c = c->next) v[i++] = c;
  qsort(v, n, sizeof *v, cmp_names);
  int rc = GH_OK;
  for (i = 1; i < n; i++)
    if (strcmp(v[i - 1]->string, v[i]->string) == 0) {
      *dup = v[i]->string;
      rc = GH_EPARSE;
      break;
    }
  gh__free(v);
  return rc;
}

int gh__json_parse(const char *p, size_t n, size_t max_bytes, int max_depth, cJSON **out, char *msg,
                   size_t msgcap) {
  *out = NULL;
  if (!p && n) return GH_EINVAL;
  if (n > max_bytes) {
    gh__set_msg(msg, msgcap, "JSON of %zu bytes exceeds the limit of %zu", n, max_bytes);
    return GH_ETOOBIG;
  }
  scanner s = {(const unsigned char *)p, (const unsigned char *)p + n, (const unsigned char *)p, 0, max_depth, 0, NULL};
  if (scan_value(&s)) {
    skip_ws(&s);
    if (s.p != s.end) fail(&s, GH_EPARSE, "trailing characters");
  }
  if (s.err) {
    gh__set_msg(msg, msgcap, "JSON: %s at byte %zu", s.why, (size_t)(s.p - s.start));
    return s.err;
  }
  /* The grammar is valid, so a NULL from cJSON can only be an allocation failure. */
  cJSON *root = cJSON_ParseWithLength(p, n);
  if (!root) return GH_ENOMEM;
  const char *dup = NULL;
  int rc = check_duplicates(root, &dup);
  if (rc) {
    if (rc == GH_EPARSE) gh__set_msg(msg, msgcap, "JSON: duplicate member name \"%.64s\"", dup);
    cJSON_Delete(root);
    return rc;
  }
  *out = root;
  return GH_OK;
}

const cJSON *gh__json_member(const cJSON *obj, const char *name) {
  if (!cJSON_IsObject(obj)) return NULL;
  for (const cJSON *c = obj->child; c; c = c->next)
    if (strcmp(c->string, name) == 0) return c;
  return NULL;
}

int gh__json_string(const cJSON *obj, const char *name, const char **out) {
  const cJSON *m = gh__json_member(obj, name);
  *out = NULL;
  if (!m) return GH_OK;
  if (!cJSON_IsString(m)) return GH_EPARSE;
  *out = m->valuestring;
  return GH_OK;
}

const cJSON *gh__json_path(const cJSON *root, const char *path, size_t len) {
  const cJSON *cur = root;
  size_t i = 0;
  while (cur && i <= len) {
    size_t j = i;
    while (j < len && path[j] != '.') j++;
    if (!cJSON_IsObject(cur)) return NULL;
    const cJSON *next = NULL;
    for (const cJSON *c = cur->child; c; c = c->next)
      if (strlen(c->string) == j - i && memcmp(c->string, path + i, j - i) == 0) {
        next = c;
        break;
      }
    cur = next;
    i = j + 1;
    if (j >= len) break;
  }
  return cur;
}
