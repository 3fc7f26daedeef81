/* Backend-neutral parts of the provider interface. */
#include "crypto.h"
#include "gatehouse/version.h"

size_t gh__hash_len(gh__hash h) { return h == GH__SHA256 ? 32 : h == GH__SHA384 ? 48 : 64; }
size_t gh__hash_block_len(gh__hash h) { return h == GH__SHA256 ? 64 : 128; }
size_t gh__curve_len(gh__curve c) { return c == GH__P256 ? 32 : c == GH__P384 ? 48 : 66; }

void gh__hash_digest(gh__hash h, const void *p, size_t n, unsigned char *out) {
  gh__hash_ctx c;
  gh__hash_init(&c, h);
  gh__hash_update(&c, p, n);
  gh__hash_final(&c, out);
}

const char *gh_crypto_backend(void) { return gh__crypto_name(); }
