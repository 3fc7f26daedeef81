/* JWK and JWK Set parsing (RFC 7517, RFC 7518 section 6) and RFC 7638 thumbprints. */
#include <stdio.h>
#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "../core/json.h"
#include "jose.h"

size_t gh_jwks_default_max_bytes(void) { return GH_JWKS_DEFAULT_MAX_BYTES; }
size_t gh_jwks_default_max_keys(void) { return GH_JWKS_DEFAULT_MAX_KEYS; }
unsigned gh_jwks_default_min_rsa_bits(void) { return GH_JWKS_DEFAULT_MIN_RSA_BITS; }

/* Outcome of one key: usable, skipped (RFC 7517 section 5), or an error. */
enum { KEY_OK = 0, KEY_SKIP = 1 };

static int member_b64(const cJSON *jwk, const char *name, unsigned char **out, size_t *len) {
  const char *s;
  *out = NULL;
  if (gh__json_string(jwk, name, &s) || !s) return KEY_SKIP;
  int rc = gh__b64url_decode_alloc(s, strlen(s), out, len);
  if (rc == GH_ENOMEM) return GH_ENOMEM;
  if (rc || *len == 0) {
    gh__free(*out);
    *out = NULL;
    return KEY_SKIP;
  }
  return KEY_OK;
}

static bool has_string(const cJSON *arr, const char *s) {
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0) return true;
  return false;
}

/* "use" and "key_ops" (RFC 7517 sections 4.2, 4.3): a key meant for anything
 * but signatures never verifies. */
static bool meant_for_verification(const cJSON *jwk) {
  const cJSON *use = gh__json_member(jwk, "use"), *ops = gh__json_member(jwk, "key_ops");
  if (use && !(cJSON_IsString(use) && strcmp(use->valuestring, "sig") == 0)) return false;
  if (ops && !(cJSON_IsArray(ops) && (has_string(ops, "verify") || has_string(ops, "sign")))) return false;
  return true;
}

static int parse_rsa(const cJSON *jwk, const gh_jwks_limits *lim, gh__jwk *k) {
  unsigned char *n = NULL, *e = NULL;
  size_t n_len = 0, e_len = 0;
  int rc = member_b64(jwk, "n", &n, &n_len);
  if (rc == KEY_OK) rc = member_b64(jwk, "e", &e, &e_len);
  if (rc == KEY_OK) {
    const unsigned char *nn = n, *ee = e;
    while (n_len > 1 && *nn == 0) nn++, n_len--;
    while (e_len > 1 && *ee == 0) ee++, e_len--;
    size_t bits = n_len * 8;
    for (unsigned char top = nn[0]; top < 0x80 && bits; top = (unsigned char)(top << 1)) bits--;
    /* Too small, even exponent or e = 1 (a signature equal to the message), ROCA. */
    if (bits < lim->min_rsa_bits || bits > 16384 || e_len > 8 || (ee[e_len - 1] & 1) == 0 ||
        (e_len == 1 && ee[0] < 3) || gh__rsa_modulus_is_roca(nn, n_len)) {
      rc = KEY_SKIP;
    } else {
      rc = gh__pkey_rsa_new(&k->pkey, nn, n_len, ee, e_len);
      if (rc == GH_EKEY) rc = KEY_SKIP;
    }
  }
  gh__free(n);
  gh__free(e);
  return rc;
}

static int parse_ec(const cJSON *jwk, gh__jwk *k) {
  const char *crv;
  if (gh__json_string(jwk, "crv", &crv) || !crv) return KEY_SKIP;
  gh__curve c = !strcmp(crv, "P-256") ? GH__P256 : !strcmp(crv, "P-384") ? GH__P384 : !strcmp(crv, "P-521") ? GH__P521 : 0;
  if (!c) return KEY_SKIP;
  unsigned char *x = NULL, *y = NULL;
  size_t x_len = 0, y_len = 0;
  int rc = member_b64(jwk, "x", &x, &x_len);
  if (rc == KEY_OK) rc = member_b64(jwk, "y", &y, &y_len);
  /* RFC 7518 section 6.2.1.2: coordinates are exactly the field size. */
  if (rc == KEY_OK && (x_len != gh__curve_len(c) || y_len != gh__curve_len(c))) rc = KEY_SKIP;
  if (rc == KEY_OK) {
    rc = gh__pkey_ec_new(&k->pkey, c, x, y);
    if (rc == GH_EKEY) rc = KEY_SKIP;
  }
  gh__free(x);
  gh__free(y);
  return rc;
}

static int parse_oct(const cJSON *jwk, gh__jwk *k) {
  int rc = member_b64(jwk, "k", &k->secret, &k->secret_len);
  if (rc != KEY_OK) return rc;
  k->hmac = gh__malloc(3 * sizeof *k->hmac);
  if (!k->hmac) return GH_ENOMEM;
  for (int h = 0; h < 3; h++) gh__hmac_key_init(&k->hmac[h], (gh__hash)h, k->secret, k->secret_len);
  return KEY_OK;
}

static void key_clear(gh__jwk *k) {
  gh__pkey_free(k->pkey);
  if (k->secret) gh__free_secret(k->secret, k->secret_len);
  if (k->hmac) gh__free_secret(k->hmac, 3 * sizeof *k->hmac);
  memset(k, 0, sizeof *k);
}

/* Parses one JWK into k: KEY_OK, KEY_SKIP, or GH_ENOMEM. */
static int parse_key(const cJSON *jwk, const gh_jwks_limits *lim, gh__jwk *k) {
  memset(k, 0, sizeof *k);
  k->alg = -1;
  const char *kty, *alg, *kid;
  if (!cJSON_IsObject(jwk) || gh__json_string(jwk, "kty", &kty) || !kty || gh__json_string(jwk, "alg", &alg) ||
      gh__json_string(jwk, "kid", &kid) || !meant_for_verification(jwk))
    return KEY_SKIP;
  k->kty = !strcmp(kty, "oct") ? GH__KTY_OCT : !strcmp(kty, "RSA") ? GH__KTY_RSA : !strcmp(kty, "EC") ? GH__KTY_EC : 0;
  if (!k->kty) return KEY_SKIP;
  if (alg) {
    /* A key pinned to a non-JWS algorithm (RSA-OAEP, A128GCM, ...) never verifies. */
    k->alg = gh__alg_find(alg, strlen(alg));
    if (k->alg < 0 || gh__algs[k->alg].kty != k->kty) return KEY_SKIP;
  }
  k->kid = kid;
  k->kid_len = kid ? strlen(kid) : 0;
  int rc = k->kty == GH__KTY_RSA ? parse_rsa(jwk, lim, k) : k->kty == GH__KTY_EC ? parse_ec(jwk, k) : parse_oct(jwk, k);
  /* A pinned algorithm must fit the key itself (curve, HMAC key length). */
  if (rc == KEY_OK && k->alg >= 0 && !gh__jwk_fits(k, k->alg)) rc = KEY_SKIP;
  if (rc != KEY_OK) key_clear(k);
  return rc;
}

/* RFC 7517 section 4.5: keys of one kty should have distinct kids. A kid
 * declared twice (counting keys that were skipped) cannot name one key. */
static bool kid_declared_twice(const cJSON *keys, const cJSON *self, const char *kid) {
  const cJSON *other, *self_kty = gh__json_member(self, "kty");
  cJSON_ArrayForEach(other, keys) {
    if (other == self) continue;
    const cJSON *okid = gh__json_member(other, "kid"), *okty = gh__json_member(other, "kty");
    if (cJSON_IsString(okid) && !strcmp(okid->valuestring, kid) && cJSON_IsString(okty) &&
        !strcmp(okty->valuestring, self_kty->valuestring))
      return true;
  }
  return false;
}

static void set_free(gh_jwks *s) {
  for (size_t i = 0; i < s->count; i++) key_clear(&s->keys[i]);
  gh__free(s->keys);
  gh__free(s->kids);
  gh__free(s);
}

int gh_jwks_parse(gh_jwks **out, const char *json, size_t len, char *msg, size_t msg_cap) {
  return gh_jwks_parse_limited(out, json, len, NULL, msg, msg_cap);
}

int gh_jwks_parse_limited(gh_jwks **out, const char *json, size_t len, const gh_jwks_limits *limits, char *msg,
                          size_t msg_cap) {
  if (!out || (!json && len)) return GH_EINVAL;
  *out = NULL;
  gh_jwks_limits lim = {GH_JWKS_DEFAULT_MAX_BYTES, GH_JWKS_DEFAULT_MAX_KEYS, GH_JWKS_DEFAULT_MIN_RSA_BITS};
  if (limits) {
    if (limits->max_bytes) lim.max_bytes = limits->max_bytes;
    if (limits->max_keys) lim.max_keys = limits->max_keys;
    if (limits->min_rsa_bits) lim.min_rsa_bits = limits->min_rsa_bits;
  }
  cJSON *root;
  int rc = gh__json_parse(json, len, lim.max_bytes, 8, &root, msg, msg_cap);
  if (rc) return rc;
  const cJSON *keys = gh__json_member(root, "keys");
  size_t n;
  if (keys) {
    if (!cJSON_IsArray(keys)) {
      gh__set_msg(msg, msg_cap, "JWKS: \"keys\" is not an array");
      cJSON_Delete(root);
      return GH_EPARSE;
    }
    n = (size_t)cJSON_GetArraySize(keys);
  } else if (cJSON_IsObject(root) && gh__json_member(root, "kty")) {
    n = 1; /* a single JWK */
  } else {
    gh__set_msg(msg, msg_cap, "JWKS: neither a key set nor a key");
    cJSON_Delete(root);
    return GH_EPARSE;
  }
  if (n > lim.max_keys) {
    gh__set_msg(msg, msg_cap, "JWKS: %zu keys exceed the limit of %zu", n, lim.max_keys);
    cJSON_Delete(root);
    return GH_ETOOBIG;
  }
  gh_jwks *s = gh__calloc(1, sizeof *s);
  if (s) s->keys = gh__calloc(n ? n : 1, sizeof *s->keys);
  size_t kid_bytes = 0;
  if (!s || !s->keys) {
    rc = GH_ENOMEM;
    goto fail;
  }
  atomic_init(&s->refs, 1);
  const cJSON *item = keys ? keys->child : root;
  for (size_t i = 0; i < n; i++, item = item->next) {
    gh__jwk *k = &s->keys[s->count];
    rc = parse_key(item, &lim, k);
    if (rc == GH_ENOMEM) goto fail;
    if (rc == KEY_SKIP) {
      s->skipped++;
      continue;
    }
    if (keys && k->kid) k->ambiguous = kid_declared_twice(keys, item, k->kid);
    kid_bytes += k->kid_len + 1;
    s->count++;
  }
  /* Own the kid strings: the cJSON tree goes away. */
  s->kids = gh__malloc(kid_bytes ? kid_bytes : 1);
  if (!s->kids) {
    rc = GH_ENOMEM;
    goto fail;
  }
  char *w = s->kids;
  bool symmetric = false, asymmetric = false;
  for (size_t i = 0; i < s->count; i++) {
    gh__jwk *k = &s->keys[i];
    if (k->kid) {
      memcpy(w, k->kid, k->kid_len + 1);
      k->kid = w;
      w += k->kid_len + 1;
    }
    if (k->kty == GH__KTY_OCT) symmetric = true;
    else asymmetric = true;
  }
  cJSON_Delete(root);
  root = NULL;
  if (symmetric && asymmetric) {
    gh__set_msg(msg, msg_cap, "JWKS: mixes symmetric and asymmetric keys");
    rc = GH_EKEY;
    goto fail;
  }
  *out = s;
  return GH_OK;
fail:
  if (s) set_free(s);
  cJSON_Delete(root);
  return rc;
}

gh_jwks *gh__jwks_ref(gh_jwks *set) {
  atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
  return set;
}

void gh_jwks_free(gh_jwks *set) {
  if (!set) return;
  if (atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) == 1) set_free(set);
}

size_t gh_jwks_count(const gh_jwks *set) { return set ? set->count : 0; }
size_t gh_jwks_skipped(const gh_jwks *set) { return set ? set->skipped : 0; }

/* A thumbprint member value is copied verbatim; it must need no JSON escaping. */
static bool plain(const char *s) {
  for (; *s; s++)
    if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) return false;
  return true;
}

int gh_jwk_thumbprint(const char *jwk_json, size_t len, char *out, size_t out_cap) {
  if (!out || (!jwk_json && len)) return GH_EINVAL;
  if (out_cap < GH_JWK_THUMBPRINT_LEN + 1) return GH_EBUFFER;
  cJSON *jwk;
  int rc = gh__json_parse(jwk_json, len, 64 * 1024, 8, &jwk, NULL, 0);
  if (rc) return rc;
  const char *kty = NULL, *a = NULL, *b = NULL, *c = NULL;
  static const char *const members[][3] = {{"crv", "x", "y"}, {"e", "n", NULL}, {"k", NULL, NULL}};
  int which = -1;
  if (!gh__json_string(jwk, "kty", &kty) && kty)
    which = !strcmp(kty, "EC") ? 0 : !strcmp(kty, "RSA") ? 1 : !strcmp(kty, "oct") ? 2 : -1;
  rc = which < 0 ? (kty ? GH_EUNSUPPORTED : GH_EPARSE) : GH_OK;
  /* RFC 7638 section 3.2: required members only, lexicographic order, no white space. */
  const char **vals[3] = {&a, &b, &c};
  for (int i = 0; !rc && i < 3 && members[which][i]; i++)
    if (gh__json_string(jwk, members[which][i], vals[i]) || !*vals[i] || !plain(*vals[i])) rc = GH_EPARSE;
  gh__buf buf = {0};
  if (!rc) {
    gh__buf_puts(&buf, "{");
    for (int i = 0; i < 3 && members[which][i]; i++) {
      gh__buf_puts(&buf, "\"");
      gh__buf_puts(&buf, members[which][i]);
      gh__buf_puts(&buf, "\":\"");
      gh__buf_puts(&buf, *vals[i]);
      gh__buf_puts(&buf, "\",");
      if (i == 0) { /* "kty" always sorts second */
        gh__buf_puts(&buf, "\"kty\":\"");
        gh__buf_puts(&buf, kty);
        gh__buf_puts(&buf, "\",");
      }
    }
    if (!buf.failed) buf.len--; /* last comma */
    gh__buf_puts(&buf, "}");
    rc = gh__buf_finish(&buf);
  }
  if (!rc) {
    unsigned char digest[32];
    gh__hash_digest(GH__SHA256, buf.p, buf.len, digest);
    gh__b64url_encode(digest, sizeof digest, out);
    gh__buf_free(&buf);
  }
  cJSON_Delete(jwk);
  return rc;
}

size_t gh_jwks_limits_size(void) { return sizeof(gh_jwks_limits); }
