/* URLs taken apart (url.h). */
#include "url.h"

#include <string.h>

static bool clean(const char *s) { /* no space, no control character (a header or request line cannot carry them) */
  for (; *s; s++)
    if ((unsigned char)*s <= ' ' || *s == 0x7f) return false;
  return true;
}

bool url_split(const char *url, url_parts *out) {
  const char *rest;
  if (!strncmp(url, "https://", 8)) out->https = true, rest = url + 8;
  else if (!strncmp(url, "http://", 7)) out->https = false, rest = url + 7;
  else return false;
  if (!clean(rest) || strchr(rest, '#')) return false;
  size_t authority = strcspn(rest, "/?");
  const char *end = rest + authority, *after_host;
  if (memchr(rest, '@', authority)) return false; /* user information: never sent, never meant */
  if (*rest == '[') {
    const char *close = memchr(rest, ']', authority);
    if (!close || close == rest + 1) return false;
    size_t n = (size_t)(close - rest - 1);
    if (n >= sizeof out->host || strspn(rest + 1, "0123456789abcdefABCDEF:.") < n) return false;
    memcpy(out->host, rest + 1, n);
    out->host[n] = 0;
    after_host = close + 1;
  } else {
    size_t n = strcspn(rest, ":/?");
    if (n > authority) n = authority;
    if (!n || n >= sizeof out->host || memchr(rest, '[', n) || memchr(rest, ']', n)) return false;
    memcpy(out->host, rest, n);
    out->host[n] = 0;
    after_host = rest + n;
  }
  out->port = out->https ? 443 : 80;
  if (after_host < end) {
    if (*after_host != ':' || after_host + 1 == end) return false;
    long port = 0;
    for (const char *p = after_host + 1; p < end; p++) {
      if (*p < '0' || *p > '9' || (port = port * 10 + (*p - '0')) > 65535) return false;
    }
    if (port < 1) return false;
    out->port = (int)port;
  }
  out->path = *end ? end : "/";
  out->authority = rest;
  out->authority_len = (int)authority;
  return true;
}
