#include "claims.h"

#include <math.h>
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

/* A NumericDate (RFC 7519 section 2): a JSON number, possibly fractional.
 * Returns 1 present, 0 absent, -1 wrong type; *ms in milliseconds. */
static int numeric_date(const cJSON *claims, const char *name, int64_t *ms) {
  const cJSON *c = gh__json_member(claims, name);
  if (!c) return 0;
  if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) || c->valuedouble < 0 || c->valuedouble > 253402300799.0)
    return -1; /* beyond year 9999: not a date a token may carry */
  *ms = (int64_t)(c->valuedouble * 1000.0);
  return 1;
}

static int check_audience(const gh__claim_rules *r, const cJSON *aud, int *reason, char *msg, size_t cap) {
  if (cJSON_IsString(aud)) {
    if (gh__strs_contains(&r->audiences, aud->valuestring, strlen(aud->valuestring))) return GH_OK;
    return gh__deny(reason, GH_JWT_BAD_AUDIENCE, msg, cap, aud->valuestring);
  }
  if (!cJSON_IsArray(aud)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "aud");
  const cJSON *e;
  int match = 0;
  cJSON_ArrayForEach(e, aud) {
    if (!cJSON_IsString(e)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "aud");
    match |= gh__strs_contains(&r->audiences, e->valuestring, strlen(e->valuestring));
  }
  return match ? GH_OK : gh__deny(reason, GH_JWT_BAD_AUDIENCE, msg, cap, NULL);
}

int gh__claims_check(const gh__claim_rules *r, const cJSON *claims, int64_t now_ms, int *reason, char *msg,
                     size_t cap) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{GH_CLAIM_EXP, "exp"}, {GH_CLAIM_NBF, "nbf"}, {GH_CLAIM_IAT, "iat"}, {GH_CLAIM_ISS, "iss"},
               {GH_CLAIM_AUD, "aud"}, {GH_CLAIM_SUB, "sub"}, {GH_CLAIM_JTI, "jti"}};
  unsigned required = r->required | (r->issuers.n ? GH_CLAIM_ISS : 0) | (r->audiences.n ? GH_CLAIM_AUD : 0);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if ((required & names[i].bit) && !gh__json_member(claims, names[i].name))
      return gh__deny(reason, GH_JWT_MISSING_CLAIM, msg, cap, names[i].name);

  int64_t exp = 0, nbf = 0, iat = 0;
  int has_exp = numeric_date(claims, "exp", &exp), has_nbf = numeric_date(claims, "nbf", &nbf),
      has_iat = numeric_date(claims, "iat", &iat);
  if (has_exp < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "exp");
  if (has_nbf < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "nbf");
  if (has_iat < 0) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "iat");
  const char *s;
  if (gh__json_string(claims, "iss", &s)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "iss");
  if (gh__json_string(claims, "sub", &s)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "sub");
  if (gh__json_string(claims, "jti", &s)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "jti");

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
  if (r->issuers.n) {
    const cJSON *iss = gh__json_member(claims, "iss");
    /* Exact, case-sensitive comparison (RFC 7519 section 4.1.1, RFC 8725 section 3.8). */
    if (!gh__strs_contains(&r->issuers, iss->valuestring, strlen(iss->valuestring)))
      return gh__deny(reason, GH_JWT_BAD_ISSUER, msg, cap, iss->valuestring);
  }
  if (r->audiences.n) return check_audience(r, gh__json_member(claims, "aud"), reason, msg, cap);
  /* An "aud" the verifier was not told to expect is still type-checked. */
  const cJSON *aud = gh__json_member(claims, "aud");
  if (aud && !cJSON_IsString(aud) && !cJSON_IsArray(aud)) return gh__deny(reason, GH_JWT_BAD_CLAIM, msg, cap, "aud");
  return GH_OK;
}
