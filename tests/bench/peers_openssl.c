/* Peers for the OpenSSL build: the raw libcrypto ceiling (hash + verify on a
 * context prepared once: the least any verifier must spend), and libjwt 1.10
 * (Debian's libjwt-dev, linked only here). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/base64url.h"
#include "crypto/der.h"

typedef struct raw_ctx {
  const char *input; /* signing input: header.payload */
  size_t input_len;
  unsigned char sig[600];
  size_t sig_len;
  EVP_PKEY_CTX *pctx;
  EVP_MAC_CTX *mac;
} raw_ctx;

static int raw_verify(void *ud) {
  raw_ctx *r = ud;
  unsigned char digest[32];
  SHA256((const unsigned char *)r->input, r->input_len, digest);
  return EVP_PKEY_verify(r->pctx, r->sig, r->sig_len, digest, 32) == 1 ? 0 : 1;
}

static int raw_hmac(void *ud) {
  raw_ctx *r = ud;
  unsigned char mac[32];
  size_t n;
  if (!EVP_MAC_init(r->mac, NULL, 0, NULL) || !EVP_MAC_update(r->mac, (const unsigned char *)r->input, r->input_len) ||
      !EVP_MAC_final(r->mac, mac, &n, sizeof mac))
    return 1;
  return CRYPTO_memcmp(mac, r->sig, 32) != 0;
}

typedef struct libjwt_ctx {
  const char *token;
  const unsigned char *key;
  int key_len;
} libjwt_ctx;

static int libjwt_verify(void *ud) {
  libjwt_ctx *c = ud;
  jwt_t *jwt = NULL;
  int rc = jwt_decode(&jwt, c->token, c->key, c->key_len);
  /* libjwt checks no claims itself: do the exp check a verifier must do */
  if (rc == 0 && jwt_get_grant_int(jwt, "exp") < 1700000000) rc = 1;
  jwt_free(jwt);
  return rc;
}

void bench_peers(const bench_case *c, const char *backend) {
  (void)backend;
  raw_ctx r = {0};
  const char *dot = strrchr(c->token, '.');
  r.input = c->token;
  r.input_len = (size_t)(dot - c->token);
  gh__b64url_decode(dot + 1, strlen(dot + 1), r.sig, sizeof r.sig, &r.sig_len);
  EVP_PKEY *pkey = NULL;
  char *pub_pem = NULL;
  long pub_len = 0;
  if (c->alg[0] == 'H') {
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    r.mac = EVP_MAC_CTX_new(m);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_END};
    EVP_MAC_init(r.mac, c->secret, c->secret_len, params);
    EVP_MAC_free(m);
    bench_report("jwt-verify", c->alg, "raw-openssl", "ops_per_s", bench_rate(raw_hmac, &r, 0.5, 3));
    EVP_MAC_CTX_free(r.mac);
  } else {
    BIO *bio = BIO_new_mem_buf(c->pem, -1);
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    BIO *out = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(out, pkey);
    char *p;
    pub_len = BIO_get_mem_data(out, &p);
    pub_pem = malloc((size_t)pub_len + 1);
    memcpy(pub_pem, p, (size_t)pub_len);
    pub_pem[pub_len] = 0;
    BIO_free(out);
    r.pctx = EVP_PKEY_CTX_new(pkey, NULL);
    EVP_PKEY_verify_init(r.pctx);
    EVP_PKEY_CTX_set_signature_md(r.pctx, EVP_sha256());
    if (c->alg[0] == 'R') EVP_PKEY_CTX_set_rsa_padding(r.pctx, RSA_PKCS1_PADDING);
    if (c->alg[0] == 'P') {
      EVP_PKEY_CTX_set_rsa_padding(r.pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(r.pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    if (c->alg[0] == 'E') {
      unsigned char der[GH__DER_ECDSA_MAX];
      size_t n = gh__der_ecdsa_from_raw(r.sig, r.sig_len / 2, der);
      memcpy(r.sig, der, n);
      r.sig_len = n;
    }
    bench_report("jwt-verify", c->alg, "raw-openssl", "ops_per_s", bench_rate(raw_verify, &r, 0.5, 3));
    EVP_PKEY_CTX_free(r.pctx);
    EVP_PKEY_free(pkey);
  }

  libjwt_ctx l = {c->token, c->alg[0] == 'H' ? c->secret : (const unsigned char *)pub_pem,
                  c->alg[0] == 'H' ? (int)c->secret_len : (int)pub_len};
  if (libjwt_verify(&l) == 0)
    bench_report("jwt-verify", c->alg, "libjwt", "ops_per_s", bench_rate(libjwt_verify, &l, 0.5, 3));
  else
    printf("  %-12s %-8s %-26s (libjwt 1.10 cannot verify this token)\n", "jwt-verify", c->alg, "libjwt");
  free(pub_pem);
}
