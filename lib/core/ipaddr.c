#include "ipaddr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool gh__ip_parse(const char *s, size_t n, gh__ip *out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  unsigned char v4[4];
  if (inet_pton(AF_INET, buf, v4) == 1) {
    memcpy(out->b, V4_MAPPED, 12);
    memcpy(out->b + 12, v4, 4);
    return true;
  }
  return inet_pton(AF_INET6, buf, out->b) == 1;
}

bool gh__cidr_parse(const char *s, size_t n, gh__cidr *out) {
  const char *slash = memchr(s, '/', n);
  size_t addr_len = slash ? (size_t)(slash - s) : n;
  if (!gh__ip_parse(s, addr_len, &out->net)) return false;
  bool v4 = memchr(s, ':', addr_len) == NULL;
  unsigned max = v4 ? 32 : 128, bits = max;
  if (slash) {
    size_t digits = n - addr_len - 1;
    if (digits == 0 || digits > 3) return false;
    bits = 0;
    for (size_t i = 0; i < digits; i++) {
      char c = slash[1 + i];
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + (unsigned)(c - '0');
    }
    if (bits > max) return false;
  }
  out->bits = v4 ? bits + 96 : bits;
  /* host bits must be zero: "10.0.0.1/8" is a typo, not a network */
  for (unsigned i = out->bits; i < 128; i++)
    if (out->net.b[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

bool gh__cidr_contains(const gh__cidr *c, const gh__ip *ip) {
  unsigned full = c->bits / 8, rest = c->bits % 8;
  if (memcmp(c->net.b, ip->b, full) != 0) return false;
  if (!rest) return true;
  unsigned char mask = (unsigned char)(0xFF << (8 - rest));
  return (c->net.b[full] & mask) == (ip->b[full] & mask);
}
