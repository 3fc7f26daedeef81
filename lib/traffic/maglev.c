#include "maglev.h"

#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"

/* Fixed seeds: every gateway builds the same table from the same names. */
#define OFFSET_SEED 0x6f66667365747321ull
#define SKIP_SEED 0x736b697073656564ull

int gh__maglev_build(const char *const *names, const unsigned *weights, size_t n, uint32_t m, uint32_t **out) {
  uint32_t *table = gh__malloc((size_t)m * sizeof *table);
  uint64_t *offset = gh__malloc(n * sizeof *offset), *skip = gh__malloc(n * sizeof *skip), *next = gh__calloc(n, sizeof *next);
  uint64_t *due = gh__calloc(n, sizeof *due);
  if (!table || !offset || !skip || !next || !due) {
    gh__free(table), gh__free(offset), gh__free(skip), gh__free(next), gh__free(due);
    return GH_ENOMEM;
  }
  unsigned heaviest = 1;
  for (size_t i = 0; i < n; i++)
    if (weights[i] > heaviest) heaviest = weights[i];
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(names[i]);
    offset[i] = gh__hash64(names[i], len, OFFSET_SEED) % m;
    skip[i] = gh__hash64(names[i], len, SKIP_SEED) % (m - 1) + 1;
  }
  memset(table, 0xff, (size_t)m * sizeof *table);
  /* each target in turn takes the next free slot of its permutation
   * (offset + j * skip) mod m, until the table is full; by weight, a target
   * takes its turn in round r once r * weight reaches the turns it has
   * taken times the heaviest weight (the heaviest every round, one of half
   * its weight every other round), so entries are shared by weight */
  for (uint64_t round = 1, filled = 0; filled < m; round++) {
    for (size_t i = 0; i < n && filled < m; i++) {
      if (round * weights[i] < due[i]) continue;
      due[i] += heaviest;
      uint64_t c = (offset[i] + next[i] * skip[i]) % m;
      while (table[c] != UINT32_MAX) c = (offset[i] + ++next[i] * skip[i]) % m;
      table[c] = (uint32_t)i;
      next[i]++;
      filled++;
    }
  }
  gh__free(offset), gh__free(skip), gh__free(next), gh__free(due);
  *out = table;
  return GH_OK;
}
