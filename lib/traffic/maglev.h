/* Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4): the
 * lookup table, the same in every process for the same target names. */
#ifndef GH_MAGLEV_H
#define GH_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

/* Fills a table of m entries (m prime) with target indexes, each target's
 * share in proportion to its weight (1 or more); *out is freed with gh__free.
 * GH_OK or GH_ENOMEM. */
int gh__maglev_build(const char *const *names, const unsigned *weights, size_t n, uint32_t m, uint32_t **out);

#endif
