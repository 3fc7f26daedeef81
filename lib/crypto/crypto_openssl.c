/* OpenSSL libcrypto 3 backend. The low-level SHA functions are used on
 * purpose: they are deprecated in 3.0 but skip the per-call algorithm fetch
 * of EVP_Digest*, which costs more than hashing a whole token. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "crypto.h"
#include "der.h"

_Static_assert(sizeof(SHA512_CTX) <= sizeof(((gh__hash_ctx *)0)->state), "hash state too small");
_Static_assert(sizeof(SHA256_CTX) <= sizeof(((gh__hash_ctx *)0)->state), "hash state too small");

/* Creating and configuring an EVP_PKEY_CTX costs about a third of an RSA
 * verification, so each key keeps a few prepared ones. A verifying thread
 * claims a free slot with one atomic exchange; when all are busy it builds a
 * temporary context, as it would without the pool. */
#define CTX_SLOTS 4

typedef struct ctx_slot {
  atomic_int busy;
  int tag; /* scheme and hash the context is prepared for; 0: not yet */
  EVP_PKEY_CTX *ctx;
} ctx_slot;

struct gh__pkey {
  EVP_PKEY *pkey;
  size_t rsa_bits;
  int curve;
  ctx_slot slots[CTX_SLOTS];
};

const char *gh__crypto_name(void) { return "openssl"; }

void gh__hash_init(gh__hash_ctx *c, gh__hash h) {
  c->alg = h;
  if (h == GH__SHA256) SHA256_Init((SHA256_CTX *)c->state);
  else if (h == GH__SHA384) SHA384_Init((SHA512_CTX *)c->state);
  else SHA512_Init((SHA512_CTX *)c->state);
}

void gh__hash_update(gh__hash_ctx *c, const void *p, size_t n) {
  if (c->alg == GH__SHA256) SHA256_Update((SHA256_CTX *)c->state, p, n);
  else if (c->alg == GH__SHA384) SHA384_Update((SHA512_CTX *)c->state, p, n);
  else SHA512_Update((SHA512_CTX *)c->state, p, n);
}

void gh__hash_final(gh__hash_ctx *c, unsigned char *out) {
  if (c->alg == GH__SHA256) SHA256_Final(out, (SHA256_CTX *)c->state);
  else if (c->alg == GH__SHA384) SHA384_Final(out, (SHA512_CTX *)c->state);
  else SHA512_Final(out, (SHA512_CTX *)c->state);
}

static const EVP_MD *evp_md(gh__hash h) {
  return h == GH__SHA256 ? EVP_sha256() : h == GH__SHA384 ? EVP_sha384() : EVP_sha512();
}

static int wrap(gh__pkey **out, EVP_PKEY *pkey, size_t bits, int curve) {
  gh__pkey *k = gh__calloc(1, sizeof *k);
  if (!k) {
    EVP_PKEY_free(pkey);
    return GH_ENOMEM;
  }
  k->pkey = pkey;
  k->rsa_bits = bits;
  k->curve = curve;
  *out = k;
  return GH_OK;
}

/* EVP_PKEY_fromdata plus a public-key check (point on curve, RSA sanity). */
static int from_params(EVP_PKEY **out, const char *type, OSSL_PARAM_BLD *bld) {
  int rc = GH_ENOMEM;
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
  EVP_PKEY *pkey = NULL;
  if (ctx) {
    rc = GH_EKEY;
    if (EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
      EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
      if (check && EVP_PKEY_public_check(check) == 1) rc = GH_OK;
      else if (!check) rc = GH_ENOMEM;
      EVP_PKEY_CTX_free(check);
    }
  }
  if (rc) EVP_PKEY_free(pkey);
  else *out = pkey;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return rc;
}

int gh__pkey_rsa_new(gh__pkey **out, const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len) {
  *out = NULL;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
  int rc = GH_ENOMEM;
  EVP_PKEY *pkey = NULL;
  if (bld && bn && be && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
    rc = from_params(&pkey, "RSA", bld);
  size_t bits = bn ? (size_t)BN_num_bits(bn) : 0;
  BN_free(bn);
  BN_free(be);
  OSSL_PARAM_BLD_free(bld);
  return rc ? rc : wrap(out, pkey, bits, 0);
}

static const char *curve_name(gh__curve c) {
  return c == GH__P256 ? "P-256" : c == GH__P384 ? "P-384" : "P-521";
}

int gh__pkey_ec_new(gh__pkey **out, gh__curve curve, const unsigned char *x, const unsigned char *y) {
  *out = NULL;
  size_t cl = gh__curve_len(curve);
  unsigned char pub[1 + 2 * 66];
  pub[0] = 0x04; /* uncompressed point */
  memcpy(pub + 1, x, cl);
  memcpy(pub + 1 + cl, y, cl);
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  int rc = GH_ENOMEM;
  EVP_PKEY *pkey = NULL;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve_name(curve), 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * cl))
    rc = from_params(&pkey, "EC", bld);
  OSSL_PARAM_BLD_free(bld);
  return rc ? rc : wrap(out, pkey, 0, curve);
}

/* Wraps a loaded key, private or public, once it is RSA or on one of the JWS curves. */
static int wrap_loaded(gh__pkey **out, EVP_PKEY *pkey) {
  if (!pkey) return GH_EKEY;
  int curve = 0;
  size_t bits = 0;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    bits = (size_t)EVP_PKEY_get_bits(pkey);
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    char name[32];
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, NULL) != 1) name[0] = 0;
    curve = !strcmp(name, "prime256v1") || !strcmp(name, "P-256")   ? GH__P256
            : !strcmp(name, "secp384r1") || !strcmp(name, "P-384") ? GH__P384
            : !strcmp(name, "secp521r1") || !strcmp(name, "P-521") ? GH__P521
                                                                    : 0;
  }
  if (!bits && !curve) {
    EVP_PKEY_free(pkey);
    return GH_EUNSUPPORTED;
  }
  return wrap(out, pkey, bits, curve);
}

int gh__pkey_private_pem(gh__pkey **out, const char *pem, size_t len) {
  *out = NULL;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio) return GH_ENOMEM;
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  return wrap_loaded(out, pkey);
}

int gh__pkey_public_pem(gh__pkey **out, const char *pem, size_t len) {
  *out = NULL;
  EVP_PKEY *pkey = NULL;
  /* The decoder reads both SubjectPublicKeyInfo and PKCS#1 RSAPublicKey. */
  OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
  if (!dctx) return GH_ENOMEM;
  const unsigned char *p = (const unsigned char *)pem;
  size_t left = len;
  if (OSSL_DECODER_from_data(dctx, &p, &left) != 1) pkey = NULL;
  OSSL_DECODER_CTX_free(dctx);
  ERR_clear_error();
  return wrap_loaded(out, pkey);
}

int gh__pkey_private_der(gh__pkey **out, const unsigned char *der, size_t len) {
  *out = NULL;
  const unsigned char *p = der;
  return wrap_loaded(out, d2i_AutoPrivateKey(NULL, &p, (long)len));
}

void gh__pkey_free(gh__pkey *k) {
  if (!k) return;
  for (int i = 0; i < CTX_SLOTS; i++) EVP_PKEY_CTX_free(k->slots[i].ctx);
  EVP_PKEY_free(k->pkey);
  gh__free(k);
}

size_t gh__pkey_rsa_bits(const gh__pkey *k) { return k->rsa_bits; }
int gh__pkey_ec_curve(const gh__pkey *k) { return k->curve; }

static int setup_ctx(EVP_PKEY_CTX *ctx, gh__sig_scheme s, gh__hash h) {
  if (EVP_PKEY_CTX_set_signature_md(ctx, evp_md(h)) != 1) return 0;
  if (s == GH__SIG_PKCS1) return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  if (s == GH__SIG_PSS)
    /* RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash. */
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, evp_md(h)) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  return 1;
}

int gh__pkey_verify(const gh__pkey *k, gh__sig_scheme s, gh__hash h, const unsigned char *digest,
                    const unsigned char *sig, size_t sig_len) {
  unsigned char der[GH__DER_ECDSA_MAX];
  if (s == GH__SIG_ECDSA) {
    if (!k->curve || sig_len != 2 * gh__curve_len((gh__curve)k->curve)) return GH_EDENIED;
    size_t der_len = gh__der_ecdsa_from_raw(sig, sig_len / 2, der);
    if (!der_len) return GH_EDENIED; /* r or s is zero */
    sig = der;
    sig_len = der_len;
  } else if (!k->rsa_bits || sig_len != (k->rsa_bits + 7) / 8) {
    return GH_EDENIED;
  }
  gh__pkey *m = (gh__pkey *)k; /* the slots are the only mutable part */
  int tag = 1 + (int)s * 4 + (int)h;
  ctx_slot *slot = NULL;
  for (int i = 0; i < CTX_SLOTS && !slot; i++) {
    int idle = 0;
    if (atomic_compare_exchange_strong(&m->slots[i].busy, &idle, 1)) slot = &m->slots[i];
  }
  EVP_PKEY_CTX *ctx = slot ? slot->ctx : NULL;
  if (!ctx && !(ctx = EVP_PKEY_CTX_new(k->pkey, NULL))) {
    if (slot) atomic_store(&slot->busy, 0);
    return GH_ENOMEM;
  }
  int rc = GH_ECRYPTO;
  bool ready = slot && slot->ctx && slot->tag == tag;
  if (!ready) ready = EVP_PKEY_verify_init(ctx) == 1 && setup_ctx(ctx, s, h);
  if (ready) rc = EVP_PKEY_verify(ctx, sig, sig_len, digest, gh__hash_len(h)) == 1 ? GH_OK : GH_EDENIED;
  ERR_clear_error(); /* a failed verification leaves entries on this thread's queue */
  if (slot) {
    slot->ctx = ctx;
    slot->tag = ready ? tag : 0;
    atomic_store(&slot->busy, 0);
  } else {
    EVP_PKEY_CTX_free(ctx);
  }
  return rc;
}

int gh__pkey_sign(const gh__pkey *k, gh__sig_scheme s, gh__hash h, const unsigned char *digest, unsigned char *sig,
                  size_t *sig_len) {
  if ((s == GH__SIG_ECDSA) != (k->curve != 0)) return GH_EKEY;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
  if (!ctx) return GH_ENOMEM;
  unsigned char buf[1024];
  size_t len = sizeof buf;
  int rc = GH_ECRYPTO;
  if (EVP_PKEY_sign_init(ctx) == 1 && setup_ctx(ctx, s, h) &&
      EVP_PKEY_sign(ctx, buf, &len, digest, gh__hash_len(h)) == 1) {
    if (s == GH__SIG_ECDSA) {
      size_t cl = gh__curve_len((gh__curve)k->curve);
      rc = *sig_len < 2 * cl ? GH_EBUFFER : gh__der_ecdsa_to_raw(buf, len, cl, sig);
      if (!rc) *sig_len = 2 * cl;
    } else if (len > *sig_len) {
      rc = GH_EBUFFER;
    } else {
      memcpy(sig, buf, len);
      *sig_len = len;
      rc = GH_OK;
    }
  }
  EVP_PKEY_CTX_free(ctx);
  return rc;
}

static int bn_param(const EVP_PKEY *p, const char *name, unsigned char **out, size_t *len) {
  BIGNUM *bn = NULL;
  if (EVP_PKEY_get_bn_param(p, name, &bn) != 1) return GH_ECRYPTO;
  *len = (size_t)BN_num_bytes(bn);
  *out = gh__malloc(*len);
  if (*out) BN_bn2bin(bn, *out);
  BN_free(bn);
  return *out ? GH_OK : GH_ENOMEM;
}

int gh__pkey_public_parts(const gh__pkey *k, unsigned char **a, size_t *a_len, unsigned char **b, size_t *b_len) {
  *a = *b = NULL;
  int rc;
  if (k->rsa_bits) {
    rc = bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, a, a_len);
    if (!rc) rc = bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, b, b_len);
  } else {
    unsigned char pub[1 + 2 * 66];
    size_t len = 0, cl = gh__curve_len((gh__curve)k->curve);
    rc = GH_ECRYPTO;
    if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof pub, &len) == 1 &&
        len == 1 + 2 * cl) {
      *a = gh__malloc(cl);
      *b = gh__malloc(cl);
      rc = *a && *b ? GH_OK : GH_ENOMEM;
      if (!rc) {
        memcpy(*a, pub + 1, cl);
        memcpy(*b, pub + 1 + cl, cl);
        *a_len = *b_len = cl;
      }
    }
  }
  if (rc) {
    gh__free(*a);
    gh__free(*b);
    *a = *b = NULL;
  }
  return rc;
}

int gh__random(unsigned char *buf, size_t len) {
  return len > INT32_MAX || RAND_priv_bytes(buf, (int)len) != 1 ? GH_ECRYPTO : GH_OK;
}

int gh__pkey_generate(gh__pkey **out, size_t rsa_bits, gh__curve curve) {
  *out = NULL;
  EVP_PKEY *pkey = rsa_bits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", rsa_bits)
                            : EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve_name(curve));
  if (!pkey) return GH_ECRYPTO;
  return wrap(out, pkey, rsa_bits, rsa_bits ? 0 : (int)curve);
}

int gh__pkey_private_parts(const gh__pkey *k, unsigned char **parts, size_t *lens, size_t *count) {
  static const char *const rsa[] = {OSSL_PKEY_PARAM_RSA_D,        OSSL_PKEY_PARAM_RSA_FACTOR1,
                                    OSSL_PKEY_PARAM_RSA_FACTOR2,  OSSL_PKEY_PARAM_RSA_EXPONENT1,
                                    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
  static const char *const ec[] = {OSSL_PKEY_PARAM_PRIV_KEY};
  const char *const *names = k->rsa_bits ? rsa : ec;
  size_t n = k->rsa_bits ? 6 : 1, pad = k->curve ? gh__curve_len((gh__curve)k->curve) : 0;
  int rc = GH_OK;
  *count = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(k->pkey, names[i], &bn) != 1) {
      rc = GH_EKEY; /* a public key, or RSA without its CRT members */
      break;
    }
    size_t len = pad ? pad : (size_t)BN_num_bytes(bn);
    lens[i] = len;
    if (!(parts[i] = gh__malloc(len ? len : 1))) rc = GH_ENOMEM;
    else if ((*count)++, BN_bn2binpad(bn, parts[i], (int)len) < 0) rc = GH_EKEY;
    BN_clear_free(bn);
  }
  ERR_clear_error();
  if (rc) {
    for (size_t i = 0; i < *count; i++) gh__free_secret(parts[i], lens[i]);
    *count = 0;
  }
  return rc;
}

int gh__pkey_pem(const gh__pkey *k, bool private_key, char **out, size_t *len) {
  BIO *bio = BIO_new(BIO_s_secmem());
  if (!bio) return GH_ENOMEM;
  int rc = GH_EKEY;
  if (private_key ? PEM_write_bio_PrivateKey_traditional(bio, k->pkey, NULL, NULL, 0, NULL, NULL)
                  : PEM_write_bio_PUBKEY(bio, k->pkey)) {
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    rc = n > 0 && (*out = gh__strndup(data, (size_t)n)) ? GH_OK : GH_ENOMEM;
    if (!rc) *len = (size_t)n;
  }
  BIO_free(bio);
  ERR_clear_error();
  return rc;
}
