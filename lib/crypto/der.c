#include "der.h"

#include <string.h>

#include "gatehouse/error.h"

static size_t put_integer(const unsigned char *v, size_t n, unsigned char *out) {
  while (n && *v == 0) v++, n--;
  if (!n) return 0;
  size_t pad = (*v & 0x80) ? 1 : 0;
  out[0] = 0x02;
  out[1] = (unsigned char)(n + pad);
  out[2] = 0;
  memcpy(out + 2 + pad, v, n);
  return 2 + pad + n;
}

size_t gh__der_ecdsa_from_raw(const unsigned char *raw, size_t half, unsigned char *out) {
  unsigned char body[GH__DER_ECDSA_MAX];
  size_t r = put_integer(raw, half, body);
  if (!r) return 0;
  size_t s = put_integer(raw + half, half, body + r);
  if (!s) return 0;
  size_t n = r + s, h = 0;
  out[h++] = 0x30;
  if (n >= 0x80) out[h++] = 0x81;
  out[h++] = (unsigned char)n;
  memcpy(out + h, body, n);
  return h + n;
}

static int get_integer(const unsigned char **p, const unsigned char *end, size_t half, unsigned char *out) {
  if (end - *p < 2 || (*p)[0] != 0x02) return GH_EPARSE;
  size_t n = (*p)[1];
  const unsigned char *v = *p + 2;
  if (n == 0 || n > (size_t)(end - v)) return GH_EPARSE;
  *p = v + n;
  while (n > 1 && *v == 0) v++, n--;
  if (n > half) return GH_EPARSE;
  memset(out, 0, half - n);
  memcpy(out + half - n, v, n);
  return GH_OK;
}

int gh__der_ecdsa_to_raw(const unsigned char *der, size_t len, size_t half, unsigned char *raw) {
  const unsigned char *p = der, *end = der + len;
  if (len < 2 || p[0] != 0x30) return GH_EPARSE;
  size_t n = p[1];
  p += 2;
  if (n == 0x81) {
    if (p >= end) return GH_EPARSE;
    n = *p++;
  }
  if (n != (size_t)(end - p)) return GH_EPARSE;
  if (get_integer(&p, end, half, raw) || get_integer(&p, end, half, raw + half) || p != end) return GH_EPARSE;
  return GH_OK;
}
