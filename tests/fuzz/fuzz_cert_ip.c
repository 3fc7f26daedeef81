/* Fuzzes tls_cert_names_ip (examples/server/tls.c): the certificate
 * extensions' DER, as a peer sends them, walked for an iPAddress name. The
 * first byte chooses the address's length (4 or 16); the walk must stay
 * within the bytes, and an address it finds must be in them. */
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size < 17) return 0;
  size_t ip_len = data[0] & 1 ? 16 : 4;
  const unsigned char *ip = data + 1;
  unsigned char *ext = malloc(size - 17); /* its own allocation: ASan sees a read past its end */
  if (!ext && size > 17) return 0;
  memcpy(ext, data + 17, size - 17);
  mbedtls_x509_crt crt;
  memset(&crt, 0, sizeof crt);
  crt.v3_ext.p = size > 17 ? ext : NULL;
  crt.v3_ext.len = size - 17;
  if (tls_cert_names_ip(&crt, ip, ip_len)) {
    int found = 0;
    for (size_t i = 0; i + ip_len <= size - 17 && !found; i++) found = !memcmp(ext + i, ip, ip_len);
    if (!found) abort();
  }
  free(ext);
  return 0;
}
