#include "route_pattern.h"

#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../core/path.h"
#include "gatehouse/router.h"

static void accept_range(uint8_t *set, int from, int to) {
  for (int c = from; c <= to; c++) set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static bool accepts(const uint8_t *set, unsigned char c) { return set[c >> 3] & (1u << (c & 7)); }

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* "[a-z0-9-]+": one class of single bytes and ranges, then '+'. */
static bool parse_class(const char *t, size_t n, uint8_t *set) {
  if (n < 4 || t[0] != '[' || t[n - 2] != ']' || t[n - 1] != '+') return false;
  size_t i = 1, end = n - 2;
  if (i == end) return false;
  while (i < end) {
    unsigned char a = (unsigned char)t[i];
    if (a <= ' ' || a >= 0x7f || a == '/' || a == '[' || a == ']' || a == '\\') return false;
    if (i + 2 < end && t[i + 1] == '-') {
      unsigned char b = (unsigned char)t[i + 2];
      if (b < a || b <= ' ' || b >= 0x7f || b == '/') return false;
      accept_range(set, a, b);
      i += 3;
    } else {
      accept_range(set, a, a);
      i++;
    }
  }
  return true;
}

static bool parse_type(const char *t, size_t n, gh__piece *p) {
  memset(p->accept, 0, sizeof p->accept);
  static const struct {
    const char *name;
    gh__ptype type;
  } types[] = {{"int", GH__PT_INT}, {"uuid", GH__PT_UUID}, {"alpha", GH__PT_ALPHA}, {"alnum", GH__PT_ALNUM}, {"hex", GH__PT_HEX}};
  p->type = GH__PT_CLASS;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strlen(types[i].name) == n && !memcmp(types[i].name, t, n)) p->type = types[i].type;
  switch (p->type) {
  case GH__PT_INT: accept_range(p->accept, '0', '9'); break;
  case GH__PT_ALPHA: accept_range(p->accept, 'a', 'z'), accept_range(p->accept, 'A', 'Z'); break;
  case GH__PT_ALNUM:
    accept_range(p->accept, 'a', 'z'), accept_range(p->accept, 'A', 'Z'), accept_range(p->accept, '0', '9');
    break;
  case GH__PT_HEX:
    accept_range(p->accept, 'a', 'f'), accept_range(p->accept, 'A', 'F'), accept_range(p->accept, '0', '9');
    break;
  case GH__PT_UUID: break;
  default: return parse_class(t, n, p->accept);
  }
  return true;
}

/* One segment's pieces: literals and {name} / {name:type}. */
/* s points into the pattern's own copy: names are cut out of it in place. */
static int parse_segment(char *s, size_t n, gh__segpat *out, char *msg, size_t cap) {
  memset(out, 0, sizeof *out);
  size_t most = 1; /* literal, then parameter and literal for each '{' */
  for (size_t i = 0; i < n; i++) most += s[i] == '{' ? 2 : 0;
  out->pieces = gh__calloc(most, sizeof *out->pieces);
  if (!out->pieces) return GH_ENOMEM;
  size_t i = 0;
  bool prev_param = false;
  while (i < n) {
    gh__piece *p = &out->pieces[out->n];
    if (s[i] == '{') {
      char *close = memchr(s + i, '}', n - i);
      if (!close) return gh__set_msg(msg, cap, "'%.*s': '{' without '}'", (int)n, s), GH_EPARSE;
      if (prev_param) return gh__set_msg(msg, cap, "'%.*s': parameters need a literal between them", (int)n, s), GH_EPARSE;
      char *body = s + i + 1, *colon = memchr(body, ':', (size_t)(close - body));
      size_t name_len = (size_t)((colon ? colon : close) - body);
      for (size_t k = 0; k < name_len; k++)
        if (!is_name_char(body[k])) name_len = 0;
      if (!name_len) return gh__set_msg(msg, cap, "'%.*s': a parameter name is [A-Za-z0-9_-]+", (int)n, s), GH_EPARSE;
      p->param = true;
      out->params++;
      p->type = GH__PT_ANY;
      p->text = body;
      p->len = name_len;
      out->n++;
      if (colon) {
        size_t tlen = (size_t)(close - colon - 1);
        p->type_text = colon + 1;
        if (!parse_type(colon + 1, tlen, p))
          return gh__set_msg(msg, cap, "'%.*s': a type is int, uuid, alpha, alnum, hex or one class like [a-z0-9-]+", (int)n, s),
                 GH_EPARSE;
      }
      if (!out->rank || out->rank == 2) out->rank = p->type == GH__PT_ANY ? 2 : 1;
      else if (p->type == GH__PT_ANY) out->rank = 2;
      prev_param = true;
      i = (size_t)(close - s) + 1;
      body[name_len] = 0, *close = 0; /* the name and the type, cut out (':' and '}' are never literal) */
    } else {
      size_t j = i;
      while (j < n && s[j] != '{') {
        if (s[j] == '}' || s[j] == '*') return gh__set_msg(msg, cap, "'%.*s': stray '%c'", (int)n, s, s[j]), GH_EPARSE;
        j++;
      }
      p->text = s + i;
      p->len = j - i;
      if (!out->n) out->prefix = j - i;
      out->n++;
      prev_param = false;
      i = j;
    }
  }
  if (!n) { /* the empty segment of a trailing slash, or of "/" */
    out->pieces[0].text = (char *)"";
    out->n = 1;
  }
  return GH_OK;
}

static void segpat_free(gh__segpat *s) {
  gh__free(s->pieces);
}

void gh__route_pattern_free(gh__route_pattern *p) {
  for (size_t i = 0; i < p->n_segs; i++) segpat_free(&p->segs[i]);
  gh__free(p->segs);
  gh__free(p->copy);
  memset(p, 0, sizeof *p);
}

int gh__route_pattern_parse(const char *text, unsigned path_flags, gh__route_pattern *out, char *msg, size_t cap) {
  memset(out, 0, sizeof *out);
  size_t len = text ? strlen(text) : 0;
  if (!len || text[0] != '/') return gh__set_msg(msg, cap, "a pattern starts with '/'"), GH_EPARSE;
  if (len > GH_PATH_MAX) return gh__set_msg(msg, cap, "a pattern is at most %d bytes", GH_PATH_MAX), GH_ETOOBIG;
  char canon[GH_PATH_MAX + 1];
  const char *why;
  int rc = gh__path_canon(text, len, path_flags | GH__PATH_PATTERN, canon, sizeof canon, &len, &why);
  if (rc == GH_EPARSE) return gh__set_msg(msg, cap, "'%.200s': %s", text, why), rc;
  if (rc) return gh__set_msg(msg, cap, "a pattern is at most %d bytes, canonicalised", GH_PATH_MAX), GH_ETOOBIG;
  text = canon;
  size_t segs = 1;
  for (size_t i = 1; i < len; i++) segs += text[i] == '/';
  if (segs > 64) return gh__set_msg(msg, cap, "at most 64 segments"), GH_ETOOBIG;
  out->segs = gh__calloc(segs, sizeof *out->segs);
  out->copy = gh__strndup(text, len);
  if (!out->segs || !out->copy) {
    gh__route_pattern_free(out);
    return GH_ENOMEM;
  }
  rc = GH_OK;
  for (size_t start = 1; !rc;) {
    const char *slash = memchr(text + start, '/', len - start);
    size_t end = slash ? (size_t)(slash - text) : len, n = end - start;
    char *s = out->copy + start;
    bool star = n == 1 && s[0] == '*', rest = n > 3 && s[0] == '{' && s[n - 2] == '*' && s[n - 1] == '}';
    if (star || rest) {
      if (slash) rc = (gh__set_msg(msg, cap, "a catch-all ends the pattern"), GH_EPARSE);
      else {
        out->catch_name = star ? (char *)"*" : s + 1;
        if (!star) s[n - 2] = 0; /* "{rest*}": the name ends at '*' */
        out->catch_all = true;
        out->n_params++;
      }
      break;
    }
    if (out->n_segs == 64) rc = (gh__set_msg(msg, cap, "at most 64 segments"), GH_ETOOBIG);
    else if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
      rc = (gh__set_msg(msg, cap, "'.' and '..' segments never match"), GH_EPARSE);
    else rc = parse_segment(s, n, &out->segs[out->n_segs++], msg, cap);
    if (!rc) out->n_params += out->segs[out->n_segs - 1].params;
    if (!slash) break;
    start = end + 1;
  }
  if (!rc && out->n_params > 16) rc = (gh__set_msg(msg, cap, "at most 16 parameters"), GH_ETOOBIG);
  if (!rc) { /* a name given twice would make one of the values unreachable */
    const char *names[18] = {0};
    gh__route_pattern_names(out, names);
    for (size_t i = 0; i < 18 && names[i] && !rc; i++)
      for (size_t j = 0; j < i && !rc; j++)
        if (strcmp(names[i], names[j]) == 0)
          rc = (gh__set_msg(msg, cap, "parameter {%s} declared twice", names[i]), GH_EPARSE);
  }
  if (rc) gh__route_pattern_free(out);
  return rc;
}

void gh__route_pattern_names(const gh__route_pattern *p, const char **names) {
  size_t k = 0;
  for (size_t i = 0; i < p->n_segs; i++)
    for (size_t j = 0; j < p->segs[i].n; j++)
      if (p->segs[i].pieces[j].param) names[k++] = p->segs[i].pieces[j].text;
  if (p->catch_all) names[k] = p->catch_name;
}

size_t gh__segpat_shape(const gh__segpat *s, char *buf, size_t cap) {
  size_t at = 0;
  for (size_t i = 0; i < s->n; i++) {
    const gh__piece *p = &s->pieces[i];
    int n = p->param ? snprintf(buf + at, at < cap ? cap - at : 0, "{:%s}", p->type_text ? p->type_text : "")
                     : snprintf(buf + at, at < cap ? cap - at : 0, "%.*s", (int)p->len, p->text);
    at += n > 0 ? (size_t)n : 0;
  }
  return at;
}

bool gh__segpat_same_shape(const gh__segpat *a, const gh__segpat *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++) {
    const gh__piece *x = &a->pieces[i], *y = &b->pieces[i];
    if (x->param != y->param) return false;
    if (!x->param && (x->len != y->len || memcmp(x->text, y->text, x->len))) return false;
    if (x->param && (x->type != y->type || memcmp(x->accept, y->accept, sizeof x->accept))) return false;
  }
  return true;
}

static bool is_hex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static bool value_ok(const gh__piece *p, const char *v, size_t n) {
  if (!n) return false;
  if (p->type == GH__PT_ANY) return true;
  if (p->type == GH__PT_UUID) {
    if (n != 36) return false;
    for (size_t i = 0; i < 36; i++)
      if (i == 8 || i == 13 || i == 18 || i == 23 ? v[i] != '-' : !is_hex((unsigned char)v[i])) return false;
    return true;
  }
  for (size_t i = 0; i < n; i++)
    if (!accepts(p->accept, (unsigned char)v[i])) return false;
  return true;
}

/* One parameter and the literals around it: a parameter takes as much as
 * still lets the rest match (longest first). With one parameter the loop
 * below tries at most n splits, each in time of the literal after it. */
static bool match_from(const gh__segpat *sp, size_t i, const char *s, size_t n, gh__span *vals, size_t k) {
  if (i == sp->n) return n == 0;
  const gh__piece *p = &sp->pieces[i];
  if (!p->param) return n >= p->len && !memcmp(s, p->text, p->len) && match_from(sp, i + 1, s + p->len, n - p->len, vals, k);
  if (i + 1 == sp->n) {
    if (!value_ok(p, s, n)) return false;
    vals[k] = (gh__span){s, n};
    return true;
  }
  const gh__piece *next = &sp->pieces[i + 1]; /* a literal: parameters never touch */
  size_t run = n; /* a typed value is a prefix of the run of bytes its type accepts */
  if (p->type != GH__PT_ANY && p->type != GH__PT_UUID)
    for (run = 0; run < n && accepts(p->accept, (unsigned char)s[run]);) run++;
  size_t longest = n ? n - 1 : 0; /* the literal after it needs a byte at least */
  if (run < longest) longest = run;
  for (size_t t = longest; t >= 1; t--) {
    if (n - t < next->len || memcmp(s + t, next->text, next->len)) continue;
    if (p->type == GH__PT_UUID && !value_ok(p, s, t)) continue;
    if (match_from(sp, i + 1, s + t, n - t, vals, k + 1)) {
      vals[k] = (gh__span){s, t};
      return true;
    }
  }
  return false;
}

/* ---- several parameters in one segment ("{from}-{to}.{ext}") ----
 * Trying splits recursively, as match_from does, costs n^(params-1) on a
 * segment that almost matches: a request of dashes against
 * "{a}-{b}-{c}.json" took 0.6 s at 1,000 bytes. Instead, one pass from the
 * right marks, for each piece, the offsets from which the rest of the pattern
 * matches; then one pass from the left gives each parameter the longest value
 * that still reaches a mark. Linear in the segment per piece, same answers. */
#define SEG_WORDS ((GH_ROUTER_MAX_PATH + 64) / 64)
typedef uint64_t seg_bits[SEG_WORDS];

static bool bit(const uint64_t *b, size_t i) { return b[i / 64] >> (i % 64) & 1; }
static void set_bit(uint64_t *b, size_t i) { b[i / 64] |= 1ull << (i % 64); }

static bool is_uuid(const char *v) { return value_ok(&(gh__piece){.param = true, .type = GH__PT_UUID}, v, 36); }

/* The offsets from which a parameter (not the last piece) can take a value
 * and leave the rest to `after` (the marks of the literal after it). */
static void mark_param(const gh__piece *piece, const char *s, size_t n, const uint64_t *after, uint64_t *out) {
  size_t run_end = n, nearest = SIZE_MAX; /* the first offset after p that `after` marks */
  for (size_t p = n; p-- > 0;) {
    if (bit(after, p + 1)) nearest = p + 1;
    if (piece->type == GH__PT_UUID) {
      if (p + 36 <= n && bit(after, p + 36) && is_uuid(s + p)) set_bit(out, p);
      continue;
    }
    if (piece->type != GH__PT_ANY && !accepts(piece->accept, (unsigned char)s[p])) run_end = p;
    size_t limit = piece->type == GH__PT_ANY ? n : run_end; /* the value is s[p..q) with q <= limit */
    if (nearest <= limit) set_bit(out, p);
  }
}

static bool match_many(const gh__segpat *sp, const char *s, size_t n, gh__span *vals) {
  seg_bits level[2], kept[GH_ROUTER_MAX_PARAMS]; /* kept: the marks after each parameter */
  size_t params = sp->params;
  if (n > GH_ROUTER_MAX_PATH || params > GH_ROUTER_MAX_PARAMS) return false;
  uint64_t *after = level[0], *cur = level[1];
  memset(after, 0, sizeof level[0]);
  set_bit(after, n); /* nothing left: matches at the end */
  size_t k = params;
  for (size_t i = sp->n; i-- > 0;) {
    const gh__piece *piece = &sp->pieces[i];
    memset(cur, 0, sizeof level[0]);
    if (!piece->param) {
      for (size_t p = 0; p + piece->len <= n; p++)
        if (bit(after, p + piece->len) && !memcmp(s + p, piece->text, piece->len)) set_bit(cur, p);
    } else if (i + 1 == sp->n) { /* the value is all the rest: s[p..n) */
      if (piece->type == GH__PT_UUID) {
        if (n >= 36 && is_uuid(s + n - 36)) set_bit(cur, n - 36);
      } else {
        for (size_t p = n; p-- > 0;) {
          if (piece->type != GH__PT_ANY && !accepts(piece->accept, (unsigned char)s[p])) break;
          set_bit(cur, p);
        }
      }
    } else {
      memcpy(kept[--k], after, sizeof kept[0]);
      mark_param(piece, s, n, after, cur);
    }
    if (piece->param && i + 1 == sp->n) k--;
    uint64_t *t = after;
    after = cur, cur = t;
  }
  if (!bit(after, 0)) return false;
  /* from the left: each parameter's longest value that the rest still matches */
  size_t p = 0;
  for (size_t i = 0; i < sp->n; i++) {
    const gh__piece *piece = &sp->pieces[i];
    if (!piece->param) {
      p += piece->len;
      continue;
    }
    size_t q = n;
    if (i + 1 < sp->n) {
      const uint64_t *marks = kept[k];
      size_t limit = piece->type == GH__PT_UUID ? p + 36 : n;
      if (piece->type != GH__PT_ANY && piece->type != GH__PT_UUID)
        for (limit = p; limit < n && accepts(piece->accept, (unsigned char)s[limit]);) limit++;
      for (q = limit; q > p && !bit(marks, q);) q--;
    }
    vals[k++] = (gh__span){s + p, q - p};
    p = q;
  }
  return true;
}

bool gh__segpat_match(const gh__segpat *s, const char *seg, size_t len, gh__span *vals) {
  return s->params > 1 ? match_many(s, seg, len, vals) : match_from(s, 0, seg, len, vals, 0);
}
