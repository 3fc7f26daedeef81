/* Limit keys: what a limit counts by (subject, client, address, route, a
 * header, a claim, or a composite), from a recipe parsed once. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "../core/core.h"
#include "../core/ipaddr.h"
#include "../core/json.h"
#include "../crypto/crypto.h"
#include "gatehouse/ratelimit.h"

#define MAX_PARTS 8
#define MAX_CHOICES 4

typedef enum source { SUBJECT, CLIENT_ID, REALM, API_KEY, IP, ROUTE, HEADER, CLAIM, OPERATION, CONSUMER } source;
static const char *const SOURCES[] = {"subject", "client_id", "realm", "api_key", "ip",
                                      "route",   "header:",   "claim:", "operation", "consumer"};

typedef struct choice {
  source from;
  char *arg; /* header name (lower case) or claim path */
} choice;

struct gh_limit_key {
  choice parts[MAX_PARTS][MAX_CHOICES];
  size_t n_parts, n_choices[MAX_PARTS];
  bool claims; /* some choice reads a claim */
};

int gh_limit_key_for_ip(const char *ip, size_t len, unsigned v6_prefix, char *out, size_t cap) {
  gh__ip a;
  if (!ip || !out || !gh__ip_parse(ip, len, &a) || v6_prefix > 128) return GH_EINVAL;
  static const unsigned char v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  int n;
  if (!memcmp(a.b, v4, 12)) {
    n = snprintf(out, cap, "%u.%u.%u.%u", a.b[12], a.b[13], a.b[14], a.b[15]);
  } else {
    unsigned bits = v6_prefix ? v6_prefix : 64;
    for (unsigned i = bits; i < 128; i++) a.b[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
    n = 0;
    for (int i = 0; i < 16 && n >= 0 && (size_t)n < cap; i += 2)
      n += snprintf(out + n, cap - (size_t)n, "%s%x", i ? ":" : "", a.b[i] << 8 | a.b[i + 1]);
    if (n >= 0 && (size_t)n < cap) n += snprintf(out + n, cap - (size_t)n, "/%u", bits);
  }
  return n < 0 || (size_t)n >= cap ? GH_EBUFFER : GH_OK;
}

void gh_limit_key_free(gh_limit_key *k) {
  if (!k) return;
  for (size_t i = 0; i < k->n_parts; i++)
    for (size_t j = 0; j < k->n_choices[i]; j++) gh__free(k->parts[i][j].arg);
  gh__free(k);
}

static int parse_choice(gh_limit_key *k, const char *p, size_t len, choice *c, char *msg, size_t cap) {
  for (size_t s = 0; s < sizeof SOURCES / sizeof SOURCES[0]; s++) {
    size_t n = strlen(SOURCES[s]);
    bool takes_arg = SOURCES[s][n - 1] == ':';
    if (takes_arg ? len <= n || memcmp(p, SOURCES[s], n) : len != n || memcmp(p, SOURCES[s], n)) continue;
    c->from = (source)s;
    if (takes_arg) {
      if (!(c->arg = gh__strndup(p + n, len - n))) return GH_ENOMEM;
      for (char *q = c->arg; *q; q++) {
        if ((unsigned char)*q <= ' ' || *q == 0x7f) {
          gh__set_msg(msg, cap, "%.*s: no spaces or control characters", (int)(len > 40 ? 40 : len), p);
          return GH_EPARSE;
        }
        if (c->from == HEADER) *q = gh__lower(*q);
      }
      k->claims |= c->from == CLAIM;
    }
    return GH_OK;
  }
  gh__set_msg(msg, cap, "%.*s: not one of subject, client_id, realm, api_key, ip, route, header:NAME, claim:PATH, operation",
              (int)(len > 40 ? 40 : len), p);
  return GH_EPARSE;
}

int gh_limit_key_parse(gh_limit_key **out, const char *spec, char *msg, size_t cap) {
  if (!out || !spec) return GH_EINVAL;
  *out = NULL;
  size_t len = strlen(spec);
  if (!len || len > 1024) {
    gh__set_msg(msg, cap, "a key recipe is 1-1024 characters");
    return GH_EPARSE;
  }
  gh_limit_key *k = gh__calloc(1, sizeof *k);
  if (!k) return GH_ENOMEM;
  int rc = GH_OK;
  const char *p = spec, *end = spec + len;
  while (!rc) {
    const char *plus = memchr(p, '+', (size_t)(end - p)), *part_end = plus ? plus : end;
    if (k->n_parts == MAX_PARTS) {
      gh__set_msg(msg, cap, "at most %d parts joined by '+'", MAX_PARTS);
      rc = GH_EPARSE;
      break;
    }
    size_t i = k->n_parts++;
    for (const char *q = p; !rc;) {
      const char *bar = memchr(q, '|', (size_t)(part_end - q)), *choice_end = bar ? bar : part_end;
      if (k->n_choices[i] == MAX_CHOICES) {
        gh__set_msg(msg, cap, "at most %d alternatives joined by '|'", MAX_CHOICES);
        rc = GH_EPARSE;
      } else {
        rc = parse_choice(k, q, (size_t)(choice_end - q), &k->parts[i][k->n_choices[i]], msg, cap);
        k->n_choices[i]++;
      }
      if (!bar) break;
      q = bar + 1;
    }
    if (!plus) break;
    p = plus + 1;
  }
  if (rc) {
    gh_limit_key_free(k);
    return rc;
  }
  *out = k;
  return GH_OK;
}

/* Appends bytes as they are. */
static void put_raw(char *out, size_t cap, size_t *at, const char *v, size_t n) {
  for (size_t i = 0; i < n; i++, (*at)++)
    if (*at < cap) out[*at] = v[i];
}

/* Appends bytes with '%', '&', '=' and anything outside printable ASCII as
 * %XX, so that distinct inputs give distinct keys. */
static void put_escaped(char *out, size_t cap, size_t *at, const char *v, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c > ' ' && c < 0x7f && c != '%' && c != '&' && c != '=') put_raw(out, cap, at, (const char *)&c, 1);
    else put_raw(out, cap, at, (const char[]){'%', hex[c >> 4], hex[c & 15]}, 3);
  }
}

static const char *header(const gh_limit_key_source *s, const char *name, size_t *len) {
  size_t n = strlen(name);
  for (size_t i = 0; s->headers && i < s->n_headers; i++) {
    const gh_header *h = &s->headers[i];
    if (h->name && h->value && h->name_len == n && !strncasecmp(h->name, name, n) && h->value_len) {
      *len = h->value_len;
      return h->value;
    }
  }
  return NULL;
}

/* One choice's value (NULL: absent). buf holds derived values. */
static const char *value(const choice *c, const gh_limit_key_source *s, const cJSON *claims, char *buf, size_t cap,
                         size_t *len) {
  const char *v = NULL;
  switch (c->from) {
  case SUBJECT: v = gh__attr(s->attr, s->attr_ud, "subject", len); return v && *len ? v : NULL;
  case CLIENT_ID: v = gh__attr(s->attr, s->attr_ud, "client_id", len); return v && *len ? v : NULL;
  case REALM: v = gh__attr(s->attr, s->attr_ud, "realm", len); return v && *len ? v : NULL;
  case OPERATION: v = gh__attr(s->attr, s->attr_ud, "operation", len); return v && *len ? v : NULL;
  case CONSUMER: v = gh__attr(s->attr, s->attr_ud, "consumer", len); return v && *len ? v : NULL;
  case API_KEY: /* never the key itself: the first 16 bytes of its SHA-256, in hex */
    if (s->api_key && s->api_key_len) {
      unsigned char d[32];
      gh__hash_digest(GH__SHA256, s->api_key, s->api_key_len, d);
      for (int i = 0; i < 16; i++) snprintf(buf + 2 * i, 3, "%02x", d[i]);
      *len = 32;
      return buf;
    }
    return NULL;
  case IP:
    if (s->client_ip && gh_limit_key_for_ip(s->client_ip, s->client_ip_len, s->v6_prefix, buf, cap) == GH_OK) {
      *len = strlen(buf);
      return buf;
    }
    return NULL;
  case ROUTE:
    *len = s->route ? s->route_len : 0;
    return *len ? s->route : NULL;
  case HEADER: return header(s, c->arg, len);
  case CLAIM: {
    int64_t whole;
    const cJSON *j = claims ? gh__json_path(claims, c->arg, strlen(c->arg)) : NULL;
    if (cJSON_IsString(j)) v = j->valuestring;
    else if (cJSON_IsNumber(j) && gh__double_to_int64(j->valuedouble, &whole)) {
      snprintf(buf, cap, "%lld", (long long)whole);
      v = buf;
    }
    break;
  }
  }
  if (v && *v) *len = strlen(v);
  return v && *v ? v : NULL;
}

int gh_limit_key_build(const gh_limit_key *k, const gh_limit_key_source *s, char *out, size_t cap, size_t *out_len) {
  if (!k || !s || (!out && cap)) return GH_EINVAL;
  cJSON *claims = NULL;
  size_t claims_len;
  const char *text = k->claims ? gh__attr(s->attr, s->attr_ud, "claims", &claims_len) : NULL;
  if (text && gh__json_parse(text, claims_len, claims_len + 1, 64, &claims, NULL, 0) == GH_ENOMEM) return GH_ENOMEM;
  size_t at = 0;
  int rc = GH_OK;
  for (size_t i = 0; i < k->n_parts && !rc; i++) {
    const char *v = NULL;
    size_t len = 0;
    char buf[64];
    const choice *c = NULL;
    for (size_t j = 0; j < k->n_choices[i] && !v; j++) v = value(c = &k->parts[i][j], s, claims, buf, sizeof buf, &len);
    if (!v) {
      rc = GH_ENOTFOUND;
      break;
    }
    if (at) put_raw(out, cap, &at, "&", 1);
    put_raw(out, cap, &at, SOURCES[c->from], strlen(SOURCES[c->from])); /* "header:" then its name */
    if (c->arg) put_escaped(out, cap, &at, c->arg, strlen(c->arg));
    put_raw(out, cap, &at, "=", 1);
    put_escaped(out, cap, &at, v, len);
  }
  if (!rc && at >= cap) rc = GH_EBUFFER;
  if (!rc) out[at] = '\0';
  if (out_len) *out_len = at; /* on GH_EBUFFER: the length needed, without the NUL */
  cJSON_Delete(claims);
  return rc;
}

size_t gh_limit_key_source_size(void) { return sizeof(gh_limit_key_source); }
