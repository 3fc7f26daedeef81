/* Canonical request paths: RFC 3986 §6.2.2 normalisation plus the refusals a
 * gateway needs (gatehouse/path.h has the rules). One table classifies every
 * byte, so the check and the rewrite cannot disagree. */
#include "path.h"

#include <string.h>

#include "core.h"
#include "table256.h"

enum { ENCODE, REFUSE, UNRESERVED, KEEP, SLASH, PERCENT };

#define IS_ALNUM(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9'))
/* sub-delims, ':' and '@': pchar (RFC 3986 §3.3) that is not unreserved */
#define IS_KEEP(c)                                                                                                 \
  ((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || (c) == '*' || (c) == '+' || \
   (c) == ',' || (c) == ';' || (c) == '=' || (c) == ':' || (c) == '@')
#define CLASS_OF(c, unused)                                                                                        \
  (IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ? UNRESERVED                               \
   : IS_KEEP(c)                                                      ? KEEP                                       \
   : (c) == '/'                                                      ? SLASH                                      \
   : (c) == '%'                                                      ? PERCENT                                    \
   : (c) < 0x20 || (c) == 0x7f || (c) == '\\'                        ? REFUSE                                     \
                                                                     : ENCODE)
static const unsigned char CLASS[256] = {GH__TABLE256(CLASS_OF, 0)};

static const char HEX[] = "0123456789ABCDEF";

static int hex_value(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* An escaped byte that no spelling may carry: backends turn it into a
 * separator or the end of a string. */
static const char *forbidden_escape(unsigned char v) {
  return v == '/' ? "an encoded '/' (%2F) in a segment" : v == '\\' ? "an encoded '\\' (%5C)" : v == 0 ? "an encoded NUL (%00)" : NULL;
}

/* "." and "..", also before a ';' that some servers strip with what follows. */
static bool is_dot_segment(const char *s, size_t n) {
  if (!n || s[0] != '.') return false;
  if (n == 1 || s[1] == ';') return true;
  return s[1] == '.' && (n == 2 || s[2] == ';');
}

static size_t path_part(const char *in, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (in[i] == '?' || in[i] == '#') return i;
  return len;
}

/* Bytes that stand for themselves in a canonical path: unreserved and
 * sub-delims, ':' and '@'; the folded table leaves out upper-case letters. */
#define PLAIN_OF(c, fold) ((CLASS_OF(c, 0) == UNRESERVED || CLASS_OF(c, 0) == KEEP) && !((fold) && (c) >= 'A' && (c) <= 'Z'))
static const unsigned char PLAIN[256] = {GH__TABLE256(PLAIN_OF, 0)};
static const unsigned char PLAIN_FOLDED[256] = {GH__TABLE256(PLAIN_OF, 1)};

static bool upper_hex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

/* On the hot path of every lookup: plain runs are skipped by table, and only
 * segment ends and escapes are looked at; the segments are cut on the way
 * when segs is not NULL. */
int gh__path_split_canonical(const char *in, size_t len, unsigned flags, gh__span *segs, size_t max, bool *escaped) {
  if (!len || len > GH_PATH_MAX || in[0] != '/') return 0;
  const unsigned char *t = flags & GH_PATH_IGNORE_CASE ? PLAIN_FOLDED : PLAIN;
  const unsigned char *q = (const unsigned char *)in + 1, *end = (const unsigned char *)in + len, *seg = q;
  int n_segs = 0;
  bool pct = false;
  for (;;) {
    while (end - q >= 4 && t[q[0]] & t[q[1]] & t[q[2]] & t[q[3]]) q += 4; /* four plain bytes a step */
    while (q < end && t[*q]) q++;
    if (q == end || *q == '/') {
      size_t n = (size_t)(q - seg);
      if (n ? seg[0] == '.' && is_dot_segment((const char *)seg, n) : q < end) return 0; /* a dot segment, or "//" */
      if (segs) {
        if ((size_t)n_segs == max) return -1;
        segs[n_segs] = (gh__span){(const char *)seg, n};
      }
      n_segs++;
      if (q == end) break;
      seg = ++q;
      continue;
    }
    if (*q != '%' || end - q < 3 || !upper_hex(q[1]) || !upper_hex(q[2])) return 0;
    unsigned char v = (unsigned char)(hex_value((char)q[1]) << 4 | hex_value((char)q[2]));
    if (CLASS[v] == UNRESERVED || forbidden_escape(v)) return 0;
    pct = true;
    q += 3;
  }
  if (escaped) *escaped = pct;
  return n_segs;
}

bool gh__path_is_canonical(const char *in, size_t len, unsigned flags) {
  return gh__path_split_canonical(in, len, flags, NULL, 0, NULL) > 0;
}

int gh__path_canon(const char *in, size_t len, unsigned flags, char *out, size_t cap, size_t *out_len,
                   const char **why) {
  *why = NULL;
  len = path_part(in, len);
  if (len > GH_PATH_MAX) return GH_ETOOBIG;
  if (!len || in[0] != '/') return *why = "a path starts with '/'", GH_EPARSE;
  bool fold = flags & GH_PATH_IGNORE_CASE;
  size_t o = 0, seg = 0;
#define ROOM(n)                                        \
  do {                                                 \
    if (o + (n) > GH_PATH_MAX) return GH_ETOOBIG;      \
    if (o + (n) >= cap) return GH_EBUFFER;             \
  } while (0)
  for (size_t i = 0; i <= len; i++) {
    if (i == len || in[i] == '/') {
      if (o && is_dot_segment(out + seg, o - seg)) return *why = "a dot segment ('.' or '..')", GH_EPARSE;
      if (i == len) break;
      if (o && out[o - 1] == '/') continue; /* empty segments merge */
      ROOM(1);
      out[o++] = '/';
      seg = o;
      continue;
    }
    unsigned char c = (unsigned char)in[i];
    int cls = CLASS[c];
    if ((flags & GH__PATH_PATTERN) && (c == '{' || c == '}')) { /* a parameter, as written */
      const char *close = c == '{' ? memchr(in + i, '}', len - i) : NULL;
      size_t n = close ? (size_t)(close - in - i) + 1 : 1;
      ROOM(n);
      memcpy(out + o, in + i, n);
      o += n, i += n - 1;
      continue;
    }
    if (cls == PERCENT) {
      int hi = i + 2 < len ? hex_value(in[i + 1]) : -1, lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
      if (lo < 0) return *why = "a '%' without two hex digits", GH_EPARSE;
      c = (unsigned char)(hi << 4 | lo);
      if ((*why = forbidden_escape(c))) return GH_EPARSE;
      i += 2;
      cls = CLASS[c] == UNRESERVED ? UNRESERVED : ENCODE;
    } else if (cls == REFUSE) {
      return *why = c == '\\' ? "a '\\' (servers differ on whether it separates segments)" : "a control character",
             GH_EPARSE;
    }
    if (cls == ENCODE) {
      ROOM(3);
      out[o++] = '%', out[o++] = HEX[c >> 4], out[o++] = HEX[c & 15];
    } else {
      ROOM(1);
      out[o++] = (char)(fold && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
#undef ROOM
  out[o] = '\0';
  if (out_len) *out_len = o;
  return GH_OK;
}

size_t gh__pct_decode(const char *in, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int hi = in[i] == '%' && i + 2 < n ? hex_value(in[i + 1]) : -1, lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
    if (lo >= 0) out[o++] = (char)(hi << 4 | lo), i += 2;
    else out[o++] = in[i];
  }
  return o;
}

void gh__pct_encode_component(gh__buf *b, const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (CLASS[c] == UNRESERVED) gh__buf_put(b, &v[i], 1);
    else gh__buf_put(b, (char[]){'%', HEX[c >> 4], HEX[c & 15]}, 3);
  }
}

bool gh__pct_equal(const char *canon, size_t n, const char *s, size_t m) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++, k++) {
    char c = canon[i];
    int hi = c == '%' && i + 2 < n ? hex_value(canon[i + 1]) : -1, lo = hi >= 0 ? hex_value(canon[i + 2]) : -1;
    if (lo >= 0) c = (char)(hi << 4 | lo), i += 2;
    if (k == m || s[k] != c) return false;
  }
  return k == m;
}

size_t gh_path_max(void) { return GH_PATH_MAX; }

int gh_path_canonicalize(const char *path, size_t len, unsigned flags, char *out, size_t out_cap, size_t *out_len,
                         char *msg, size_t msg_cap) {
  if (!path || !out || (flags & ~GH_PATH_IGNORE_CASE)) return GH_EINVAL;
  const char *why;
  int rc = gh__path_canon(path, len, flags, out, out_cap, out_len, &why);
  if (rc == GH_EPARSE) gh__set_msg(msg, msg_cap, "%s", why);
  else if (rc == GH_ETOOBIG) gh__set_msg(msg, msg_cap, "the path is longer than %d bytes", GH_PATH_MAX);
  else if (rc == GH_EBUFFER) gh__set_msg(msg, msg_cap, "the output buffer is too small (GH_PATH_MAX + 1 always fits)");
  return rc;
}
