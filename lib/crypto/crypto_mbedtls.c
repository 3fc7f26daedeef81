/* mbedTLS 2.28 backend (Debian's). Keys live in mbedtls_pk_context.
 * mbedTLS caches precomputed values inside a key on its first use (the RSA
 * Montgomery constant, the EC generator's comb table) without a lock for the
 * latter, so each public key is exercised once when created: afterwards
 * verification only reads it and may run on many threads. */
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <string.h>

#include "../core/core.h"
#include "crypto.h"

_Static_assert(sizeof(mbedtls_sha512_context) <= sizeof(((gh__hash_ctx *)0)->state), "hash state too small");
_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(((gh__hash_ctx *)0)->state), "hash state too small");

struct gh__pkey {
  mbedtls_pk_context pk;
  size_t rsa_bits;
  int curve;
};

const char *gh__crypto_name(void) { return "mbedtls"; }

void gh__hash_init(gh__hash_ctx *c, gh__hash h) {
  c->alg = h;
  if (h == GH__SHA256) {
    mbedtls_sha256_init((mbedtls_sha256_context *)c->state);
    mbedtls_sha256_starts_ret((mbedtls_sha256_context *)c->state, 0);
  } else {
    mbedtls_sha512_init((mbedtls_sha512_context *)c->state);
    mbedtls_sha512_starts_ret((mbedtls_sha512_context *)c->state, h == GH__SHA384);
  }
}

void gh__hash_update(gh__hash_ctx *c, const void *p, size_t n) {
  if (c->alg == GH__SHA256) mbedtls_sha256_update_ret((mbedtls_sha256_context *)c->state, p, n);
  else mbedtls_sha512_update_ret((mbedtls_sha512_context *)c->state, p, n);
}

void gh__hash_final(gh__hash_ctx *c, unsigned char *out) {
  if (c->alg == GH__SHA256) mbedtls_sha256_finish_ret((mbedtls_sha256_context *)c->state, out);
  else mbedtls_sha512_finish_ret((mbedtls_sha512_context *)c->state, out);
}

static mbedtls_md_type_t md_type(gh__hash h) {
  return h == GH__SHA256 ? MBEDTLS_MD_SHA256 : h == GH__SHA384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA512;
}

static mbedtls_ecp_group_id group_id(gh__curve c) {
  return c == GH__P256 ? MBEDTLS_ECP_DP_SECP256R1 : c == GH__P384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP521R1;
}

static int alloc_key(gh__pkey **out, mbedtls_pk_type_t type) {
  gh__pkey *k = gh__calloc(1, sizeof *k);
  if (!k) return GH_ENOMEM;
  mbedtls_pk_init(&k->pk);
  if (mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(type)) != 0) {
    gh__free(k);
    return GH_ENOMEM;
  }
  *out = k;
  return GH_OK;
}

int gh__pkey_rsa_new(gh__pkey **out, const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len) {
  gh__pkey *k;
  *out = NULL;
  int rc = alloc_key(&k, MBEDTLS_PK_RSA);
  if (rc) return rc;
  mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
  rc = GH_EKEY;
  if (mbedtls_rsa_import_raw(rsa, n, n_len, NULL, 0, NULL, 0, NULL, 0, e, e_len) == 0 &&
      mbedtls_rsa_complete(rsa) == 0 && mbedtls_rsa_check_pubkey(rsa) == 0) {
    k->rsa_bits = mbedtls_mpi_bitlen(&rsa->N);
    /* Warm-up: computes and caches RN while the key is still private to us. */
    unsigned char one[1024] = {0}, tmp[1024];
    size_t len = mbedtls_rsa_get_len(rsa);
    if (len <= sizeof one) {
      one[len - 1] = 1;
      rc = mbedtls_rsa_public(rsa, one, tmp) == 0 ? GH_OK : GH_EKEY;
    }
  }
  if (rc) gh__pkey_free(k);
  else *out = k;
  return rc;
}

/* A throwaway verification that makes mbedTLS build and cache the group's
 * comb table for the generator. The digest must not be zero: a zero u1 = e/s
 * takes a shortcut that skips the table, which then gets built by the first
 * real verifications, racing on several threads (one table leaks). */
static void warm_up_ec(mbedtls_ecp_keypair *ec) {
  mbedtls_mpi r, s;
  unsigned char digest[64];
  memset(digest, 0x5a, sizeof digest);
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  if (mbedtls_mpi_lset(&r, 1) == 0 && mbedtls_mpi_lset(&s, 1) == 0)
    (void)mbedtls_ecdsa_verify(&ec->grp, digest, sizeof digest, &ec->Q, &r, &s);
  mbedtls_mpi_free(&r);
  mbedtls_mpi_free(&s);
}

int gh__pkey_ec_new(gh__pkey **out, gh__curve curve, const unsigned char *x, const unsigned char *y) {
  gh__pkey *k;
  *out = NULL;
  int rc = alloc_key(&k, MBEDTLS_PK_ECKEY);
  if (rc) return rc;
  mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
  size_t cl = gh__curve_len(curve);
  unsigned char pub[1 + 2 * 66];
  pub[0] = 0x04;
  memcpy(pub + 1, x, cl);
  memcpy(pub + 1 + cl, y, cl);
  rc = GH_EKEY;
  if (mbedtls_ecp_group_load(&ec->grp, group_id(curve)) == 0 &&
      mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, pub, 1 + 2 * cl) == 0 &&
      mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) == 0) {
    k->curve = curve;
    warm_up_ec(ec);
    rc = GH_OK;
  }
  if (rc) gh__pkey_free(k);
  else *out = k;
  return rc;
}

/* A private key in PEM (NUL-terminated, the NUL counted) or DER; or, when
 * public, a public key in PEM (the same way) or DER. */
static int load(gh__pkey **out, const unsigned char *buf, size_t len, bool public) {
  *out = NULL;
  gh__pkey *k = gh__calloc(1, sizeof *k);
  if (!k) return GH_ENOMEM;
  mbedtls_pk_init(&k->pk);
  int rc = (public ? mbedtls_pk_parse_public_key(&k->pk, buf, len) : mbedtls_pk_parse_key(&k->pk, buf, len, NULL, 0)) == 0
               ? GH_OK
               : GH_EKEY;
  if (!rc) {
    if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA) {
      k->rsa_bits = mbedtls_pk_get_bitlen(&k->pk);
    } else if (mbedtls_pk_can_do(&k->pk, MBEDTLS_PK_ECDSA)) {
      mbedtls_ecp_group_id id = mbedtls_pk_ec(k->pk)->grp.id;
      k->curve = id == MBEDTLS_ECP_DP_SECP256R1   ? GH__P256
                 : id == MBEDTLS_ECP_DP_SECP384R1 ? GH__P384
                 : id == MBEDTLS_ECP_DP_SECP521R1 ? GH__P521
                                                  : 0;
    }
    if (!k->rsa_bits && !k->curve) rc = GH_EUNSUPPORTED;
  }
  if (rc) gh__pkey_free(k);
  else *out = k;
  return rc;
}

static int load_pem(gh__pkey **out, const char *pem, size_t len, bool public) {
  /* mbedTLS wants PEM NUL-terminated and the NUL counted. */
  char *copy = gh__strndup(pem, len);
  if (!copy) {
    *out = NULL;
    return GH_ENOMEM;
  }
  int rc = load(out, (const unsigned char *)copy, len + 1, public);
  gh__free_secret(copy, len);
  return rc;
}

int gh__pkey_private_pem(gh__pkey **out, const char *pem, size_t len) { return load_pem(out, pem, len, false); }
int gh__pkey_public_pem(gh__pkey **out, const char *pem, size_t len) { return load_pem(out, pem, len, true); }
int gh__pkey_private_der(gh__pkey **out, const unsigned char *der, size_t len) { return load(out, der, len, false); }

void gh__pkey_free(gh__pkey *k) {
  if (!k) return;
  mbedtls_pk_free(&k->pk);
  gh__free(k);
}

size_t gh__pkey_rsa_bits(const gh__pkey *k) { return k->rsa_bits; }
int gh__pkey_ec_curve(const gh__pkey *k) { return k->curve; }

int gh__pkey_verify(const gh__pkey *k, gh__sig_scheme s, gh__hash h, const unsigned char *digest,
                    const unsigned char *sig, size_t sig_len) {
  size_t hl = gh__hash_len(h);
  if (s == GH__SIG_ECDSA) {
    size_t cl = k->curve ? gh__curve_len((gh__curve)k->curve) : 0;
    if (!cl || sig_len != 2 * cl) return GH_EDENIED;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
    mbedtls_mpi r, sv;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&sv);
    int rc = GH_ENOMEM;
    if (mbedtls_mpi_read_binary(&r, sig, cl) == 0 && mbedtls_mpi_read_binary(&sv, sig + cl, cl) == 0)
      /* The group is only read here: its cache was filled at creation. */
      rc = mbedtls_ecdsa_verify((mbedtls_ecp_group *)&ec->grp, digest, hl, &ec->Q, &r, &sv) == 0 ? GH_OK : GH_EDENIED;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&sv);
    return rc;
  }
  if (!k->rsa_bits) return GH_EDENIED;
  mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
  /* mbedTLS reads exactly the modulus length from sig: check it first. */
  if (sig_len != mbedtls_rsa_get_len(rsa)) return GH_EDENIED;
  int v;
  if (s == GH__SIG_PKCS1)
    v = mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md_type(h), (unsigned)hl, digest, sig);
  else
    v = mbedtls_rsa_rsassa_pss_verify_ext(rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md_type(h), (unsigned)hl, digest,
                                          md_type(h), (int)hl, sig);
  return v == 0 ? GH_OK : GH_EDENIED;
}

typedef struct rng {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
} rng;

/* A freshly seeded generator (heap: the contexts are large): GH_OK, GH_ENOMEM or GH_ECRYPTO. */
static int rng_open(rng **out) {
  rng *g = *out = gh__malloc(sizeof *g);
  if (!g) return GH_ENOMEM;
  mbedtls_entropy_init(&g->entropy);
  mbedtls_ctr_drbg_init(&g->drbg);
  if (mbedtls_ctr_drbg_seed(&g->drbg, mbedtls_entropy_func, &g->entropy, (const unsigned char *)"gatehouse", 9) == 0)
    return GH_OK;
  mbedtls_ctr_drbg_free(&g->drbg);
  mbedtls_entropy_free(&g->entropy);
  gh__free(g);
  *out = NULL;
  return GH_ECRYPTO;
}

static void rng_close(rng *g) {
  if (!g) return;
  mbedtls_ctr_drbg_free(&g->drbg);
  mbedtls_entropy_free(&g->entropy);
  gh__free(g);
}

int gh__random(unsigned char *buf, size_t len) {
  rng *g;
  int rc = rng_open(&g);
  for (size_t off = 0; off < len && !rc; off += MBEDTLS_CTR_DRBG_MAX_REQUEST) {
    size_t n = len - off < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len - off : MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (mbedtls_ctr_drbg_random(&g->drbg, buf + off, n)) rc = GH_ECRYPTO;
  }
  rng_close(g);
  return rc;
}

int gh__pkey_generate(gh__pkey **out, size_t rsa_bits, gh__curve curve) {
  *out = NULL;
  gh__pkey *k;
  int rc = alloc_key(&k, rsa_bits ? MBEDTLS_PK_RSA : MBEDTLS_PK_ECKEY);
  if (rc) return rc;
  rng *g;
  if ((rc = rng_open(&g))) {
    gh__pkey_free(k);
    return rc;
  }
  rc = GH_ECRYPTO;
  if (rsa_bits) {
    if (mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), mbedtls_ctr_drbg_random, &g->drbg, (unsigned)rsa_bits, 65537) == 0) {
      k->rsa_bits = rsa_bits;
      rc = GH_OK;
    }
  } else if (mbedtls_ecp_gen_key(group_id(curve), mbedtls_pk_ec(k->pk), mbedtls_ctr_drbg_random, &g->drbg) == 0) {
    k->curve = curve;
    rc = GH_OK;
  }
  rng_close(g);
  if (rc) gh__pkey_free(k);
  else *out = k;
  return rc;
}

int gh__pkey_sign(const gh__pkey *k, gh__sig_scheme s, gh__hash h, const unsigned char *digest, unsigned char *sig,
                  size_t *sig_len) {
  if ((s == GH__SIG_ECDSA) != (k->curve != 0)) return GH_EKEY;
  rng *g;
  int rc = rng_open(&g);
  if (rc) return rc;
  rc = GH_ECRYPTO;
  size_t hl = gh__hash_len(h);
  if (s == GH__SIG_ECDSA) {
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
    size_t cl = gh__curve_len((gh__curve)k->curve);
    mbedtls_mpi r, sv;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&sv);
    if (*sig_len < 2 * cl) rc = GH_EBUFFER;
    else if (mbedtls_ecdsa_sign(&ec->grp, &r, &sv, &ec->d, digest, hl, mbedtls_ctr_drbg_random, &g->drbg) == 0 &&
             mbedtls_mpi_write_binary(&r, sig, cl) == 0 && mbedtls_mpi_write_binary(&sv, sig + cl, cl) == 0) {
      *sig_len = 2 * cl;
      rc = GH_OK;
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&sv);
  } else {
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
    size_t len = mbedtls_rsa_get_len(rsa);
    if (*sig_len < len) {
      rc = GH_EBUFFER;
      goto done;
    }
    int v;
    if (s == GH__SIG_PKCS1) {
      mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
      v = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, mbedtls_ctr_drbg_random, &g->drbg, MBEDTLS_RSA_PRIVATE, md_type(h),
                                            (unsigned)hl, digest, sig);
    } else {
      mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md_type(h));
      v = mbedtls_rsa_rsassa_pss_sign(rsa, mbedtls_ctr_drbg_random, &g->drbg, MBEDTLS_RSA_PRIVATE, md_type(h),
                                      (unsigned)hl, digest, sig);
    }
    if (v == 0) {
      *sig_len = len;
      rc = GH_OK;
    }
  }
done:
  rng_close(g);
  return rc;
}

static int mpi_out(const mbedtls_mpi *m, unsigned char **out, size_t *len) {
  *len = mbedtls_mpi_size(m);
  *out = gh__malloc(*len);
  if (!*out) return GH_ENOMEM;
  return mbedtls_mpi_write_binary(m, *out, *len) == 0 ? GH_OK : GH_ECRYPTO;
}

int gh__pkey_public_parts(const gh__pkey *k, unsigned char **a, size_t *a_len, unsigned char **b, size_t *b_len) {
  *a = *b = NULL;
  int rc;
  if (k->rsa_bits) {
    const mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
    rc = mpi_out(&rsa->N, a, a_len);
    if (!rc) rc = mpi_out(&rsa->E, b, b_len);
  } else {
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
    size_t cl = gh__curve_len((gh__curve)k->curve);
    *a = gh__malloc(cl);
    *b = gh__malloc(cl);
    rc = *a && *b ? GH_OK : GH_ENOMEM;
    if (!rc && (mbedtls_mpi_write_binary(&ec->Q.X, *a, cl) || mbedtls_mpi_write_binary(&ec->Q.Y, *b, cl)))
      rc = GH_ECRYPTO;
    *a_len = *b_len = cl;
  }
  if (rc) {
    gh__free(*a);
    gh__free(*b);
    *a = *b = NULL;
  }
  return rc;
}

/* A big number written big-endian into exactly len bytes (0: its own size). */
static int mpi_part(const mbedtls_mpi *m, size_t len, unsigned char **out, size_t *out_len) {
  *out_len = len ? len : mbedtls_mpi_size(m);
  if (!(*out = gh__malloc(*out_len ? *out_len : 1))) return GH_ENOMEM;
  return mbedtls_mpi_write_binary(m, *out, *out_len) == 0 ? GH_OK : GH_EKEY;
}

int gh__pkey_private_parts(const gh__pkey *k, unsigned char **parts, size_t *lens, size_t *count) {
  *count = 0;
  if (!mbedtls_pk_can_do(&k->pk, MBEDTLS_PK_RSA) && !mbedtls_pk_can_do(&k->pk, MBEDTLS_PK_ECKEY)) return GH_EKEY;
  mbedtls_mpi m[GH__PRIVATE_PARTS_MAX];
  size_t n = k->rsa_bits ? 6 : 1;
  for (size_t i = 0; i < n; i++) mbedtls_mpi_init(&m[i]);
  int rc = GH_EKEY;
  if (k->rsa_bits) {
    const mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
    if (mbedtls_rsa_check_privkey(rsa) == 0 && mbedtls_rsa_export(rsa, NULL, &m[1], &m[2], &m[0], NULL) == 0 &&
        mbedtls_rsa_export_crt(rsa, &m[3], &m[4], &m[5]) == 0)
      rc = GH_OK;
  } else if (mbedtls_mpi_cmp_int(&mbedtls_pk_ec(k->pk)->d, 0) != 0) {
    rc = mbedtls_mpi_copy(&m[0], &mbedtls_pk_ec(k->pk)->d) == 0 ? GH_OK : GH_ENOMEM;
  }
  for (size_t i = 0; i < n && !rc; i++) {
    rc = mpi_part(&m[i], k->curve ? gh__curve_len((gh__curve)k->curve) : 0, &parts[i], &lens[i]);
    if (!rc || parts[i]) (*count)++;
  }
  for (size_t i = 0; i < n; i++) mbedtls_mpi_free(&m[i]);
  if (rc) {
    for (size_t i = 0; i < *count; i++) gh__free_secret(parts[i], lens[i]);
    *count = 0;
  }
  return rc;
}

int gh__pkey_pem(const gh__pkey *k, bool private_key, char **out, size_t *len) {
  size_t cap = 16384;
  unsigned char *buf = gh__malloc(cap);
  if (!buf) return GH_ENOMEM;
  /* The writers take a non-const context but only read it. */
  mbedtls_pk_context *pk = (mbedtls_pk_context *)&k->pk;
  int v = private_key ? mbedtls_pk_write_key_pem(pk, buf, cap) : mbedtls_pk_write_pubkey_pem(pk, buf, cap);
  if (v) {
    gh__free_secret(buf, cap);
    return GH_EKEY;
  }
  *len = strlen((char *)buf);
  *out = (char *)buf;
  return GH_OK;
}
