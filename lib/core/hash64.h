/* Fast 64-bit hash for in-memory tables (not cryptographic; seeded so table
 * placement is not predictable across processes). */
#ifndef GH_HASH64_H
#define GH_HASH64_H

#include <stddef.h>
#include <stdint.h>

uint64_t gh__hash64(const void *p, size_t n, uint64_t seed);
/* A per-process random seed (from the clock and addresses when no better source). */
uint64_t gh__hash_seed(void);

#endif
