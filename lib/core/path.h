/* Canonical request paths (gatehouse/path.h) for the objects that match on
 * them, and percent-decoding of what they extract. */
#ifndef GH_PATH_INTERNAL_H
#define GH_PATH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "gatehouse/path.h"

/* For route and policy patterns: "{...}" and '}' are copied as they stand,
 * so only the literal text is canonicalised. */
#define GH__PATH_PATTERN 0x100u

/* The canonical form of (in, len) into out (cap bytes, NUL-terminated when it
 * fits), as gh_path_canonicalize; *why is a static reason on GH_EPARSE. */
int gh__path_canon(const char *in, size_t len, unsigned flags, char *out, size_t cap, size_t *out_len,
                   const char **why);
/* True when (in, len) is already its own canonical form: most paths are, and
 * then a caller can use them without a copy. */
bool gh__path_is_canonical(const char *in, size_t len, unsigned flags);
/* When (in, len) is canonical (as gh__path_is_canonical), cuts its segments
 * after the leading '/' into segs (a trailing slash gives a last empty one)
 * and returns their count, with *escaped telling whether a '%' stands in it;
 * 0 when it is not canonical; -1 when it has more than max segments. */
int gh__path_split_canonical(const char *in, size_t len, unsigned flags, gh__span *segs, size_t max, bool *escaped);
/* Percent-decodes n bytes of canonical text into out (n bytes always fit);
 * returns the decoded length. */
size_t gh__pct_decode(const char *in, size_t n, char *out);
/* Appends (v, n) with every byte but the unreserved ones percent-encoded
 * (upper-case hex): a value that must stay inside one path segment or query
 * parameter. */
void gh__pct_encode_component(gh__buf *b, const char *v, size_t n);
/* True when canonical text (canon, n) decodes to exactly (s, m). */
bool gh__pct_equal(const char *canon, size_t n, const char *s, size_t m);

#endif
