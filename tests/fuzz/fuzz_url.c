/* Fuzzes url_split (examples/server/url.c), which takes apart every URL the
 * server connects to. What it accepts must be whole and consistent: a
 * non-empty host without characters that would end it, a port in range, a
 * path that starts with '/' or '?', nothing that a request line or Host
 * field cannot carry; and writing the parts back out must split the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size > 4096) return 0;
  char url[4097];
  memcpy(url, data, size);
  url[size] = 0;
  url_parts a;
  if (!url_split(url, &a)) return 0;
  if (!a.host[0] || strpbrk(a.host, "/?#@[] \r\n") || a.port < 1 || a.port > 65535) abort();
  if ((a.path[0] != '/' && a.path[0] != '?') || strpbrk(a.path, "# \r\n")) abort();
  if (a.authority_len < (int)strlen(a.host) || memchr(a.authority, '/', (size_t)a.authority_len)) abort();
  char again[4400];
  snprintf(again, sizeof again, strchr(a.host, ':') ? "%s://[%s]:%d%s" : "%s://%s:%d%s", a.https ? "https" : "http",
           a.host, a.port, a.path);
  url_parts b;
  if (!url_split(again, &b) || b.https != a.https || strcmp(b.host, a.host) || b.port != a.port ||
      strcmp(b.path, a.path)) {
    fprintf(stderr, "%s splits, but %s does not split the same\n", url, again);
    abort();
  }
  return 0;
}
