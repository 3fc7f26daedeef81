/* The access log's line for a completed decision. */
#ifndef GH_ACCESS_LOG_H
#define GH_ACCESS_LOG_H

#include "decision.h"

/* One JSON object and a line feed into out (emptied first): what was asked,
 * who asked, what was answered and how long it took; never a credential, a
 * path, a query or a header, which may carry secrets. */
void gh__access_log_line(const gh_decision *d, int status, int64_t gateway_ns, int64_t upstream_ms, uint64_t bytes_in,
                         uint64_t bytes_out, gh__buf *out);

#endif
