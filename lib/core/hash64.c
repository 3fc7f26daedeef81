/* A multiply-fold hash over 8-byte words (in the style of wyhash): a few
 * cycles per word, good avalanche, enough for hash tables keyed by tokens. */
#include "hash64.h"

#include <string.h>
#include <sys/random.h>

#include "core.h"

static uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t read64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static uint64_t read32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

uint64_t gh__hash64(const void *data, size_t n, uint64_t seed) {
  static const uint64_t K0 = 0xa0761d6478bd642full, K1 = 0xe7037ed1a0b428dbull, K2 = 0x8ebc6af09c88c6e3ull;
  const unsigned char *p = data;
  uint64_t h = seed ^ mix(seed ^ K0, K1 ^ n);
  while (n >= 16) {
    h = mix(read64(p) ^ K1, read64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = read64(p);
    p += 8;
    n -= 8;
  }
  /* the last 0-7 bytes without a loop: two overlapping 4-byte reads, or
   * first, middle and last byte (every byte is read; n is mixed in above) */
  if (n >= 4) b = (uint64_t)read32(p) << 32 | read32(p + n - 4);
  else if (n) b = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
  return mix(h ^ K2, mix(a ^ K1, b ^ h));
}

uint64_t gh__hash_seed(void) {
  uint64_t s = 0;
  if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) s = (uint64_t)gh_now_ms() ^ (uint64_t)(uintptr_t)&s;
  return s | 1;
}
