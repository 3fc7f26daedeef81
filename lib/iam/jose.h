/* Internal JOSE structures shared by the key set, JWS and JWT code. */
#ifndef GH_JOSE_H
#define GH_JOSE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../crypto/crypto.h"
#include "gatehouse/jwk.h"

typedef enum gh__kty { GH__KTY_OCT = 1, GH__KTY_RSA = 2, GH__KTY_EC = 3 } gh__kty;

/* The twelve JWS algorithms of RFC 7518 section 3 that gatehouse verifies. */
typedef struct gh__alg {
  const char *name;
  gh__kty kty;
  gh__sig_scheme scheme; /* unused for oct */
  gh__hash hash;
  gh__curve curve; /* EC only */
} gh__alg;

#define GH__ALG_COUNT 12
#define GH__ALG_ALL ((1u << GH__ALG_COUNT) - 1)
extern const gh__alg gh__algs[GH__ALG_COUNT];
/* Index into gh__algs, or -1. */
int gh__alg_find(const char *name, size_t len);
/* Adds alg to an allow-list mask; the first call replaces the default list
 * (*custom tracks that). GH_EUNSUPPORTED unless alg is in `permitted`. */
int gh__alg_allow(unsigned *mask, bool *custom, const char *alg, unsigned permitted);

typedef struct gh__jwk {
  gh__kty kty;
  int alg;           /* pinned algorithm index, or -1 */
  const char *kid;   /* NULL when absent */
  size_t kid_len;
  gh__pkey *pkey;    /* RSA, EC */
  unsigned char *secret; /* oct */
  size_t secret_len;
  gh__hmac_key *hmac; /* oct: precomputed for SHA-256/384/512 */
  bool ambiguous;     /* its kid is declared twice for one kty: never selected by kid */
} gh__jwk;

struct gh_jwks {
  atomic_size_t refs;
  gh__jwk *keys;
  size_t count, skipped;
  char *kids; /* storage of all kid strings */
};

/* Takes another reference. */
gh_jwks *gh__jwks_ref(gh_jwks *set);
/* True when the key may verify with algorithm index alg (kty, curve, pin, length). */
bool gh__jwk_fits(const gh__jwk *k, int alg);

#endif
