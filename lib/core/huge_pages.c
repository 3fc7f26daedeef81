/* Large tables that lookups touch at random: huge pages spare a TLB walk per
 * access (the kernel honours the advice in its "madvise" transparent-huge-page
 * mode). Advise before the first touch: pages already faulted stay small. */
#include <stdint.h>
#include <sys/mman.h>

#include "core.h"

void gh__prefer_huge_pages(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = ((uintptr_t)p + n) & ~(huge - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)p, (void)n;
#endif
}
