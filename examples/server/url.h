/* The URLs the server connects to (upstream targets, identity providers'
 * documents and endpoints) taken apart: http or https, a host name or an
 * address (IPv6 in brackets, RFC 3986 §3.2.2), a port, and the path with
 * its query. Pure: the fuzzer checks it (tests/fuzz/fuzz_url.c). */
#ifndef GH_SERVER_URL_H
#define GH_SERVER_URL_H

#include <stdbool.h>

typedef struct url_parts {
  bool https;
  char host[256]; /* without brackets */
  int port;       /* 1-65535; 80 or 443 when the URL gives none */
  const char *path; /* into the URL: "/..." or "?...", or "/" when it has neither */
  const char *authority; /* into the URL: "host[:port]" as written, authority_len bytes */
  int authority_len;
} url_parts;

/* "http[s]://host[:port][/path][?query]"; false for anything else: another
 * scheme, user information, a fragment, a bad port, spaces or control characters. */
bool url_split(const char *url, url_parts *out);

#endif
