#include "json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "table256.h"

/* Member names of the objects being scanned, innermost last, for duplicate
 * detection without a tree. Objects with more members than OBJECT_FAST, or
 * names that need unescaping beyond NAME_MAX bytes, set `deferred`: then the
 * tree-based check settles duplicates instead. */
#define NAMES_MAX 256
#define OBJECT_FAST 64

typedef struct name_span {
  const unsigned char *p; /* after the opening quote */
  size_t len;             /* raw length, quotes excluded */
  bool escaped;
  uint32_t tag; /* of the decoded name: most different names differ here */
} name_span;

typedef struct scanner {
  const unsigned char *p, *end, *start;
  int depth, max_depth;
  int err; /* GH_EPARSE or GH_ETOOBIG */
  const char *why;
  size_t n_names;
  bool deferred;
  bool escaped; /* the last string scanned had an escape */
  gh__json_member_fn on_member; /* top-level members */
  void *ud;
  name_span names[NAMES_MAX]; /* last: initialisation skips it */
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

/* Printable ASCII other than the quote and the backslash: the bytes a string
 * consists of almost always, passed over four at a time. */
#define PLAIN(c, unused) ((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\')
static const bool PLAIN_BYTE[256] = {GH__TABLE256(PLAIN, 0)};

static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end) {
  while (end - p >= 4 && PLAIN_BYTE[p[0]] && PLAIN_BYTE[p[1]] && PLAIN_BYTE[p[2]] && PLAIN_BYTE[p[3]]) p += 4;
  while (p < end && PLAIN_BYTE[*p]) p++;
  return p;
}

static bool scan_string(scanner *s) {
  s->p++; /* opening quote */
  s->escaped = false;
  while ((s->p = skip_plain(s->p, s->end)) < s->end) {
    unsigned char c = *s->p;
    if (c == '"') {
      s->p++;
      return true;
    }
    if (c < 0x20) return fail(s, GH_EPARSE, "control character in string");
    if (c == '\\') {
      s->escaped = true;
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

/* Decoded form of a name for comparison; false when it does not fit. */
static bool name_text(const name_span *n, char *buf, size_t cap, const char **out, size_t *len) {
  if (!n->escaped) {
    *out = (const char *)n->p;
    *len = n->len;
    return true;
  }
  *len = gh__json_unescape((const char *)n->p, n->len, buf, cap);
  *out = buf;
  return *len != SIZE_MAX;
}

/* Length, first and last byte: names that differ there need no comparison. */
static uint32_t name_tag(const char *name, size_t len) {
  if (!len) return 0;
  return (uint32_t)len << 16 | (uint32_t)(unsigned char)name[0] << 8 | (unsigned char)name[len - 1];
}

/* Records a member name of the current object (whose first name is names[base])
 * and fails on a duplicate (RFC 8259 section 4: names SHOULD be unique; here MUST). */
static bool add_name(scanner *s, size_t base, name_span n) {
  if (s->deferred || s->n_names - base >= OBJECT_FAST || s->n_names == NAMES_MAX) {
    s->deferred = true;
    return true;
  }
  char a_buf[GH__JSON_NAME_MAX], b_buf[GH__JSON_NAME_MAX];
  const char *a, *b;
  size_t a_len, b_len;
  if (!name_text(&n, a_buf, sizeof a_buf, &a, &a_len)) {
    s->deferred = true;
    return true;
  }
  n.tag = name_tag(a, a_len);
  for (size_t i = base; i < s->n_names; i++) {
    if (s->names[i].tag != n.tag) continue;
    if (!name_text(&s->names[i], b_buf, sizeof b_buf, &b, &b_len)) {
      s->deferred = true;
      return true;
    }
    if (a_len == b_len && memcmp(a, b, a_len) == 0) return fail(s, GH_EPARSE, "duplicate member name");
  }
  s->names[s->n_names++] = n;
  return true;
}

static void report_member(scanner *s, const name_span *name, const unsigned char *value) {
  char buf[GH__JSON_NAME_MAX];
  const char *text = NULL;
  size_t len = 0;
  if (!name_text(name, buf, sizeof buf, &text, &len)) text = NULL, len = 0;
  s->on_member(s->ud, text, len, (const char *)value, (size_t)(s->p - value));
}

static bool scan_container(scanner *s, bool object) {
  unsigned char close = object ? '}' : ']';
  if (++s->depth > s->max_depth) return fail(s, GH_ETOOBIG, "nesting too deep");
  size_t base = s->n_names;
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    s->depth--;
    return true;
  }
  for (;;) {
    skip_ws(s);
    name_span name = {0};
    if (object) {
      if (s->p >= s->end || *s->p != '"') return fail(s, GH_EPARSE, "expected member name");
      const unsigned char *name_start = s->p + 1;
      if (!scan_string(s)) return false;
      name.p = name_start;
      name.len = (size_t)(s->p - 1 - name_start);
      name.escaped = s->escaped;
      if (!add_name(s, base, name)) return false;
      skip_ws(s);
      if (s->p >= s->end || *s->p != ':') return fail(s, GH_EPARSE, "expected ':'");
      s->p++;
    }
    skip_ws(s);
    const unsigned char *value = s->p;
    if (!scan_value(s)) return false;
    if (object && s->depth == 1 && s->on_member) report_member(s, &name, value);
    skip_ws(s);
    if (s->p >= s->end) return fail(s, GH_EPARSE, "unterminated container");
    if (*s->p == ',') {
      s->p++;
      continue;
    }
    if (*s->p == close) {
      s->p++;
      s->depth--;
      s->n_names = base;
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
        if (a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0) {
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

/* Runs the scanner; GH_OK, or GH_EPARSE / GH_ETOOBIG with msg. */
static int run_scan(scanner *s, const char *p, size_t n, size_t max_bytes, char *msg, size_t msgcap) {
  if (n > max_bytes) {
    gh__set_msg(msg, msgcap, "JSON of %zu bytes exceeds the limit of %zu", n, max_bytes);
    return GH_ETOOBIG;
  }
  s->p = s->start = (const unsigned char *)p;
  s->end = s->p + n;
  if (scan_value(s)) {
    skip_ws(s);
    if (s->p != s->end) fail(s, GH_EPARSE, "trailing characters");
  }
  if (s->err) {
    gh__set_msg(msg, msgcap, "JSON: %s at byte %zu", s->why, (size_t)(s->p - s->start));
    return s->err;
  }
  return GH_OK;
}

/* The tree-based duplicate check, for what the scanner deferred. */
static int tree_duplicates(const cJSON *root, char *msg, size_t msgcap) {
  const char *dup = NULL;
  int rc = check_duplicates(root, &dup);
  if (rc == GH_EPARSE) gh__set_msg(msg, msgcap, "JSON: duplicate member name \"%.64s\"", dup);
  return rc;
}

/* Validates; *deferred says whether duplicates still need the tree check. */
static int scan_only(const char *p, size_t n, size_t max_bytes, int max_depth, gh__json_member_fn on_member, void *ud,
                     bool *deferred, char *msg, size_t msgcap) {
  if (!p && n) return GH_EINVAL;
  scanner s;
  memset(&s, 0, offsetof(scanner, names)); /* names[] is written before it is read */
  s.max_depth = max_depth;
  s.on_member = on_member;
  s.ud = ud;
  int rc = run_scan(&s, p, n, max_bytes, msg, msgcap);
  *deferred = s.deferred;
  return rc;
}

int gh__json_parse(const char *p, size_t n, size_t max_bytes, int max_depth, cJSON **out, char *msg,
                   size_t msgcap) {
  *out = NULL;
  bool deferred;
  int rc = scan_only(p, n, max_bytes, max_depth, NULL, NULL, &deferred, msg, msgcap);
  if (rc) return rc;
  /* The grammar is valid, so a NULL from cJSON can only be an allocation failure. */
  cJSON *root = cJSON_ParseWithLength(p, n);
  if (!root) return GH_ENOMEM;
  if (deferred && (rc = tree_duplicates(root, msg, msgcap)) != GH_OK) {
    cJSON_Delete(root);
    return rc;
  }
  *out = root;
  return GH_OK;
}

int gh__json_scan(const char *p, size_t n, size_t max_bytes, int max_depth, gh__json_member_fn on_member, void *ud,
                  bool *is_object, char *msg, size_t msgcap) {
  bool deferred;
  int rc = scan_only(p, n, max_bytes, max_depth, on_member, ud, &deferred, msg, msgcap);
  if (rc) return rc;
  if (is_object) {
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    *is_object = i < n && p[i] == '{';
  }
  if (!deferred) return GH_OK;
  cJSON *root = cJSON_ParseWithLength(p, n);
  if (!root) return GH_ENOMEM;
  rc = tree_duplicates(root, msg, msgcap);
  cJSON_Delete(root);
  return rc;
}

static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static unsigned hex4(const char *p) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) v = v << 4 | (unsigned)hex_value((unsigned char)p[i]);
  return v;
}

size_t gh__json_unescape(const char *raw, size_t len, char *out, size_t cap) {
  if (!memchr(raw, '\\', len)) { /* the common case: nothing to unescape */
    if (len > cap) return SIZE_MAX;
    memcpy(out, raw, len);
    return len;
  }
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    char tmp[4];
    size_t n = 1;
    const char *piece = raw + i;
    if (raw[i] != '\\') {
      i++;
    } else {
      char e = raw[i + 1];
      i += 2;
      piece = tmp;
      switch (e) {
      case 'b': tmp[0] = '\b'; break;
      case 'f': tmp[0] = '\f'; break;
      case 'n': tmp[0] = '\n'; break;
      case 'r': tmp[0] = '\r'; break;
      case 't': tmp[0] = '\t'; break;
      case 'u': {
        unsigned cp = hex4(raw + i);
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* the scanner guaranteed the low half */
          cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(raw + i + 2) - 0xDC00);
          i += 6;
        }
        n = put_utf8(tmp, cp);
        break;
      }
      default: tmp[0] = e; /* " \ / */
      }
    }
    if (o + n > cap) return SIZE_MAX;
    memcpy(out + o, piece, n);
    o += n;
  }
  return o;
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

void gh__buf_put_json_string(gh__buf *b, const char *s, size_t n) {
  gh__buf_put(b, "\"", 1);
  gh__buf_put_json_string_body(b, s, n);
  gh__buf_put(b, "\"", 1);
}

void gh__buf_put_json_string_body(gh__buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    gh__buf_put(b, s + run, i - run);
    run = i + 1;
    char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
    size_t len = 2;
    if (c == '\n') esc[1] = 'n';
    else if (c == '\r') esc[1] = 'r';
    else if (c == '\t') esc[1] = 't';
    else if (c < 0x20) esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15], len = 6;
    gh__buf_put(b, esc, len);
  }
  gh__buf_put(b, s + run, n - run);
}
