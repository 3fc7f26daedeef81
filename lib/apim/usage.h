/* Usage for billing: per consumer, plan and API version, the requests made
 * (forwarded and refused), the quota units consumed and the bytes both ways.
 * Recording takes no lock (label_table.h); reading sums or writes JSON lines. */
#ifndef GH_USAGE_H
#define GH_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* Sums of usage entries (the gateway copies them into the public gh_usage). */
typedef struct gh__usage_totals {
  uint64_t requests, forwarded, denied, quota_units, bytes_in, bytes_out;
} gh__usage_totals;

typedef struct gh__usage gh__usage;

gh__usage *gh__usage_new(size_t max_entries);
void gh__usage_free(gh__usage *u);
/* One completed request of a consumer. */
void gh__usage_record(gh__usage *u, const char *consumer, const char *plan, const char *api, const char *version,
                      bool forwarded, uint64_t quota_units, uint64_t bytes_in, uint64_t bytes_out);
/* The sums over the entries matching the names given (NULL: any). */
void gh__usage_sum(const gh__usage *u, const char *consumer, const char *api, const char *version,
                   gh__usage_totals *out);
/* One JSON object per entry and line, appended to out. */
void gh__usage_write(const gh__usage *u, gh__buf *out);

#endif
