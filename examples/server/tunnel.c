/* WebSocket handshakes recognised and frames counted (tunnel.h); the bytes
 * themselves are relayed by client.c and proxy.c. */
#include "tunnel.h"

#include <string.h>
#include <strings.h>

/* The header's length once its first two bytes are known: 2, plus 2 or 8
 * for an extended payload length, plus 4 for a mask. */
static size_t header_len(const uint8_t *h) {
  size_t len7 = h[1] & 0x7f;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
}

static uint64_t payload_len(const uint8_t *h) {
  uint64_t len7 = h[1] & 0x7f, n = 0;
  if (len7 < 126) return len7;
  size_t bytes = len7 == 126 ? 2 : 8;
  for (size_t i = 0; i < bytes; i++) n = (n << 8) | h[2 + i];
  return n;
}

void ws_frames_feed(ws_frames *f, const uint8_t *p, size_t n) {
  while (n) {
    if (f->payload_left) {
      uint64_t skip = f->payload_left < n ? f->payload_left : n;
      f->payload_left -= skip;
      p += skip, n -= (size_t)skip;
      continue;
    }
    f->hdr[f->hdr_len++] = *p++, n--;
    if (f->hdr_len < 2 || f->hdr_len < header_len(f->hdr)) continue;
    f->frames++;
    f->payload_left = payload_len(f->hdr);
    f->hdr_len = 0;
  }
}

/* Whether a comma-separated field value lists the token (case-insensitive). */
static bool lists(const char *v, size_t len, const char *token) {
  size_t tlen = strlen(token), i = 0;
  while (i < len) {
    while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t start = i;
    while (i < len && v[i] != ',') i++;
    size_t end = i;
    while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t')) end--;
    if (end - start == tlen && !strncasecmp(v + start, token, tlen)) return true;
  }
  return false;
}

bool ws_upgrade_requested(const head *h) {
  size_t ulen = 0, clen = 0;
  const char *upgrade = head_find(h, "upgrade", &ulen), *connection = head_find(h, "connection", &clen);
  return upgrade && connection && lists(upgrade, ulen, "websocket") && lists(connection, clen, "upgrade");
}
