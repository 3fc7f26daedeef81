/* Route patterns: parsing "/files/{name}.{ext}" into segments of literal and
 * parameter pieces, matching one request segment against a segment pattern,
 * and the shape of a pattern (what two patterns share when they differ only
 * in parameter names). */
#ifndef GH_ROUTE_PATTERN_H
#define GH_ROUTE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

typedef enum gh__ptype { GH__PT_ANY, GH__PT_INT, GH__PT_UUID, GH__PT_ALPHA, GH__PT_ALNUM, GH__PT_HEX, GH__PT_CLASS } gh__ptype;

typedef struct gh__piece {
  bool param;
  char *text; /* literal text (len bytes), or the parameter's name (NUL-terminated); inside the pattern's copy */
  size_t len;
  gh__ptype type;
  uint8_t accept[32]; /* the bytes a typed parameter accepts (not uuid) */
  char *type_text;    /* as written after ':' (NUL-terminated), for shapes */
} gh__piece;

typedef struct gh__segpat {
  gh__piece *pieces;
  size_t n;
  int rank;      /* 0 static, 1 typed parameter, 2 parameter */
  size_t prefix; /* literal bytes before the first parameter */
  size_t params; /* parameters among the pieces */
} gh__segpat;

typedef struct gh__route_pattern {
  gh__segpat *segs;
  size_t n_segs;
  bool catch_all;
  char *catch_name; /* "*" for a bare star */
  char *copy;       /* the pattern's text, which pieces point into */
  size_t n_params;  /* including the catch-all */
} gh__route_pattern;

/* Parses a pattern whose static text is canonicalised with path_flags
 * (gatehouse/path.h), as request paths are before they are matched. */
int gh__route_pattern_parse(const char *text, unsigned path_flags, gh__route_pattern *out, char *msg, size_t cap);
void gh__route_pattern_free(gh__route_pattern *p);
/* The names of the parameters in order (names[i] for i < n_params). */
void gh__route_pattern_names(const gh__route_pattern *p, const char **names);
/* Appends the shape of segment i ("{}" for parameters, with types) to buf. */
size_t gh__segpat_shape(const gh__segpat *s, char *buf, size_t cap);
bool gh__segpat_same_shape(const gh__segpat *a, const gh__segpat *b);
/* Matches one request segment; on success vals[0..params) hold the values. */
bool gh__segpat_match(const gh__segpat *s, const char *seg, size_t len, gh__span *vals);

#endif
