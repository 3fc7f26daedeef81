/* Peers for the OpenSSL build, on the same token pool as gatehouse:
 * - raw-openssl, the libcrypto ceiling: hash and verify with a key and a
 *   digest fetched once (as gatehouse does: the one-shot SHA256() looks the
 *   algorithm up on every call, which would set the ceiling too low), and for
 *   HS256 an HMAC context keyed once; the least any verifier must spend;
 * - libjwt 1.10 (Debian's libjwt-dev, linked only here), which has no key
 *   object: it parses its PEM key on every call. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/base64url.h"
#include "crypto/der.h"

typedef struct signed_input {
  const char *input; /* header.payload */
  size_t input_len;
  unsigned char sig[600];
  size_t sig_len;
} signed_input;

typedef struct raw_ctx {
  signed_input *pool;
  size_t n, next;
  EVP_MD *md;
  EVP_PKEY_CTX *pctx;
  EVP_MAC_CTX *mac;
} raw_ctx;

static int raw_verify(void *ud) {
  raw_ctx *r = ud;
  const signed_input *s = &r->pool[r->next++ % r->n];
  unsigned char digest[32];
  if (!EVP_Digest(s->input, s->input_len, digest, NULL, r->md, NULL)) return 1;
  return EVP_PKEY_verify(r->pctx, s->sig, s->sig_len, digest, 32) == 1 ? 0 : 1;
}

static int raw_hmac(void *ud) {
  raw_ctx *r = ud;
  const signed_input *s = &r->pool[r->next++ % r->n];
  unsigned char mac[32];
  size_t n;
  if (!EVP_MAC_init(r->mac, NULL, 0, NULL) || !EVP_MAC_update(r->mac, (const unsigned char *)s->input, s->input_len) ||
      !EVP_MAC_final(r->mac, mac, &n, sizeof mac))
    return 1;
  return CRYPTO_memcmp(mac, s->sig, 32) != 0;
}

typedef struct libjwt_ctx {
  const char *const *tokens;
  size_t n, next;
  const unsigned char *key;
  int key_len;
} libjwt_ctx;

static int libjwt_verify(void *ud) {
  libjwt_ctx *c = ud;
  jwt_t *jwt = NULL;
  int rc = jwt_decode(&jwt, c->tokens[c->next++ % c->n], c->key, c->key_len);
  /* libjwt checks no claims itself: the checks gatehouse makes, done here */
  if (rc == 0 && (jwt_get_grant_int(jwt, "exp") < 1700000000 || strcmp(jwt_get_grant(jwt, "iss"), "https://issuer.example") ||
                  strcmp(jwt_get_grant(jwt, "aud"), "api://orders")))
    rc = 1;
  jwt_free(jwt);
  return rc;
}

void bench_peers(const bench_case *c, const char *backend) {
  (void)backend;
  raw_ctx *r = calloc(1, sizeof *r);
  r->pool = calloc(c->n_tokens, sizeof *r->pool), r->n = c->n_tokens;
  for (size_t i = 0; i < c->n_tokens; i++) {
    signed_input *s = &r->pool[i];
    const char *dot = strrchr(c->tokens[i], '.');
    s->input = c->tokens[i], s->input_len = (size_t)(dot - c->tokens[i]);
    gh__b64url_decode(dot + 1, strlen(dot + 1), s->sig, sizeof s->sig, &s->sig_len);
  }
  char *pub_pem = NULL;
  long pub_len = 0;
  if (c->alg[0] == 'H') {
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    r->mac = EVP_MAC_CTX_new(m);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_END};
    EVP_MAC_init(r->mac, c->secret, c->secret_len, params);
    EVP_MAC_free(m);
    bench_subject("jwt-verify", c->alg, "raw-openssl", raw_hmac, r, 1);
  } else {
    BIO *bio = BIO_new_mem_buf(c->pem, -1);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    BIO *out = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(out, pkey);
    char *p;
    pub_len = BIO_get_mem_data(out, &p);
    pub_pem = malloc((size_t)pub_len + 1);
    memcpy(pub_pem, p, (size_t)pub_len);
    pub_pem[pub_len] = 0;
    BIO_free(out);
    r->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    r->pctx = EVP_PKEY_CTX_new(pkey, NULL);
    EVP_PKEY_verify_init(r->pctx);
    EVP_PKEY_CTX_set_signature_md(r->pctx, r->md);
    if (c->alg[0] == 'R') EVP_PKEY_CTX_set_rsa_padding(r->pctx, RSA_PKCS1_PADDING);
    if (c->alg[0] == 'P') {
      EVP_PKEY_CTX_set_rsa_padding(r->pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(r->pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    if (c->alg[0] == 'E')
      for (size_t i = 0; i < r->n; i++) { /* libcrypto verifies DER; the conversion is not timed */
        signed_input *s = &r->pool[i];
        unsigned char der[GH__DER_ECDSA_MAX];
        size_t n = gh__der_ecdsa_from_raw(s->sig, s->sig_len / 2, der);
        memcpy(s->sig, der, n);
        s->sig_len = n;
      }
    EVP_PKEY_free(pkey); /* the context holds its own reference */
    bench_subject("jwt-verify", c->alg, "raw-openssl", raw_verify, r, 1);
  }

  libjwt_ctx *l = calloc(1, sizeof *l);
  *l = (libjwt_ctx){c->tokens, c->n_tokens, 0, c->alg[0] == 'H' ? c->secret : (const unsigned char *)pub_pem,
                    c->alg[0] == 'H' ? (int)c->secret_len : (int)pub_len};
  if (libjwt_verify(l) == 0) {
    bench_subject("jwt-verify", c->alg, "libjwt", libjwt_verify, l, 1);
    if (c->alg[0] != 'H') bench_note("jwt-verify", c->alg, "libjwt", "libjwt 1.10 has no key object: it parses its PEM key on every call");
  } else {
    bench_note("jwt-verify", c->alg, "libjwt", "libjwt 1.10 cannot verify this token: left out");
  }
}
