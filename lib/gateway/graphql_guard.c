/* The GraphQL guard: a bounded, lexer-level look at an operation (GraphQL
 * spec, October 2021, §2 "Language") before it reaches the server: the
 * depth of its selection sets (through fragment spreads), its aliases, its
 * root fields, and its operation's name and type. It parses no schema and
 * builds no tree; one pass over at most max_bytes, then a walk of at most
 * GH__GQL_MAX_FRAGMENTS fragments. */
#include <string.h>

#include "../core/core.h"
#include "graphql_guard.h"

typedef struct lexer {
  const char *p, *end;
} lexer;

typedef enum tok { T_END, T_NAME, T_PUNCT, T_SPREAD, T_VALUE, T_BAD } tok;

static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

/* The next significant token; *s, *n its text. Ignored tokens (§2.1.7):
 * white space, line terminators, commas, comments, the byte order mark. */
static tok next(lexer *x, const char **s, size_t *n) {
  for (;;) {
    while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r' || *x->p == ','))
      x->p++;
    if (x->end - x->p >= 3 && !memcmp(x->p, "\xEF\xBB\xBF", 3)) {
      x->p += 3;
      continue;
    }
    if (x->p < x->end && *x->p == '#') {
      while (x->p < x->end && *x->p != '\n' && *x->p != '\r') x->p++;
      continue;
    }
    break;
  }
  if (x->p >= x->end) return T_END;
  *s = x->p;
  char c = *x->p;
  if (name_start(c)) {
    while (x->p < x->end && name_char(*x->p)) x->p++;
    *n = (size_t)(x->p - *s);
    return T_NAME;
  }
  if (c == '.') {
    if (x->end - x->p < 3 || memcmp(x->p, "...", 3)) return T_BAD;
    x->p += 3;
    return T_SPREAD;
  }
  if (c == '"') { /* strings and block strings (§2.9.4) are values: skipped whole */
    bool block = x->end - x->p >= 3 && !memcmp(x->p, "\"\"\"", 3);
    x->p += block ? 3 : 1;
    for (; x->p < x->end; x->p++) {
      if (block && x->end - x->p >= 4 && !memcmp(x->p, "\\\"\"\"", 4)) {
        x->p += 3;
      } else if (block && x->end - x->p >= 3 && !memcmp(x->p, "\"\"\"", 3)) {
        x->p += 3;
        return T_VALUE;
      } else if (!block && *x->p == '\\') {
        x->p++;
      } else if (!block && (*x->p == '\n' || *x->p == '\r')) {
        return T_BAD;
      } else if (!block && *x->p == '"') {
        x->p++;
        return T_VALUE;
      }
    }
    return T_BAD;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    while (x->p < x->end && (name_char(*x->p) || *x->p == '-' || *x->p == '+' || *x->p == '.')) x->p++;
    return T_VALUE;
  }
  if (strchr("!$&()[]{}:=@|", c) && c) {
    x->p++;
    *n = 1;
    return T_PUNCT;
  }
  return T_BAD;
}

static bool is(const char *s, size_t n, const char *word) { return n == strlen(word) && !memcmp(s, word, n); }

typedef struct fragment {
  const char *name;
  size_t name_len;
  unsigned depth;  /* its own deepest selection set, counting its outer one as 1 */
  int resolved;    /* 0 not yet, 1 in progress (a cycle when met again), 2 done */
  unsigned total;  /* its depth through the spreads it holds */
} fragment;

typedef struct spread {
  size_t owner; /* a fragment index, or SIZE_MAX for an operation */
  const char *name;
  size_t name_len;
  unsigned at; /* the depth of the selection set holding it */
} spread;

typedef struct doc {
  fragment frags[GH__GQL_MAX_FRAGMENTS];
  size_t n_frags;
  spread spreads[GH__GQL_MAX_SPREADS];
  size_t n_spreads;
} doc;

static fragment *find_fragment(doc *g, const char *name, size_t len) {
  for (size_t i = 0; i < g->n_frags; i++)
    if (g->frags[i].name_len == len && !memcmp(g->frags[i].name, name, len)) return &g->frags[i];
  return NULL;
}

/* A fragment's depth through its spreads; false on a cycle (invalid, §5.5.2.2) or an unknown fragment. */
static bool resolve(doc *g, fragment *f) {
  if (f->resolved == 2) return true;
  if (f->resolved == 1) return false;
  f->resolved = 1;
  f->total = f->depth;
  size_t self = (size_t)(f - g->frags);
  for (size_t i = 0; i < g->n_spreads; i++) {
    if (g->spreads[i].owner != self) continue;
    fragment *inner = find_fragment(g, g->spreads[i].name, g->spreads[i].name_len);
    if (!inner || !resolve(g, inner)) return false;
    if (g->spreads[i].at - 1 + inner->total > f->total) f->total = g->spreads[i].at - 1 + inner->total;
  }
  f->resolved = 2;
  return true;
}

static int refuse(gh__gql_result *r, int why) {
  r->refusal = why;
  return why;
}

int gh__gql_check(const char *text, size_t len, const char *op_name, size_t op_len, const gh__gql_limits *lim,
                  gh__gql_result *r) {
  memset(r, 0, sizeof *r);
  if (len > lim->max_bytes) return refuse(r, GH__GQL_TOO_LARGE);
  static _Thread_local doc g;
  g.n_frags = g.n_spreads = 0;
  lexer x = {text, text + len};
  const char *s = NULL;
  size_t n = 0;
  unsigned depth = 0, parens = 0, max_op_depth = 0, operations = 0, nest = 0;
  /* per open brace: does it open a field's selection set (1), or an inline fragment's (0), which adds no depth? */
  unsigned char level[GH__GQL_MAX_NESTING];
  bool inline_pending = false; /* after "...": an inline fragment unless a fragment's name follows */
  size_t current = SIZE_MAX; /* the fragment being read, or SIZE_MAX in an operation */
  bool in_def = false, after_spread = false, after_at = false, expect_on = false;
  bool selected = false; /* the operation being read is the one that runs */
  tok t;
  while ((t = next(&x, &s, &n)) != T_END) {
    if (t == T_BAD) return refuse(r, GH__GQL_MALFORMED);
    if (t == T_PUNCT && (*s == '(' || *s == '[')) parens++;
    else if (t == T_PUNCT && (*s == ')' || *s == ']')) {
      if (!parens--) return refuse(r, GH__GQL_MALFORMED);
    } else if (t == T_PUNCT && *s == '{' && !parens) {
      if (!nest) {
        if (!in_def) { /* the query shorthand: an anonymous query (§2.3) */
          operations++;
          current = SIZE_MAX;
          if ((selected = !op_len)) r->type = "query";
        }
        in_def = true;
      }
      if (nest == GH__GQL_MAX_NESTING) return refuse(r, GH__GQL_TOO_COMPLEX);
      level[nest++] = !inline_pending;
      bool inline_fragment = inline_pending;
      inline_pending = false;
      if (inline_fragment) { /* §2.8.2: its fields are at the level of the enclosing set */
        after_spread = after_at = false;
        continue;
      }
      depth++;
      if (current == SIZE_MAX && depth > max_op_depth) max_op_depth = depth;
      if (current != SIZE_MAX && depth > g.frags[current].depth) g.frags[current].depth = depth;
      if (depth > lim->max_depth) return refuse(r, GH__GQL_TOO_DEEP); /* lexically already too deep */
    } else if (t == T_PUNCT && *s == '}' && !parens) {
      if (!nest) return refuse(r, GH__GQL_MALFORMED);
      depth -= level[--nest];
      if (!nest) in_def = false;
    } else if (t == T_SPREAD && !parens) {
      after_spread = true;
      inline_pending = true;
      continue;
    } else if (t == T_PUNCT && *s == '@') {
      after_at = true;
      after_spread = false; /* "... @include(if: $x) { }": an inline fragment with a directive */
      continue;
    } else if (t == T_NAME && !nest && !parens && !in_def) {
      /* a definition starts: an operation (§2.3) or a fragment (§2.8) */
      if (is(s, n, "fragment")) {
        const char *fs;
        size_t fn;
        if (next(&x, &fs, &fn) != T_NAME || g.n_frags == GH__GQL_MAX_FRAGMENTS) return refuse(r, GH__GQL_TOO_COMPLEX);
        g.frags[g.n_frags] = (fragment){fs, fn, 0, 0, 0};
        current = g.n_frags++;
      } else if (is(s, n, "query") || is(s, n, "mutation") || is(s, n, "subscription")) {
        operations++;
        current = SIZE_MAX;
        const char *type = is(s, n, "query") ? "query" : is(s, n, "mutation") ? "mutation" : "subscription";
        /* the operation that runs: the one operationName names, else the only one */
        const char *look = x.p;
        const char *os;
        size_t on;
        bool named = next(&x, &os, &on) == T_NAME;
        if (!named) x.p = look;
        selected = !op_len || (named && on == op_len && !memcmp(os, op_name, on));
        if (selected) {
          r->type = type;
          if (named && on <= sizeof r->operation - 1) memcpy(r->operation, os, on), r->operation[on] = 0;
        }
      } else {
        return refuse(r, GH__GQL_MALFORMED);
      }
      in_def = true;
    } else if (t == T_NAME && nest && !parens) {
      if (after_spread) { /* a named spread, or "on Type" of an inline fragment */
        if (is(s, n, "on")) {
          expect_on = true;
        } else if (g.n_spreads == GH__GQL_MAX_SPREADS) {
          return refuse(r, GH__GQL_TOO_COMPLEX);
        } else {
          g.spreads[g.n_spreads++] = (spread){current, s, n, depth};
          inline_pending = false;
        }
        after_spread = false;
      } else if (expect_on) {
        expect_on = false; /* the type condition's name */
      } else if (after_at) {
        after_at = false; /* a directive's name */
      } else {
        /* a field, or an alias (Name ':' Name, §2.7) */
        const char *look = x.p;
        const char *cs;
        size_t cn;
        bool alias = next(&x, &cs, &cn) == T_PUNCT && *cs == ':';
        x.p = look;
        if (alias) {
          if (++r->aliases > lim->max_aliases) return refuse(r, GH__GQL_TOO_MANY_ALIASES);
          const char *fs;
          size_t fn;
          next(&x, &cs, &cn); /* the ':' */
          if (next(&x, &fs, &fn) != T_NAME) return refuse(r, GH__GQL_MALFORMED);
        }
        if (depth == 1 && current == SIZE_MAX && selected && ++r->root_fields > lim->max_root_fields)
          return refuse(r, GH__GQL_TOO_MANY_ROOT_FIELDS);
      }
    }
    after_spread = after_at = false;
  }
  if (nest || parens || !operations || inline_pending) return refuse(r, GH__GQL_MALFORMED);
  if (operations > 1 && !op_len) return refuse(r, GH__GQL_NO_OPERATION); /* §6.1: the name is then required */
  if (op_len && !r->type) return refuse(r, GH__GQL_NO_OPERATION);
  if (op_len && !r->operation[0] && op_len < sizeof r->operation) memcpy(r->operation, op_name, op_len);
  /* depth through fragment spreads */
  unsigned deepest = max_op_depth;
  for (size_t i = 0; i < g.n_spreads; i++) {
    fragment *f = find_fragment(&g, g.spreads[i].name, g.spreads[i].name_len);
    if (!f || !resolve(&g, f)) return refuse(r, GH__GQL_MALFORMED);
    if (g.spreads[i].owner == SIZE_MAX && g.spreads[i].at - 1 + f->total > deepest)
      deepest = g.spreads[i].at - 1 + f->total;
  }
  r->depth = deepest;
  if (deepest > lim->max_depth) return refuse(r, GH__GQL_TOO_DEEP);
  return GH__GQL_OK;
}

const char *gh__gql_refusal_text(int why) {
  switch (why) {
    case GH__GQL_OK: return "ok";
    case GH__GQL_TOO_LARGE: return "the GraphQL document is too large";
    case GH__GQL_MALFORMED: return "the GraphQL document does not parse";
    case GH__GQL_TOO_DEEP: return "the operation's selections are nested too deep";
    case GH__GQL_TOO_MANY_ALIASES: return "the operation uses too many aliases";
    case GH__GQL_TOO_MANY_ROOT_FIELDS: return "the operation asks for too many root fields";
    case GH__GQL_TOO_COMPLEX: return "the document has too many fragments or spreads";
    case GH__GQL_NO_OPERATION: return "the operation to run is not named, or not in the document";
    case GH__GQL_NOT_ALLOWED: return "the operation is not in the route's list of allowed operations";
    default: return "refused";
  }
}
