/* The signing key object, shared by signing (jwt_sign.c) and key export
 * (signing_key_export.c). */
#ifndef GH_SIGNING_KEY_H
#define GH_SIGNING_KEY_H

#include "../crypto/crypto.h"

struct gh_signing_key {
  gh__pkey *pkey;        /* RSA or EC */
  unsigned char *secret; /* HMAC */
  size_t secret_len;
};

/* "RSA", "EC P-256", "EC P-384", "EC P-521" (gh_signing_key_kind's words), or "unknown". */
const char *gh__pkey_kind(const gh__pkey *k);

#endif
