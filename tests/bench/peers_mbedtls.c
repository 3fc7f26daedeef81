/* Peers for the mbedTLS build: mbedTLS's own raw ceiling (hash + verify with
 * a key parsed once, an HMAC context keyed once) on the same token pool as
 * gatehouse: the figure the mbedTLS backend is held to. */
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/base64url.h"

typedef struct signed_input {
  const char *input;
  size_t input_len;
  unsigned char sig[600];
  size_t sig_len;
} signed_input;

typedef struct raw_ctx {
  signed_input *pool;
  size_t n, next;
  char alg;
  mbedtls_pk_context pk;
  mbedtls_md_context_t md;
} raw_ctx;

static int raw_verify(void *ud) {
  raw_ctx *ctx = ud;
  const signed_input *r = &ctx->pool[ctx->next++ % ctx->n];
  unsigned char digest[32];
  mbedtls_sha256_ret((const unsigned char *)r->input, r->input_len, digest, 0);
  if (ctx->alg == 'R')
    return mbedtls_rsa_rsassa_pkcs1_v15_verify(mbedtls_pk_rsa(ctx->pk), NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                               MBEDTLS_MD_SHA256, 32, digest, r->sig);
  if (ctx->alg == 'P')
    return mbedtls_rsa_rsassa_pss_verify_ext(mbedtls_pk_rsa(ctx->pk), NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                             MBEDTLS_MD_SHA256, 32, digest, MBEDTLS_MD_SHA256, 32, r->sig);
  mbedtls_mpi rr, ss;
  mbedtls_mpi_init(&rr);
  mbedtls_mpi_init(&ss);
  mbedtls_mpi_read_binary(&rr, r->sig, 32);
  mbedtls_mpi_read_binary(&ss, r->sig + 32, 32);
  mbedtls_ecp_keypair *ec = mbedtls_pk_ec(ctx->pk);
  int rc = mbedtls_ecdsa_verify(&ec->grp, digest, 32, &ec->Q, &rr, &ss);
  mbedtls_mpi_free(&rr);
  mbedtls_mpi_free(&ss);
  return rc;
}

static int raw_hmac(void *ud) {
  raw_ctx *ctx = ud;
  const signed_input *r = &ctx->pool[ctx->next++ % ctx->n];
  unsigned char mac[32];
  mbedtls_md_hmac_reset(&ctx->md);
  mbedtls_md_hmac_update(&ctx->md, (const unsigned char *)r->input, r->input_len);
  mbedtls_md_hmac_finish(&ctx->md, mac);
  return memcmp(mac, r->sig, 32) != 0;
}

void bench_peers(const bench_case *c, const char *backend) {
  (void)backend;
  raw_ctx *r = calloc(1, sizeof *r);
  r->pool = calloc(c->n_tokens, sizeof *r->pool), r->n = c->n_tokens;
  r->alg = c->alg[0];
  for (size_t i = 0; i < c->n_tokens; i++) {
    signed_input *s = &r->pool[i];
    const char *dot = strrchr(c->tokens[i], '.');
    s->input = c->tokens[i], s->input_len = (size_t)(dot - c->tokens[i]);
    gh__b64url_decode(dot + 1, strlen(dot + 1), s->sig, sizeof s->sig, &s->sig_len);
  }
  if (r->alg == 'H') {
    mbedtls_md_init(&r->md);
    mbedtls_md_setup(&r->md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    mbedtls_md_hmac_starts(&r->md, c->secret, c->secret_len);
    bench_subject("jwt-verify", c->alg, "raw-mbedtls", raw_hmac, r, 1);
    return;
  }
  mbedtls_pk_init(&r->pk);
  if (mbedtls_pk_parse_key(&r->pk, (const unsigned char *)c->pem, strlen(c->pem) + 1, NULL, 0) != 0) {
    bench_note("jwt-verify", c->alg, "raw-mbedtls", "cannot parse the key: left out");
    return;
  }
  bench_subject("jwt-verify", c->alg, "raw-mbedtls", raw_verify, r, 1);
}
