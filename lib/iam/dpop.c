/* DPoP proof verification (RFC 9449 section 4.3), in the RFC's order, with
 * the replay check last so that invalid proofs never fill the cache. */
#include "gatehouse/dpop.h"

#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "../core/path.h"
#include "../core/expiring_map.h"
#include "binding.h"
#include "../core/json.h"
#include "claims.h"
#include "jose.h"
#include "jws.h"

struct gh_dpop_verifier {
  atomic_size_t refs; /* the creator's, and each realm's that uses it */
  bool built;
  unsigned alg_mask;
  bool alg_custom;
  int64_t max_age_ms, max_skew_ms;
  size_t replay_entries;
  gh__expiring_map *replay;
  gh_dpop_replay_fn hook;
  void *hook_ud;
};

#define ASYMMETRIC_ALGS (GH__ALG_ALL & ~7u) /* all but HS256/384/512 */

const char *gh_dpop_reason_name(int reason) {
  switch (reason) { GH_DPOP_REASON_MAP(GH__CASE_NAME) }
  return "UNKNOWN";
}

static const char *reason_message(int reason) {
  switch (reason) { GH_DPOP_REASON_MAP(GH__CASE_MESSAGE) }
  return "unknown reason";
}

static int deny(int *reason, int why, char *msg, size_t cap, const char *detail) {
  *reason = why;
  if (detail) gh__set_msg(msg, cap, "%s: %s", reason_message(why), detail);
  else gh__set_msg(msg, cap, "%s", reason_message(why));
  return GH_EDENIED;
}

int gh_dpop_verifier_new(gh_dpop_verifier **out) {
  if (!out) return GH_EINVAL;
  gh_dpop_verifier *v = gh__calloc(1, sizeof *v);
  if (!v) return GH_ENOMEM;
  atomic_init(&v->refs, 1);
  v->alg_mask = ASYMMETRIC_ALGS;
  v->max_age_ms = GH_DPOP_DEFAULT_MAX_AGE_S * 1000;
  v->max_skew_ms = GH_DPOP_DEFAULT_MAX_SKEW_S * 1000;
  v->replay_entries = GH_DPOP_DEFAULT_REPLAY_ENTRIES;
  *out = v;
  return GH_OK;
}

gh_dpop_verifier *gh__dpop_verifier_ref(gh_dpop_verifier *v) {
  atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
  return v;
}

void gh_dpop_verifier_free(gh_dpop_verifier *v) {
  if (!v || atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1) return;
  gh__expiring_map_free(v->replay);
  gh__free(v);
}

int gh_dpop_verifier_allow_alg(gh_dpop_verifier *v, const char *alg) {
  GH__CONFIGURING(v);
  return gh__alg_allow(&v->alg_mask, &v->alg_custom, alg, ASYMMETRIC_ALGS);
}

int gh_dpop_verifier_set_window(gh_dpop_verifier *v, int64_t max_age_s, int64_t max_skew_s) {
  GH__CONFIGURING(v);
  if (max_age_s <= 0 || max_age_s > 86400 || max_skew_s < 0 || max_skew_s > 3600) return GH_EINVAL;
  v->max_age_ms = max_age_s * 1000;
  v->max_skew_ms = max_skew_s * 1000;
  return GH_OK;
}

int gh_dpop_verifier_set_replay_capacity(gh_dpop_verifier *v, size_t entries) {
  GH__CONFIGURING(v);
  if (entries < 64 || entries > (1u << 26)) return GH_EINVAL;
  v->replay_entries = entries;
  return GH_OK;
}

int gh_dpop_verifier_set_replay_hook(gh_dpop_verifier *v, gh_dpop_replay_fn fn, void *ud) {
  GH__CONFIGURING(v);
  v->hook = fn;
  v->hook_ud = ud;
  return GH_OK;
}

int gh_dpop_verifier_build(gh_dpop_verifier *v) {
  GH__CONFIGURING(v);
  if (!v->hook) {
    int rc = gh__expiring_map_new(&v->replay, v->replay_entries, NULL, NULL);
    if (rc) return rc;
  }
  v->built = true;
  return GH_OK;
}

uint64_t gh_dpop_verifier_replay_evictions(const gh_dpop_verifier *v) {
  return v && v->replay ? gh__expiring_map_evictions(v->replay) : 0;
}

/* The header members DPoP needs, as raw JSON values. */
typedef struct header {
  gh__span typ, alg, jwk;
} header;

static void collect_header(void *ud, const char *n, size_t len, const char *value, size_t value_len) {
  header *h = ud;
  gh__span *slot = !n ? NULL
                   : len == 3 && !memcmp(n, "typ", 3) ? &h->typ
                   : len == 3 && !memcmp(n, "alg", 3) ? &h->alg
                   : len == 3 && !memcmp(n, "jwk", 3) ? &h->jwk
                                                       : NULL;
  if (slot) *slot = (gh__span){value, value_len};
}

/* Private key members (RFC 7518 section 6) that must never travel in a proof. */
static void collect_private(void *ud, const char *n, size_t len, const char *value, size_t value_len) {
  (void)value, (void)value_len;
  static const char *const PRIVATE[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
  for (size_t i = 0; n && i < sizeof PRIVATE / sizeof PRIVATE[0]; i++)
    if (strlen(PRIVATE[i]) == len && !memcmp(PRIVATE[i], n, len)) *(bool *)ud = true;
}

typedef struct payload {
  gh__span jti, htm, htu, iat, ath;
} payload;

static void collect_payload(void *ud, const char *n, size_t len, const char *value, size_t value_len) {
  payload *p = ud;
  gh__span *slot = !n ? NULL
                   : len == 3 && !memcmp(n, "jti", 3) ? &p->jti
                   : len == 3 && !memcmp(n, "htm", 3) ? &p->htm
                   : len == 3 && !memcmp(n, "htu", 3) ? &p->htu
                   : len == 3 && !memcmp(n, "iat", 3) ? &p->iat
                   : len == 3 && !memcmp(n, "ath", 3) ? &p->ath
                                                       : NULL;
  if (slot) *slot = (gh__span){value, value_len};
}

/* A JSON string value decoded into buf (NUL-terminated); false if not a string or too long. */
static bool text(gh__span s, char *buf, size_t cap, size_t *len) {
  if (!s.p || s.len < 2 || s.p[0] != '"') return false;
  size_t n = gh__json_unescape(s.p + 1, s.len - 2, buf, cap - 1);
  if (n == SIZE_MAX) return false;
  buf[n] = '\0';
  *len = n;
  return true;
}

/* RFC 9449 section 4.3 step 9 with RFC 3986 section 6.2 normalisation: query
 * and fragment dropped, scheme and host compared case-insensitively, default
 * ports removed, the path canonical as every path is here (gatehouse/path.h;
 * a path it refuses matches nothing). Writes "scheme://host[:port]/path". */
static bool normalise_uri(const char *u, size_t n, char *out, size_t cap) {
  size_t q = 0;
  while (q < n && u[q] != '?' && u[q] != '#') q++;
  n = q;
  const char *sep = n > 3 ? memchr(u, ':', n) : NULL;
  if (!sep || (size_t)(sep - u) + 3 > n || sep[1] != '/' || sep[2] != '/') return false;
  size_t scheme_len = (size_t)(sep - u), host_at = scheme_len + 3, path_at = host_at;
  while (path_at < n && u[path_at] != '/') path_at++;
  if (path_at == host_at || memchr(u + host_at, '@', path_at - host_at)) return false; /* no host; userinfo */
  size_t host_len = path_at - host_at;
  /* the port follows the last ':' — after the ']' of an IPv6 literal */
  const char *host_end = u + path_at, *name_end = u + host_at;
  if (*name_end == '[') {
    name_end = memchr(name_end, ']', host_len);
    if (!name_end) return false;
  }
  const char *port = memchr(name_end, ':', (size_t)(host_end - name_end));
  size_t port_len = port ? (size_t)(host_end - port) : 0;
  bool https = scheme_len == 5 && !strncasecmp(u, "https", 5), http = scheme_len == 4 && !strncasecmp(u, "http", 4);
  if (port && ((https && port_len == 4 && !memcmp(port, ":443", 4)) || (http && port_len == 3 && !memcmp(port, ":80", 3))))
    host_len -= port_len;
  size_t path_len = n - path_at, o = scheme_len + 3 + host_len;
  if (o + 2 > cap) return false;
  memcpy(out, u, scheme_len);
  memcpy(out + scheme_len, "://", 3);
  memcpy(out + scheme_len + 3, u + host_at, host_len);
  gh__lower_in_place(out, scheme_len + 3 + host_len);
  if (!path_len) return out[o] = '/', out[o + 1] = '\0', true;
  const char *why;
  return gh__path_canon(u + path_at, path_len, 0, out + o, cap - o, &path_len, &why) == GH_OK;
}

static int verify_header(const gh_dpop_verifier *v, const char *proof, size_t h_len, gh_jwks **key, char *jkt,
                         int *reason, char *msg, size_t cap) {
  unsigned char raw[GH__JWS_MAX_HEADER];
  size_t raw_len;
  if (gh__b64url_decode(proof, h_len, raw, sizeof raw, &raw_len)) return deny(reason, GH_DPOP_MALFORMED, msg, cap, "header");
  header h = {0};
  bool object;
  int rc = gh__json_scan((const char *)raw, raw_len, sizeof raw, 8, collect_header, &h, &object, NULL, 0);
  if (rc == GH_ENOMEM) return rc;
  if (rc || !object) return deny(reason, GH_DPOP_MALFORMED, msg, cap, "header is not a JSON object");
  char buf[64];
  size_t n;
  /* step 4: typ; media types compare case-insensitively */
  if (!text(h.typ, buf, sizeof buf, &n) || strcasecmp(buf, "dpop+jwt") != 0) return deny(reason, GH_DPOP_BAD_TYP, msg, cap, NULL);
  /* step 5: an asymmetric algorithm this verifier accepts */
  int alg = text(h.alg, buf, sizeof buf, &n) ? gh__alg_find(buf, n) : -1;
  if (alg < 0 || !(v->alg_mask & (1u << alg))) return deny(reason, GH_DPOP_BAD_ALG, msg, cap, NULL);
  /* step 6: a public key, nothing private */
  if (!h.jwk.p || h.jwk.p[0] != '{') return deny(reason, GH_DPOP_BAD_JWK, msg, cap, "no jwk header");
  bool private_parts = false;
  if (gh__json_scan(h.jwk.p, h.jwk.len, h.jwk.len, 4, collect_private, &private_parts, NULL, NULL, 0) || private_parts)
    return deny(reason, GH_DPOP_BAD_JWK, msg, cap, "private key material");
  rc = gh_jwks_parse(key, h.jwk.p, h.jwk.len, NULL, 0);
  if (rc == GH_ENOMEM) return rc;
  if (rc || gh_jwks_count(*key) != 1) return deny(reason, GH_DPOP_BAD_JWK, msg, cap, "unusable key");
  rc = gh_jwk_thumbprint(h.jwk.p, h.jwk.len, jkt, GH_DPOP_JKT_LEN + 1);
  return rc == GH_ENOMEM ? rc : rc ? deny(reason, GH_DPOP_BAD_JWK, msg, cap, "no thumbprint") : GH_OK;
}

static int verify_claims(const gh_dpop_verifier *v, const payload *c, const char *htm, size_t htm_len, const char *htu,
                         size_t htu_len, const char *at, size_t at_len, int64_t now_ms, int *reason, char *msg,
                         size_t cap) {
  char buf[2048], want[2048], got[2048];
  size_t n;
  double iat;
  if (!text(c->jti, buf, 257, &n) || !n || !text(c->htm, buf, sizeof buf, &n) || gh__claim_seconds(c->iat, &iat) != 1 ||
      !c->htu.p)
    return deny(reason, GH_DPOP_MISSING_CLAIM, msg, cap, NULL);
  /* step 8: htm */
  if (n != htm_len || memcmp(buf, htm, n) != 0) return deny(reason, GH_DPOP_BAD_HTM, msg, cap, NULL);
  /* step 9: htu */
  if (!text(c->htu, buf, sizeof buf, &n) || !normalise_uri(buf, n, got, sizeof got) ||
      !normalise_uri(htu, htu_len, want, sizeof want) || strcmp(got, want) != 0)
    return deny(reason, GH_DPOP_BAD_HTU, msg, cap, NULL);
  /* step 10: ath binds the proof to the access token */
  if (at) {
    unsigned char digest[32];
    char expected[GH__B64URL_ENCODED_LEN(32) + 1];
    gh__hash_digest(GH__SHA256, at, at_len, digest);
    gh__b64url_encode(digest, sizeof digest, expected);
    if (!text(c->ath, buf, sizeof buf, &n) || n != strlen(expected) || !gh__ct_equal(buf, expected, n))
      return deny(reason, GH_DPOP_BAD_ATH, msg, cap, NULL);
  }
  /* step 11: iat within the window */
  int64_t iat_ms = (int64_t)(iat * 1000.0);
  if (now_ms - iat_ms > v->max_age_ms || iat_ms - now_ms > v->max_skew_ms) return deny(reason, GH_DPOP_STALE, msg, cap, NULL);
  return GH_OK;
}

int gh_dpop_verify(const gh_dpop_verifier *v, const char *proof, size_t proof_len, const char *htm, size_t htm_len,
                   const char *htu, size_t htu_len, const char *access_token, size_t access_token_len,
                   const char *expected_jkt, size_t expected_jkt_len, int64_t now_ms, char *jkt_out, int *reason,
                   char *msg, size_t cap) {
  int why_storage;
  if (!reason) reason = &why_storage;
  *reason = GH_DPOP_OK;
  if (!v || !v->built) return GH_EMISUSE;
  if (!proof || !htm || !htu || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (proof_len > GH_DPOP_MAX_PROOF_LEN) return deny(reason, GH_DPOP_TOO_LARGE, msg, cap, NULL);
  const char *dot = memchr(proof, '.', proof_len);
  if (!dot) return deny(reason, GH_DPOP_MALFORMED, msg, cap, NULL);
  gh_jwks *key = NULL;
  char jkt[GH_DPOP_JKT_LEN + 1];
  int rc = verify_header(v, proof, (size_t)(dot - proof), &key, jkt, reason, msg, cap);
  gh__jws jws = {0};
  int jws_reason;
  /* step 7: the signature, with the header's own key */
  if (!rc && (rc = gh__jws_verify(key, v->alg_mask, proof, proof_len, &jws, &jws_reason, NULL, 0)) == GH_EDENIED)
    rc = deny(reason, jws_reason == GH_JWT_BAD_SIGNATURE ? GH_DPOP_BAD_SIGNATURE
                      : jws_reason == GH_JWT_NO_MATCHING_KEY ? GH_DPOP_BAD_JWK
                                                               : GH_DPOP_MALFORMED,
              msg, cap, NULL);
  payload c = {0};
  bool object = false;
  if (!rc) {
    rc = gh__json_scan((const char *)jws.payload, jws.payload_len, GH_DPOP_MAX_PROOF_LEN, 8, collect_payload, &c, &object,
                       NULL, 0);
    if (rc != GH_ENOMEM && (rc || !object)) rc = deny(reason, GH_DPOP_MALFORMED, msg, cap, "payload");
  }
  if (!rc) rc = verify_claims(v, &c, htm, htm_len, htu, htu_len, access_token, access_token_len, now_ms, reason, msg, cap);
  if (!rc && expected_jkt && (expected_jkt_len != GH_DPOP_JKT_LEN || !gh__ct_equal(expected_jkt, jkt, GH_DPOP_JKT_LEN)))
    rc = deny(reason, GH_DPOP_BINDING_MISMATCH, msg, cap, NULL);
  /* step 12: a jti seen before is a replay; kept until the proof could no longer be fresh */
  if (!rc) {
    char jti[257];
    size_t n = 0;
    double iat = 0;
    int fresh = GH_EINVAL; /* jti and iat were checked in verify_claims */
    if (text(c.jti, jti, sizeof jti, &n) && gh__claim_seconds(c.iat, &iat) == 1) {
      int64_t until = (int64_t)(iat * 1000.0) + v->max_age_ms + v->max_skew_ms;
      fresh = v->hook ? v->hook(v->hook_ud, jti, n, until) : gh__expiring_map_add(v->replay, jti, n, until, now_ms);
    }
    if (fresh == GH_ENOMEM && !v->hook) rc = GH_ENOMEM;
    else if (fresh != 1) rc = deny(reason, GH_DPOP_REPLAYED, msg, cap, fresh < 0 ? "replay store unavailable" : NULL);
  }
  if (!rc && jkt_out) memcpy(jkt_out, jkt, sizeof jkt);
  gh__jws_clear(&jws);
  gh_jwks_free(key);
  return rc;
}
