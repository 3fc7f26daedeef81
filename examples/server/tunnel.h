/* WebSocket tunnels (RFC 6455): an Upgrade request is decided like any
 * other (authentication, policy, limits), its handshake goes to the
 * upstream, and once the upstream answers 101 both connections become one
 * byte tunnel. The frames passing each way are counted as they go, without
 * holding any. */
#ifndef GH_SERVER_TUNNEL_H
#define GH_SERVER_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "head.h"

/* A frame counter for one direction: fed the bytes as they pass (RFC 6455 §5.2). */
typedef struct ws_frames {
  uint64_t frames;       /* frame headers seen whole */
  uint64_t payload_left; /* of the current frame */
  uint8_t hdr[14];       /* a frame header split across reads */
  size_t hdr_len;
} ws_frames;

void ws_frames_feed(ws_frames *f, const uint8_t *p, size_t n);

/* The request asks for a WebSocket (RFC 6455 §4.1): an Upgrade field naming
 * "websocket" and a Connection field naming "upgrade". */
bool ws_upgrade_requested(const head *h);

#endif
