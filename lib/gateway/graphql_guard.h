/* The GraphQL guard (graphql_guard.c): limits checked on a GraphQL document
 * at the lexer level, before the request is forwarded. */
#ifndef GH_GRAPHQL_GUARD_H
#define GH_GRAPHQL_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define GH__GQL_MAX_FRAGMENTS 64
#define GH__GQL_MAX_SPREADS 256
#define GH__GQL_MAX_NESTING 256 /* braces open at once, inline fragments included */

typedef struct gh__gql_limits {
  unsigned max_depth;       /* selection sets nested, through fragment spreads */
  unsigned max_aliases;     /* aliases in the document */
  unsigned max_root_fields; /* fields written directly in the operations' selection sets */
  size_t max_bytes;         /* the document's size */
} gh__gql_limits;

#define GH__GQL_OK 0
#define GH__GQL_TOO_LARGE 1
#define GH__GQL_MALFORMED 2
#define GH__GQL_TOO_DEEP 3
#define GH__GQL_TOO_MANY_ALIASES 4
#define GH__GQL_TOO_MANY_ROOT_FIELDS 5
#define GH__GQL_TOO_COMPLEX 6
#define GH__GQL_NO_OPERATION 7
#define GH__GQL_NOT_ALLOWED 8

typedef struct gh__gql_result {
  int refusal;          /* GH__GQL_* */
  const char *type;     /* "query", "mutation", "subscription" (static), or NULL */
  char operation[128];  /* the operation's name, "" when anonymous */
  unsigned depth, aliases, root_fields;
} gh__gql_result;

/* Checks a document (text, len) whose operation to run is op_name (may be
 * empty: then the document must hold one operation). Returns GH__GQL_OK or
 * the refusal, also in r->refusal. Thread-safe. */
int gh__gql_check(const char *text, size_t len, const char *op_name, size_t op_len, const gh__gql_limits *lim,
                  gh__gql_result *r);
/* Why, for people. */
const char *gh__gql_refusal_text(int why);

#endif
