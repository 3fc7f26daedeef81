/* HMAC over the backend's hash, with the padded key absorbed once per key:
 * a verification then costs two hash finalisations and no allocation. */
#include <string.h>

#include "../core/core.h"
#include "crypto.h"

void gh__hmac_key_init(gh__hmac_key *k, gh__hash h, const unsigned char *key, size_t len) {
  unsigned char block[128] = {0}, pad[128];
  size_t bl = gh__hash_block_len(h);
  if (len > bl) {
    gh__hash_digest(h, key, len, block);
  } else if (len) {
    memcpy(block, key, len);
  }
  for (size_t i = 0; i < bl; i++) pad[i] = block[i] ^ 0x36;
  gh__hash_init(&k->inner, h);
  gh__hash_update(&k->inner, pad, bl);
  for (size_t i = 0; i < bl; i++) pad[i] = block[i] ^ 0x5c;
  gh__hash_init(&k->outer, h);
  gh__hash_update(&k->outer, pad, bl);
  gh__wipe(block, sizeof block);
  gh__wipe(pad, sizeof pad);
}

void gh__hmac_compute(const gh__hmac_key *k, const void *msg, size_t n, unsigned char *out) {
  gh__hash_ctx c = k->inner;
  unsigned char inner[GH__HASH_MAX];
  gh__hash_update(&c, msg, n);
  gh__hash_final(&c, inner);
  c = k->outer;
  gh__hash_update(&c, inner, gh__hash_len(k->inner.alg));
  gh__hash_final(&c, out);
  gh__wipe(&c, sizeof c);
}

void gh__hmac_key_wipe(gh__hmac_key *k) { gh__wipe(k, sizeof *k); }
