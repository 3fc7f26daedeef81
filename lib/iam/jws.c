#include "jws.h"

#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "../core/json.h"
#include "gatehouse/jwt.h"

/* Largest signature: RSA 16384-bit keys (jwk.c's upper bound). */
#define MAX_SIG 2048

int gh__deny(int *reason, int why, char *msg, size_t msg_cap, const char *detail) {
  *reason = why;
  if (detail) gh__set_msg(msg, msg_cap, "%s: %s", gh_jwt_reason_message(why), detail);
  else gh__set_msg(msg, msg_cap, "%s", gh_jwt_reason_message(why));
  return GH_EDENIED;
}

void gh__jws_clear(gh__jws *jws) {
  gh__free(jws->payload);
  jws->payload = NULL;
  jws->kid = jws->typ = NULL;
}

/* The header members the verifier reads, as raw JSON values. */
typedef struct header_fields {
  const char *alg, *kid, *typ;
  size_t alg_len, kid_len, typ_len;
  bool crit;
} header_fields;

static void collect_header(void *ud, const char *name, size_t n, const char *value, size_t len) {
  header_fields *h = ud;
  if (!name) return;
  if (n == 3 && !memcmp(name, "alg", 3)) h->alg = value, h->alg_len = len;
  else if (n == 3 && !memcmp(name, "kid", 3)) h->kid = value, h->kid_len = len;
  else if (n == 3 && !memcmp(name, "typ", 3)) h->typ = value, h->typ_len = len;
  else if (n == 4 && !memcmp(name, "crit", 4)) h->crit = true;
}

/* Decodes a raw JSON string value into buf (NUL-terminated); false when the
 * value is not a string or does not fit. */
static bool string_value(const char *raw, size_t len, char *buf, size_t cap, size_t *out_len) {
  if (len < 2 || raw[0] != '"') return false;
  size_t n = gh__json_unescape(raw + 1, len - 2, buf, cap - 1);
  if (n == SIZE_MAX || memchr(buf, 0, n)) return false;
  buf[n] = '\0';
  if (out_len) *out_len = n;
  return true;
}

static int parse_header(const char *b64, size_t len, gh__jws *out, int *reason, char *msg, size_t cap) {
  unsigned char raw[GH__JWS_MAX_HEADER];
  size_t raw_len;
  if (len > GH__B64URL_ENCODED_LEN(sizeof raw)) return gh__deny(reason, GH_JWT_TOO_LARGE, msg, cap, "header");
  if (gh__b64url_decode(b64, len, raw, sizeof raw, &raw_len))
    return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "header is not base64url");
  char jmsg[96];
  header_fields h = {0};
  bool object = false;
  int rc = gh__json_scan((const char *)raw, raw_len, sizeof raw, 4, collect_header, &h, &object, jmsg, sizeof jmsg);
  if (rc == GH_ENOMEM) return rc;
  if (rc) return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, jmsg);
  if (!object) return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "header is not an object");
  char alg[16];
  if (!h.alg) return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "header has no \"alg\"");
  if (!string_value(h.alg, h.alg_len, alg, sizeof alg, NULL)) {
    if (h.alg[0] != '"') return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "\"alg\" is not a string");
    return gh__deny(reason, GH_JWT_ALG_UNSUPPORTED, msg, cap, "alg too long");
  }
  if (h.kid) {
    if (!string_value(h.kid, h.kid_len, out->kid_buf, sizeof out->kid_buf, &out->kid_len))
      return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "\"kid\" is not a string of at most 255 bytes");
    out->kid = out->kid_buf;
  }
  if (h.typ) {
    if (!string_value(h.typ, h.typ_len, out->typ_buf, sizeof out->typ_buf, NULL))
      return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "\"typ\" is not a string of at most 63 bytes");
    out->typ = out->typ_buf;
  }
  if (strcmp(alg, "none") == 0) return gh__deny(reason, GH_JWT_ALG_NONE, msg, cap, NULL);
  out->alg = gh__alg_find(alg, strlen(alg));
  if (out->alg < 0) return gh__deny(reason, GH_JWT_ALG_UNSUPPORTED, msg, cap, alg);
  /* RFC 7515 section 4.1.11: every name in "crit" must be understood and
   * processed; gatehouse processes no header extension, so any "crit" fails. */
  if (h.crit) return gh__deny(reason, GH_JWT_CRIT_UNSUPPORTED, msg, cap, NULL);
  return GH_OK;
}

/* Without a kid, at most this many fitting keys are tried (bounded work per token). */
#define MAX_KEY_TRIES 8

/* Collects the keys for (kid, alg) into cand. Keys are never taken from the
 * token ("jwk", "jku", "x5u", "x5c" headers are ignored: RFC 8725 section 3.10).
 * With a kid exactly one key must fit; two are ambiguous (RFC 7517 section 4.5). */
static int select_keys(const gh_jwks *keys, const gh__jws *jws, const gh__jwk **cand, size_t *n, int *reason,
                       char *msg, size_t cap) {
  size_t kid_len = jws->kid_len, found = 0;
  bool kid_seen = false;
  for (size_t i = 0; i < keys->count && found < MAX_KEY_TRIES; i++) {
    const gh__jwk *k = &keys->keys[i];
    if (jws->kid) {
      if (!k->kid || k->kid_len != kid_len || memcmp(k->kid, jws->kid, kid_len) != 0) continue;
      kid_seen = true;
      if (k->ambiguous) return gh__deny(reason, GH_JWT_AMBIGUOUS_KEY, msg, cap, jws->kid);
    }
    if (!gh__jwk_fits(k, jws->alg)) continue;
    if (found && jws->kid) return gh__deny(reason, GH_JWT_AMBIGUOUS_KEY, msg, cap, jws->kid);
    cand[found++] = k;
  }
  if (!found) {
    if (jws->kid && !kid_seen) return gh__deny(reason, GH_JWT_UNKNOWN_KID, msg, cap, jws->kid);
    return gh__deny(reason, GH_JWT_NO_MATCHING_KEY, msg, cap, gh__algs[jws->alg].name);
  }
  *n = found;
  return GH_OK;
}

static bool signature_ok(const gh__jwk *k, int alg, const char *input, size_t input_len, const unsigned char *sig,
                         size_t sig_len, int *err) {
  const gh__alg *a = &gh__algs[alg];
  unsigned char mac[GH__HASH_MAX];
  *err = GH_OK;
  if (a->kty == GH__KTY_OCT) {
    size_t hl = gh__hash_len(a->hash);
    if (sig_len != hl) return false;
    gh__hmac_compute(&k->hmac[a->hash], input, input_len, mac);
    return gh__ct_equal(mac, sig, hl);
  }
  gh__hash_digest(a->hash, input, input_len, mac);
  int rc = gh__pkey_verify(k->pkey, a->scheme, a->hash, mac, sig, sig_len);
  if (rc != GH_OK && rc != GH_EDENIED) *err = rc;
  return rc == GH_OK;
}

int gh__jws_verify(const gh_jwks *keys, unsigned alg_mask, const char *token, size_t len, gh__jws *out, int *reason,
                   char *msg, size_t cap) {
  out->kid = out->typ = NULL;
  out->kid_len = 0;
  out->payload = NULL;
  out->payload_len = 0;
  const char *dot1 = memchr(token, '.', len);
  const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
    return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "expected three dot-separated parts");
  size_t h_len = (size_t)(dot1 - token), p_len = (size_t)(dot2 - dot1 - 1), s_len = len - (size_t)(dot2 + 1 - token);
  if (!h_len || !s_len) return gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "empty header or signature");
  int rc = parse_header(token, h_len, out, reason, msg, cap);
  if (rc) goto fail;
  if (!(alg_mask & (1u << out->alg))) {
    rc = gh__deny(reason, GH_JWT_ALG_NOT_ALLOWED, msg, cap, gh__algs[out->alg].name);
    goto fail;
  }
  if (!keys || !keys->count) {
    rc = gh__deny(reason, GH_JWT_NO_KEYS, msg, cap, NULL);
    goto fail;
  }
  const gh__jwk *cand[MAX_KEY_TRIES];
  size_t n_cand = 0;
  rc = select_keys(keys, out, cand, &n_cand, reason, msg, cap);
  if (rc) goto fail;
  unsigned char sig[MAX_SIG];
  size_t sig_len;
  if (s_len > GH__B64URL_ENCODED_LEN(sizeof sig) || gh__b64url_decode(dot2 + 1, s_len, sig, sizeof sig, &sig_len)) {
    rc = gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "signature is not base64url");
    goto fail;
  }
  int err = GH_OK;
  bool verified = false;
  for (size_t i = 0; i < n_cand && !verified && !err; i++)
    verified = signature_ok(cand[i], out->alg, token, (size_t)(dot2 - token), sig, sig_len, &err);
  if (!verified) {
    rc = err ? err : gh__deny(reason, GH_JWT_BAD_SIGNATURE, msg, cap, NULL);
    goto fail;
  }
  out->payload = gh__malloc(GH__B64URL_DECODED_MAX(p_len) + 1);
  if (!out->payload) {
    rc = GH_ENOMEM;
    goto fail;
  }
  if (gh__b64url_decode(dot1 + 1, p_len, out->payload, GH__B64URL_DECODED_MAX(p_len), &out->payload_len)) {
    rc = gh__deny(reason, GH_JWT_MALFORMED, msg, cap, "payload is not base64url");
    goto fail;
  }
  out->payload[out->payload_len] = '\0';
  *reason = GH_JWT_OK;
  return GH_OK;
fail:
  gh__jws_clear(out);
  return rc;
}

int gh_jwt_decode_unverified(const char *token, size_t len, char **header, size_t *header_len, char **payload,
                             size_t *payload_len) {
  if (!token || !header || !payload) return GH_EINVAL;
  *header = *payload = NULL;
  if (len > GH_JWT_DEFAULT_MAX_TOKEN_LEN) return GH_ETOOBIG;
  const char *d1 = memchr(token, '.', len), *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
  if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) return GH_EPARSE;
  size_t h_enc = (size_t)(d1 - token), p_enc = (size_t)(d2 - d1 - 1);
  size_t h_cap = GH__B64URL_DECODED_MAX(h_enc), p_cap = GH__B64URL_DECODED_MAX(p_enc), h_len, p_len;
  char *block = gh__malloc(h_cap + p_cap + 2); /* both texts, each with a NUL */
  if (!block) return GH_ENOMEM;
  if (gh__b64url_decode(token, h_enc, (unsigned char *)block, h_cap, &h_len) ||
      gh__b64url_decode(d1 + 1, p_enc, (unsigned char *)block + h_len + 1, p_cap, &p_len)) {
    gh__free(block);
    return GH_EPARSE;
  }
  block[h_len] = block[h_len + 1 + p_len] = '\0';
  *header = block, *payload = block + h_len + 1;
  if (header_len) *header_len = h_len;
  if (payload_len) *payload_len = p_len;
  return GH_OK;
}
