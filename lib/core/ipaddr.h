/* IP addresses and CIDR prefixes, v4 and v6 (v4 held as v4-mapped v6). */
#ifndef GH_IPADDR_H
#define GH_IPADDR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gh__ip {
  unsigned char b[16];
} gh__ip;

typedef struct gh__cidr {
  gh__ip net;
  unsigned bits; /* prefix length over the 128-bit form */
} gh__cidr;

/* Parses "192.0.2.1" or "2001:db8::1" (no zone, no brackets). */
bool gh__ip_parse(const char *s, size_t n, gh__ip *out);
/* Parses "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128).
 * Host bits beyond the prefix must be zero. */
bool gh__cidr_parse(const char *s, size_t n, gh__cidr *out);
bool gh__cidr_contains(const gh__cidr *c, const gh__ip *ip);

#endif
