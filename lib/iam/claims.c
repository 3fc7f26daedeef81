#include "claims.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"
#include "gatehouse/jwt.h"
#include "jws.h"

int gh__strs_add(gh__strs *s, const char *p, size_t len) {
  char **v = gh__realloc(s->v, (s->n + 1) * sizeof *v);
  if (!v) return GH_ENOMEM;
  s->v = v;
  size_t *l = gh__realloc(s->len, (s->n + 1) * sizeof *l);
  if (!l) return GH_ENOMEM;
  s->len = l;
  if (!(s->v[s->n] = gh__strndup(p, len))) return GH_ENOMEM;
  s->len[s->n++] = len;
  return GH_OK;
}

void gh__strs_free(gh__strs *s) {
  for (size_t i = 0; i < s->n; i++) gh__free(s->v[i]);
  gh__free(s->v);
  gh__free(s->len);
  memset(s, 0, sizeof *s);
}

int gh__strs_contains(const gh__strs *s, const char *p, size_t len) {
  for (size_t i = 0; i < s->n; i++)
    if (s->len[i] == len && memcmp(s->v[i], p, len) == 0) return 1;
  return 0;
}

void gh__registered_collect(void *ud, const char *n, size_t len, const char *value, size_t value_len) {
  gh__registered *r = ud;
  if (!n || len != 3) return; /* every registered name has three letters */
  gh__span *slot = NULL;
  switch (n[0]) {
  case 'e': slot = n[1] == 'x' && n[2] == 'p' ? &r->exp : NULL; break;
  case 'n': slot = n[1] == 'b' && n[2] == 'f' ? &r->nbf : NULL; break;
  case 'i': slot = n[1] == 'a' && n[2] == 't' ? &r->iat : n[1] == 's' && n[2] == 's' ? &r->iss : NULL; break;
  case 'a': slot = n[1] == 'u' && n[2] == 'd' ? &r->aud : NULL; break;
  case 's': slot = n[1] == 'u' && n[2] == 'b' ? &r->sub : NULL; break;
  case 'j': slot = n[1] == 't' && n[2] == 'i' ? &r->jti : NULL; break;
  }
  if (slot) *slot = (gh__span){value, value_len};
}

int gh__claim_seconds(gh__span s, double *out) {
  if (!s.p) return 0;
  if (s.len <= 15 && s.p[0] >= '0' && s.p[0] <= '9') { /* the common case: whole seconds */
    uint64_t v = 0;
    size_t i = 0;
    while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9') v = v * 10 + (uint64_t)(s.p[i++] - '0');
    if (i == s.len) {
      *out = (double)v;
      return v <= 253402300799u ? 1 : -1;
    }
  }
  char num[64];
  if (!(s.p[0] == '-' || (s.p[0] >= '0' && s.p[0] <= '9')) || s.len >= sizeof num) return -1;
  memcpy(num, s.p, s.len);
  num[s.len] = '\0';
  *out = strtod(num, NULL);
  /* beyond year 9999 (or before 1970) is not a date a token may carry */
  return isfinite(*out) && *out >= 0 && *out <= 253402300799.0 ? 1 : -1;
}

static bool is_string(gh__span s) { return s.p && s.len >= 2 && s.p[0] == '"'; }

/* Decodes a string value into buf; false when it does not fit. */
static bool decode(gh__span s, char *buf, size_t cap, size_t *len) {
  *len = gh__json_unescape(s.p + 1, s.len - 2, buf, cap);
  return *len != SIZE_MAX;
}

size_t gh__claim_string_room(gh__span s) { return is_string(s) ? s.len - 1 : 0; /* unescaping never lengthens */ }

char *gh__claim_string_copy(gh__span s, char *buf) {
  if (!is_string(s)) return NULL;
  size_t n;
  decode(s, buf, s.len - 2, &n);
  buf[n] = '\0';
  return buf;
}

/* Issuers and audiences are compared decoded; values longer than this never match. */
#define MAX_COMPARED 2048

static bool string_in(gh__span s, const gh__strs *set) {
  char buf[MAX_COMPARED];
  size_t n;
  return decode(s, buf, sizeof buf, &n) && gh__strs_contains(set, buf, n);
}

/* "aud": one string or an array of strings (RFC 7519 section 4.1.3). Returns
 * 1 when one value is accepted, 0 when none is, -1 for a wrong type. */
static int audience_match(gh__span aud, const gh__strs *accepted) {
  if (is_string(aud)) return string_in(aud, accepted);
  if (aud.p[0] != '[') return -1;
  const char *p = aud.p + 1, *end = aud.p + aud.len - 1; /* inside the brackets */
  int match = 0;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',')) p++;
    if (p >= end) break;
    if (*p != '"') return -1;
    const char *q = p + 1;
    while (*q != '"') q += *q == '\\' ? 2 : 1; /* validated JSON: the string ends */
    match |= string_in((gh__span){p, (size_t)(q + 1 - p)}, accepted);
    p = q + 1;
  }
  return match;
}

/* For a refusal's message: a token's value (printable bytes only, at most
 * 80) beside the accepted ones, so that a mismatch shows itself. */
static void mismatch(gh__span got, const gh__strs *accepted, char *out, size_t cap) {
  char value[96];
  size_t n = 0;
  for (size_t i = 0; i < got.len && n < 80; i++) value[n++] = got.p[i] >= 0x20 && got.p[i] < 0x7f ? got.p[i] : '?';
  value[n] = '\0';
  int at = snprintf(out, cap, "%s in the token; accepted:", value);
  for (size_t i = 0; i < accepted->n && at > 0 && (size_t)at < cap; i++)
    at += snprintf(out + at, cap - (size_t)at, "%s \"%.*s\"", i ? "," : "", (int)(accepted->len[i] > 80 ? 80 : accepted->len[i]),
                   accepted->v[i]);
}

int gh__claims_check(const gh__claim_rules *r, const gh__registered *reg, int64_t now_ms, int *reason, char *msg,
                     size_t cap) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{GH_CLAIM_EXP, "exp"}, {GH_CLAIM_NBF, "nbf"}, {GH_CLAIM_IAT, "iat"}, {GH_CLAIM_ISS, "iss"},
               {GH_CLAIM_AUD, "aud"}, {GH_CLAIM_SUB, "sub"}, {GH_CLAIM_JTI, "jti"}};
  const gh__span present[] = {reg->exp, reg->nbf, reg->iat, reg->iss, reg->aud, reg->sub, reg->jti};
  unsigned required = r->required | (r->issuers.n ? GH_CLAIM_ISS : 0) | (r->audiences.n ? GH_CLAIM_AUD : 0);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if ((required & names[i].bit) && !present[i].p)
      return gh__deny(reason, GH_JWT_MISSING_CLAIM, msg, cap, names[i].name);

  double exp_s = 0, nbf_s = 0, iat_s = 0;
  int has_exp = gh__claim_seconds(reg->exp, &exp_s), has_nbf = gh__claim_seconds(reg->nbf, &nbf_s),
      has_iat = gh__claim_seconds(reg->iat, &iat_s);
  if (has_exp < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "exp");
  if (has_nbf < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "nbf");
  if (has_iat < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "iat");
  if (reg->iss.p && !is_string(reg->iss)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "iss");
  if (reg->sub.p && !is_string(reg->sub)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "sub");
  if (reg->jti.p && !is_string(reg->jti)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "jti");
  int64_t exp = (int64_t)(exp_s * 1000.0), nbf = (int64_t)(nbf_s * 1000.0), iat = (int64_t)(iat_s * 1000.0);

  /* RFC 7519 section 4.1.4: the current time must be before exp. */
  if (has_exp && now_ms >= exp + r->leeway_ms) return gh__deny(reason, GH_JWT_EXPIRED, msg, cap, NULL);
  /* Section 4.1.5: not before nbf. */
  if (has_nbf && now_ms < nbf - r->leeway_ms) return gh__deny(reason, GH_JWT_NOT_YET_VALID, msg, cap, NULL);
  if (has_iat && iat > now_ms + r->leeway_ms) return gh__deny(reason, GH_JWT_ISSUED_IN_FUTURE, msg, cap, NULL);
  if (r->max_lifetime_s > 0) {
    if (!has_exp) return gh__deny(reason, GH_JWT_MISSING_CLAIM, msg, cap, "exp (a maximum lifetime is set)");
    int64_t start = has_iat ? iat : has_nbf ? nbf : now_ms;
    if (exp - start > r->max_lifetime_s * 1000) return gh__deny(reason, GH_JWT_LIFETIME_TOO_LONG, msg, cap, NULL);
  }
  /* Exact, case-sensitive comparison (RFC 7519 section 4.1.1, RFC 8725 section 3.8). */
  char detail[512];
  if (r->issuers.n && !string_in(reg->iss, &r->issuers)) {
    mismatch(reg->iss, &r->issuers, detail, sizeof detail);
    return gh__deny(reason, GH_JWT_BAD_ISSUER, msg, cap, detail);
  }
  if (reg->aud.p) {
    /* An "aud" the verifier was not told to expect is still type-checked. */
    int m = audience_match(reg->aud, &r->audiences);
    if (m < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "aud");
    if (r->audiences.n && !m) {
      mismatch(reg->aud, &r->audiences, detail, sizeof detail);
      return gh__deny(reason, GH_JWT_BAD_AUDIENCE, msg, cap, detail);
    }
  }
  return GH_OK;
}
