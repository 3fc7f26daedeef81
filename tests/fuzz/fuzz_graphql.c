/* Fuzzes the GraphQL guard's lexer: any input ends in a verdict, the
 * counts it reports stay within the limits it accepted under, and the
 * operation name is a NUL-terminated string within its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/graphql_guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* the first byte picks the operation name's length, taken from the input's end */
  size_t op_len = size ? data[0] % 8 : 0;
  if (op_len + 1 > size) op_len = 0;
  const char *text = size ? (const char *)data + 1 : "";
  size_t len = size ? size - 1 - op_len : 0;
  const gh__gql_limits lim = {6, 8, 8, 1 << 16};
  gh__gql_result r;
  int rc = gh__gql_check(text, len, text + len, op_len, &lim, &r);
  if (rc < GH__GQL_OK || rc > GH__GQL_NOT_ALLOWED || rc != r.refusal) abort();
  if (rc == GH__GQL_OK && (r.depth > lim.max_depth || r.aliases > lim.max_aliases ||
                           r.root_fields > lim.max_root_fields || !r.type))
    abort();
  if (memchr(r.operation, 0, sizeof r.operation) == NULL) abort();
  return 0;
}
