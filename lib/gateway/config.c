/* The configuration document → a snapshot. One pass checks and builds;
 * it goes on after an error so that the report names every error of the
 * document, then frees what it built. The formats of policies, limits and
 * transformations are the objects' own (their parsers check them); this file
 * adds only what composes them. docs/gateway.md describes the document and
 * docs/gateway.schema.json is its schema. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/core.h"
#include "../core/date.h"
#include "../core/hash64.h"
#include "../core/json.h"
#include "../crypto/crypto.h"
#include "config_build.h"
#include "gatehouse/apikey.h"
#include "gatehouse/error.h"
#include "gatehouse/jwk.h"
#include "gatehouse/jwt.h"
#include "snapshot.h"

#define CONFIG_MAX_DEPTH 64

/* ---- typed members, each error reported at its path ---- */

const cJSON *gh__cfg_member(gh__cfg *b, const cJSON *obj, const char *name, int type_mask, const char *what,
                           bool required) {
  const cJSON *m = gh__json_member(obj, name);
  if (!m) {
    if (required) gh__report_error(b->r, "missing required member \"%s\" (%s)", name, what);
    return NULL;
  }
  if (!(m->type & type_mask)) {
    gh__report_push_name(b->r, name);
    gh__report_error(b->r, "must be %s", what);
    gh__report_pop(b->r);
    return NULL;
  }
  return m;
}

const char *gh__cfg_string(gh__cfg *b, const cJSON *obj, const char *name, bool required) {
  const cJSON *m = gh__cfg_member(b, obj, name, cJSON_String, "a string", required);
  return m ? m->valuestring : NULL;
}

char *gh__cfg_dup(gh__cfg *b, const char *s) {
  if (!s) return NULL;
  char *d = gh__strndup(s, strlen(s));
  if (!d) b->failed_alloc = true;
  return d;
}

/* A non-negative number of seconds, as milliseconds. */
bool gh__cfg_seconds(gh__cfg *b, const cJSON *obj, const char *name, int64_t *ms) {
  const cJSON *m = gh__cfg_member(b, obj, name, cJSON_Number, "a number of seconds", false);
  if (!m) return false;
  if (m->valuedouble < 0 || !gh__seconds_to_ms(m->valuedouble, ms) || *ms > GH_TIME_MAX_MS) {
    gh__report_push_name(b->r, name);
    gh__report_error(b->r, "must be a number of seconds from 0 to %lld", (long long)(GH_TIME_MAX_MS / 1000));
    gh__report_pop(b->r);
    return false;
  }
  return true;
}

/* A date: RFC 3339 text or Unix seconds. */
bool gh__cfg_date_value(const cJSON *m, int64_t *t) {
  *t = 0;
  if (cJSON_IsString(m)) return gh__rfc3339_parse(m->valuestring, strlen(m->valuestring), t);
  return cJSON_IsNumber(m) && gh__double_to_int64(m->valuedouble, t) && *t >= 0 && *t <= GH_TIME_MAX_MS / 1000 &&
         (double)*t == m->valuedouble;
}

int64_t gh__cfg_date(gh__cfg *b, const cJSON *obj, const char *name) {
  const cJSON *m = gh__cfg_member(b, obj, name, cJSON_String | cJSON_Number, "an RFC 3339 date or Unix seconds", false);
  if (!m) return GH__NO_DATE;
  int64_t t = 0;
  if (!gh__cfg_date_value(m, &t)) {
    gh__report_push_name(b->r, name);
    gh__report_error(b->r, "not a date: give RFC 3339 (\"2027-01-31T00:00:00Z\") or whole Unix seconds");
    gh__report_pop(b->r);
    return GH__NO_DATE;
  }
  return t;
}

/* A string or an array of strings; calls fn for each. */
void gh__cfg_strings(gh__cfg *b, const cJSON *obj, const char *name, void (*fn)(gh__cfg *, void *, const char *),
                           void *ud) {
  const cJSON *m = gh__cfg_member(b, obj, name, cJSON_String | cJSON_Array, "a string or an array of strings", false);
  if (!m) return;
  if (cJSON_IsString(m)) {
    fn(b, ud, m->valuestring);
    return;
  }
  gh__report_push_name(b->r, name);
  size_t i = 0;
  for (const cJSON *e = m->child; e; e = e->next, i++) {
    gh__report_push_index(b->r, i);
    if (cJSON_IsString(e)) fn(b, ud, e->valuestring);
    else gh__report_error(b->r, "must be a string");
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

/* A nested object's own parser reports `path: message` (policy, transform);
 * the path is appended to ours so that the error is located precisely. */
void gh__cfg_nested_error(gh__cfg *b, const char *msg) {
  char names[8][64];
  size_t pushed = 0, i = 0;
  const char *colon = strstr(msg, ": ");
  if (colon) {
    size_t n = (size_t)(colon - msg);
    while (i < n && pushed < 8) {
      if (msg[i] == '.') i++;
      if (msg[i] == '[') {
        size_t idx = 0, j = i + 1;
        while (j < n && msg[j] >= '0' && msg[j] <= '9') idx = idx * 10 + (size_t)(msg[j++] - '0');
        if (j >= n || msg[j] != ']') break;
        gh__report_push_index(b->r, idx);
        pushed++;
        i = j + 1;
        continue;
      }
      size_t j = i;
      while (j < n && msg[j] != '.' && msg[j] != '[' && j - i < 63) j++;
      if (j == i || (j < n && msg[j] != '.' && msg[j] != '[')) break;
      memcpy(names[pushed], msg + i, j - i);
      names[pushed][j - i] = 0;
      gh__report_push_name(b->r, names[pushed]);
      pushed++;
      i = j;
    }
    if (i == n) msg = colon + 2;
  }
  gh__report_error(b->r, "%s", msg);
  while (pushed--) gh__report_pop(b->r);
}

/* The canonical text of a definition, hashed: equal definitions keep their state across reloads. */
uint64_t gh__cfg_definition_hash(const cJSON *def, const char *kind) {
  char *text = cJSON_PrintUnformatted(def);
  uint64_t h = text ? gh__hash64(text, strlen(text), gh__hash64(kind, strlen(kind), 0x9e3779b97f4a7c15ull)) : 0;
  cJSON_free(text);
  return h;
}

char *gh__cfg_object_text(gh__cfg *b, const cJSON *obj, size_t *len) {
  char *text = cJSON_PrintUnformatted(obj);
  if (!text) {
    b->failed_alloc = true;
    return NULL;
  }
  *len = strlen(text);
  return text;
}

bool gh__cfg_settled(gh__cfg *b, int rc) {
  if (rc == GH_ENOMEM) b->failed_alloc = true;
  return rc == GH_OK || rc == GH_ENOMEM;
}

/* The names a map defines, for did-you-mean on references. */
static const char **map_names(const cJSON *map) {
  size_t n = 0;
  for (const cJSON *m = map ? map->child : NULL; m; m = m->next) n++;
  const char **names = gh__calloc(n + 1, sizeof *names);
  if (!names) return NULL;
  n = 0;
  for (const cJSON *m = map ? map->child : NULL; m; m = m->next) names[n++] = m->string;
  return names;
}

void gh__cfg_unknown_reference(gh__cfg *b, const char *kind, const char *name, const char *section_name) {
  const cJSON *map = gh__json_member(b->root, section_name);
  const char **names = map_names(map);
  const char *near = names ? gh__closest_name(name, names) : NULL;
  char q[600];
  gh__report_quote(name, q, sizeof q);
  if (near)
    gh__report_error(b->r, "no %s named \"%s\"; did you mean \"%s\"?", kind, q, near);
  else
    gh__report_error(b->r, "no %s named \"%s\" (define it under \"%s\")", kind, q, section_name);
  gh__free(names);
}

/* Iterates a top-level map section ("policies": {"name": {...}}). */
#define FOR_EACH_ENTRY(b, section, m)                                                       \
  for (const cJSON *m = (section) ? (section)->child : NULL; m; m = m->next)

static const cJSON *section(gh__cfg *b, const char *name, int type) {
  return gh__cfg_member(b, b->root, name, type, type == cJSON_Object ? "an object" : "an array", false);
}

/* ---- policies, transformations, limits, upstream pools ---- */

static void build_named(gh__cfg *b, const char *sect, gh__gw_named **list, size_t *n,
                        int (*parse)(void **, const char *, size_t, char *, size_t)) {
  const cJSON *map = section(b, sect, cJSON_Object);
  size_t count = 0;
  FOR_EACH_ENTRY(b, map, m) count++;
  if (!count) return;
  if (!(*list = gh__calloc(count, sizeof **list))) {
    b->failed_alloc = true;
    return;
  }
  gh__report_push_name(b->r, sect);
  FOR_EACH_ENTRY(b, map, m) {
    gh__report_push_name(b->r, m->string);
    gh__gw_named *e = &(*list)[(*n)++];
    e->name = gh__cfg_dup(b, m->string);
    if (!cJSON_IsObject(m)) {
      gh__report_error(b->r, "must be an object");
    } else {
      size_t len = 0;
      char *text = gh__cfg_object_text(b, m, &len), msg[512] = "";
      int rc = text ? parse(&e->object, text, len, msg, sizeof msg) : GH_ENOMEM;
      if (rc == GH_ENOMEM) b->failed_alloc = true;
      else if (rc) gh__cfg_nested_error(b, msg[0] ? msg : gh_strerror(rc));
      cJSON_free(text);
    }
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

static int parse_policy(void **out, const char *t, size_t n, char *msg, size_t cap) {
  return gh_policy_parse((gh_policy **)out, t, n, msg, cap);
}
static int parse_transform(void **out, const char *t, size_t n, char *msg, size_t cap) {
  return gh_transform_parse((gh_transform **)out, t, n, msg, cap);
}

static void free_limiter(void *l) { gh_limiter_free(l); }
static void free_upstream(void *u) { gh_upstream_free(u); }

/* The previous snapshot's holder for a definition, to keep its state. */
static gh__held *previous_limit(const gh__cfg *b, const char *name, uint64_t def) {
  const gh__snapshot *p = b->ctx->previous;
  for (size_t i = 0; p && i < p->n_limits; i++)
    if (strcmp(p->limits[i].name, name) == 0 && p->limits[i].limiter && p->limits[i].limiter->definition == def)
      return gh__held_ref(p->limits[i].limiter);
  return NULL;
}

static gh__held *previous_pool(const gh__cfg *b, const char *name, uint64_t def) {
  const gh__snapshot *p = b->ctx->previous;
  for (size_t i = 0; p && i < p->n_pools; i++)
    if (strcmp(p->pools[i].name, name) == 0 && p->pools[i].upstream && p->pools[i].upstream->definition == def)
      return gh__held_ref(p->pools[i].upstream);
  return NULL;
}

static void render_policy_field(gh__cfg *b, gh__gw_limit *l) {
  char field[256];
  if (l->limiter && !gh_limiter_fields(l->limiter->object, 0, 0, field, sizeof field, NULL, 0))
    l->policy_field = gh__cfg_dup(b, field);
}

static const char *const LIMIT_OWN[] = {"key", "mode", "failure_mode", NULL};
static const char *const LIMIT_KNOWN[] = {"algorithm", "limit", "period", "burst", "timeout", "memory",
                                          "key", "mode", "failure_mode", NULL};

void gh__cfg_limit(gh__cfg *b, const cJSON *def, gh__gw_limit *l) {
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  gh__report_unknown_members(b->r, def, LIMIT_KNOWN);
  const char *recipe = gh__cfg_string(b, def, "key", true);
  const char *mode = gh__cfg_string(b, def, "mode", false);
  const char *failure = gh__cfg_string(b, def, "failure_mode", false);
  char msg[512] = "";
  l->recipe = gh__cfg_dup(b, recipe);
  if (recipe && !gh__cfg_settled(b, gh_limit_key_parse(&l->key, recipe, msg, sizeof msg))) {
    gh__report_push_name(b->r, "key");
    gh__report_error(b->r, "%s", msg);
    gh__report_pop(b->r);
  }
  int failure_mode = GH_REDIS_FAIL_LOCAL;
  if (failure) {
    static const char *const modes[] = {"open", "closed", "local", NULL};
    int k = 0;
    while (modes[k] && strcmp(modes[k], failure)) k++;
    if (!modes[k]) {
      gh__report_push_name(b->r, "failure_mode");
      gh__report_error(b->r, "must be \"open\", \"closed\" or \"local\"");
      gh__report_pop(b->r);
    }
    failure_mode = k == 0 ? GH_REDIS_FAIL_OPEN : k == 1 ? GH_REDIS_FAIL_CLOSED : GH_REDIS_FAIL_LOCAL;
  }
  bool strict = mode && strcmp(mode, "strict") == 0, synced = mode && strcmp(mode, "synced") == 0;
  l->synced = synced, l->strict = strict;
  if (mode && !strict && !synced && strcmp(mode, "local") != 0) {
    gh__report_push_name(b->r, "mode");
    gh__report_error(b->r, "must be \"local\", \"strict\" or \"synced\"");
    gh__report_pop(b->r);
  }
  if ((strict || synced) && !gh__json_member(b->root, "redis"))
    gh__report_error(b->r, "mode \"%s\" needs the top-level \"redis\" section", mode);
  /* the limiter's own members, with its name, through its own parser */
  cJSON *own = cJSON_Duplicate(def, 1);
  if (!own) {
    b->failed_alloc = true;
    return;
  }
  for (size_t i = 0; LIMIT_OWN[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(own, LIMIT_OWN[i]);
  cJSON_DeleteItemFromObjectCaseSensitive(own, "name");
  if (!cJSON_AddStringToObject(own, "name", l->name)) {
    cJSON_Delete(own);
    b->failed_alloc = true;
    return;
  }
  uint64_t hash = gh__cfg_definition_hash(def, "limit");
  const cJSON *alg = gh__json_member(def, "algorithm");
  l->concurrency = alg && cJSON_IsString(alg) && strcmp(alg->valuestring, "concurrency") == 0;
  l->quota = alg && cJSON_IsString(alg) && strncmp(alg->valuestring, "quota-", 6) == 0;
  if (!b->ctx->gw) { /* checking only: the smallest store, so that lint allocates little */
    cJSON_DeleteItemFromObjectCaseSensitive(own, "memory");
    if (!cJSON_AddNumberToObject(own, "memory", 65536)) {
      cJSON_Delete(own);
      b->failed_alloc = true;
      return;
    }
  } else if ((l->limiter = previous_limit(b, l->name, hash))) {
    cJSON_Delete(own);
    render_policy_field(b, l);
    return;
  }
  size_t len = 0;
  char *text = gh__cfg_object_text(b, own, &len);
  cJSON_Delete(own);
  gh_limiter *limiter = NULL;
  int rc = text ? gh_limiter_parse(&limiter, text, len, msg, sizeof msg) : GH_ENOMEM;
  cJSON_free(text);
  if (rc == GH_ENOMEM) {
    b->failed_alloc = true;
    return;
  }
  if (rc) {
    gh__cfg_nested_error(b, msg);
    return;
  }
  if ((strict || synced) && b->redis) {
    rc = strict ? gh_limiter_set_redis(limiter, b->redis, failure_mode) : gh_limiter_set_synced(limiter, b->redis);
    if (!rc && synced) rc = gh_limiter_set_failure_mode(limiter, failure_mode);
    if (rc) gh__report_error(b->r, "mode \"%s\": %s", mode, gh_strerror(rc));
  }
  if (!rc && (rc = gh_limiter_build(limiter))) b->failed_alloc = true;
  if (!rc && !(l->limiter = gh__held_new(limiter, free_limiter, hash))) b->failed_alloc = true;
  if (!l->limiter) gh_limiter_free(limiter);
  render_policy_field(b, l);
}

static const char *const POOL_KNOWN[] = {"balancer", "targets", "hash_key", "outlier", "health_check",
                                         "max_requests", "max_pending", NULL};

static void build_pool(gh__cfg *b, const cJSON *def, gh__gw_pool *p) {
  static const char *const balancers[] = {"round_robin", "least_request", "maglev", "random", NULL};
  static const char *const target_known[] = {"url", "weight", NULL};
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  gh__report_unknown_members(b->r, def, POOL_KNOWN);
  const char *balancer = gh__cfg_string(b, def, "balancer", false);
  int lb = GH_LB_ROUND_ROBIN;
  if (balancer) {
    int k = 0;
    while (balancers[k] && strcmp(balancers[k], balancer)) k++;
    if (!balancers[k]) {
      const char *near = gh__closest_name(balancer, balancers);
      gh__report_push_name(b->r, "balancer");
      gh__report_error(b->r, "unknown balancer \"%s\"%s%s%s (round_robin, least_request, maglev, random)", balancer,
                       near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
      gh__report_pop(b->r);
    }
    lb = k == 1 ? GH_LB_LEAST_REQUEST : k == 2 ? GH_LB_MAGLEV : k == 3 ? GH_LB_RANDOM : GH_LB_ROUND_ROBIN;
  }
  p->hash_key = gh__cfg_dup(b, gh__cfg_string(b, def, "hash_key", false));
  const cJSON *targets = gh__cfg_member(b, def, "targets", cJSON_Array, "an array of targets", true);
  const char *urls[GH_UPSTREAM_MAX_TARGETS];
  unsigned weights[GH_UPSTREAM_MAX_TARGETS];
  size_t n = 0, i = 0;
  gh__report_push_name(b->r, "targets");
  for (const cJSON *t = targets ? targets->child : NULL; t; t = t->next, i++) {
    gh__report_push_index(b->r, i);
    const char *url = NULL;
    unsigned weight = 1;
    if (cJSON_IsString(t)) {
      url = t->valuestring;
    } else if (cJSON_IsObject(t)) {
      gh__report_unknown_members(b->r, t, target_known);
      url = gh__cfg_string(b, t, "url", true);
      const cJSON *w = gh__cfg_member(b, t, "weight", cJSON_Number, "a whole number from 1 to 1000", false);
      if (w && (w->valuedouble < 1 || w->valuedouble > 1000 || w->valuedouble != (double)(unsigned)w->valuedouble)) {
        gh__report_push_name(b->r, "weight");
        gh__report_error(b->r, "must be a whole number from 1 to 1000");
        gh__report_pop(b->r);
      } else if (w) {
        weight = (unsigned)w->valuedouble;
      }
    } else {
      gh__report_error(b->r, "must be a URL or {\"url\": ..., \"weight\": ...}");
    }
    if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
      gh__report_error(b->r, "a target is an http:// or https:// URL");
    else if (url && n < GH_UPSTREAM_MAX_TARGETS)
      urls[n] = url, weights[n++] = weight;
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
  if (targets && !n) {
    gh__report_push_name(b->r, "targets");
    gh__report_error(b->r, "a pool needs at least one target");
    gh__report_pop(b->r);
  }
  gh_outlier_config oc = {5, 30000, 300000, 10};
  const cJSON *o = gh__cfg_member(b, def, "outlier", cJSON_Object, "an object", false);
  if (o) {
    static const char *const known[] = {"consecutive_failures", "base_ejection", "max_ejection",
                                        "max_ejection_percent", NULL};
    gh__report_push_name(b->r, "outlier");
    gh__report_unknown_members(b->r, o, known);
    const cJSON *cf = gh__cfg_member(b, o, "consecutive_failures", cJSON_Number, "a whole number", false);
    if (cf) oc.consecutive_failures = cf->valuedouble >= 0 && cf->valuedouble < 1e6 ? (unsigned)cf->valuedouble : 5;
    gh__cfg_seconds(b, o, "base_ejection", &oc.base_ejection_ms);
    gh__cfg_seconds(b, o, "max_ejection", &oc.max_ejection_ms);
    const cJSON *mp = gh__cfg_member(b, o, "max_ejection_percent", cJSON_Number, "a percentage", false);
    if (mp) oc.max_ejection_percent = mp->valuedouble >= 0 && mp->valuedouble <= 100 ? (unsigned)mp->valuedouble : 10;
    gh__report_pop(b->r);
  }
  gh_health_check_config hc = {10000, 2, 3};
  const cJSON *h = gh__cfg_member(b, def, "health_check", cJSON_Object, "an object", false);
  if (h) {
    static const char *const known[] = {"interval", "healthy_threshold", "unhealthy_threshold", NULL};
    gh__report_push_name(b->r, "health_check");
    gh__report_unknown_members(b->r, h, known);
    gh__cfg_seconds(b, h, "interval", &hc.interval_ms);
    const cJSON *ht = gh__cfg_member(b, h, "healthy_threshold", cJSON_Number, "a whole number", false);
    if (ht) hc.healthy_threshold = ht->valuedouble >= 1 && ht->valuedouble < 1000 ? (unsigned)ht->valuedouble : 2;
    const cJSON *ut = gh__cfg_member(b, h, "unhealthy_threshold", cJSON_Number, "a whole number", false);
    if (ut) hc.unhealthy_threshold = ut->valuedouble >= 1 && ut->valuedouble < 1000 ? (unsigned)ut->valuedouble : 3;
    gh__report_pop(b->r);
  }
  const cJSON *maxr = gh__cfg_member(b, def, "max_requests", cJSON_Number, "a whole number", false);
  const cJSON *maxp = gh__cfg_member(b, def, "max_pending", cJSON_Number, "a whole number", false);
  if (!n || b->r->count) return;
  uint64_t hash = gh__cfg_definition_hash(def, "pool");
  if (b->ctx->gw && (p->upstream = previous_pool(b, p->name, hash))) return;
  gh_upstream *u = NULL;
  int rc = gh_upstream_new(&u, lb, urls, weights, n);
  if (!rc) rc = gh_upstream_set_outlier(u, &oc);
  if (!rc && h) rc = gh_upstream_set_health_check(u, &hc);
  if (!rc && maxr && maxr->valuedouble >= 1) rc = gh_upstream_set_max_requests(u, (uint64_t)maxr->valuedouble);
  if (!rc && maxp && maxp->valuedouble >= 1) rc = gh_upstream_set_max_pending(u, (uint64_t)maxp->valuedouble);
  if (!rc) rc = gh_upstream_build(u);
  if (rc == GH_ENOMEM) b->failed_alloc = true;
  else if (rc) gh__report_error(b->r, "the pool cannot be built: %s", gh_strerror(rc));
  if (!rc && !(p->upstream = gh__held_new(u, free_upstream, hash))) b->failed_alloc = true;
  if (!p->upstream) gh_upstream_free(u);
}

/* "settings" and "redis": checked here; the gateway makes its Redis client from "redis". */
static void build_settings(gh__cfg *b) {
  static const char *const known[] = {"request_id_header", NULL};
  static const char *const redis_known[] = {"host", "port", "timeout", "connections", NULL};
  const cJSON *settings = section(b, "settings", cJSON_Object);
  const char *rid = NULL;
  if (settings) {
    gh__report_push_name(b->r, "settings");
    gh__report_unknown_members(b->r, settings, known);
    rid = gh__cfg_string(b, settings, "request_id_header", false);
    gh__report_pop(b->r);
  }
  b->s->request_id_header = gh__cfg_dup(b, rid ? rid : "X-Request-Id");
  const cJSON *redis = section(b, "redis", cJSON_Object);
  if (redis) {
    gh__report_push_name(b->r, "redis");
    gh__report_unknown_members(b->r, redis, redis_known);
    gh__cfg_string(b, redis, "host", true);
    const cJSON *port = gh__cfg_member(b, redis, "port", cJSON_Number, "a port number", false);
    if (port && (port->valuedouble < 1 || port->valuedouble > 65535 || port->valuedouble != (int)port->valuedouble)) {
      gh__report_push_name(b->r, "port");
      gh__report_error(b->r, "must be a port number from 1 to 65535");
      gh__report_pop(b->r);
    }
    int64_t ms = 200;
    gh__cfg_seconds(b, redis, "timeout", &ms);
    const cJSON *conns = gh__cfg_member(b, redis, "connections", cJSON_Number, "a number of connections", false);
    if (conns && (conns->valuedouble < 1 || conns->valuedouble > 256)) {
      gh__report_push_name(b->r, "connections");
      gh__report_error(b->r, "must be from 1 to 256");
      gh__report_pop(b->r);
    }
    const char *host = gh__cfg_string(b, redis, "host", false);
    if (host && b->ctx->gw && !b->r->count) {
      char msg[256] = "";
      int rc = b->ctx->redis_client(b->ctx->gw, host, port ? (int)port->valuedouble : 6379,
                                    ms > 60000 ? 60000 : (int)ms, conns ? (int)conns->valuedouble : 4, &b->redis,
                                    msg, sizeof msg);
      if (rc == GH_ENOMEM) b->failed_alloc = true;
      else if (rc) gh__report_error(b->r, "%s", msg);
    }
    gh__report_pop(b->r);
  }
}

/* Builds each entry of a map section into list (with room for `extra` more). */
#define BUILD_MAP(b, sect, list, n, build_one, extra)                 \
  do {                                                                \
    const cJSON *map_ = section(b, sect, cJSON_Object);              \
    size_t count_ = (extra);                                          \
    FOR_EACH_ENTRY(b, map_, m_) count_++;                             \
    if (count_ && !((list) = gh__calloc(count_, sizeof *(list)))) {   \
      (b)->failed_alloc = true;                                       \
      break;                                                          \
    }                                                                 \
    gh__report_push_name((b)->r, sect);                               \
    FOR_EACH_ENTRY(b, map_, m_) {                                     \
      gh__report_push_name((b)->r, m_->string);                       \
      (list)[(n)].name = gh__cfg_dup(b, m_->string);                  \
      if ((list)[(n)].name) build_one(b, m_, &(list)[(n)]);           \
      (n)++;                                                          \
      gh__report_pop((b)->r);                                         \
    }                                                                 \
    gh__report_pop((b)->r);                                           \
  } while (0)

/* ---- APIs, versions and routes ---- */


int gh__snapshot_build(const char *json, size_t len, const gh__build_context *ctx, gh__snapshot **out, char *errors,
                       size_t errors_cap) {
  static const char *const known[] = {"gatehouse", "settings", "redis", "realms", "policies", "limits",
                                      "transforms", "upstreams", "apis", "routes", "plans", "consumers",
                                      "analytics", NULL};
  *out = NULL;
  if (errors && errors_cap) errors[0] = 0;
  if (len > GH_GATEWAY_MAX_CONFIG_BYTES) {
    gh__set_msg(errors, errors_cap, "$: the document is %zu bytes; at most %u are accepted", len,
                GH_GATEWAY_MAX_CONFIG_BYTES);
    return GH_ETOOBIG;
  }
  cJSON *root = NULL;
  char msg[256] = "";
  int rc = gh__json_parse(json, len, GH_GATEWAY_MAX_CONFIG_BYTES, CONFIG_MAX_DEPTH, &root, msg, sizeof msg);
  if (rc) {
    if (rc != GH_ENOMEM) gh__set_msg(errors, errors_cap, "$: not valid JSON: %s", msg);
    return rc;
  }
  gh__config_report report;
  gh__report_init(&report, json, len);
  gh__cfg b = {.r = &report, .ctx = ctx, .root = root};
  gh__snapshot *s = b.s = gh__calloc(1, sizeof *s);
  if (!s) {
    cJSON_Delete(root);
    return GH_ENOMEM;
  }
  if (!cJSON_IsObject(root)) {
    gh__report_error(&report, "the configuration is a JSON object");
  } else {
    gh__report_unknown_members(&report, root, known);
    const cJSON *format = gh__cfg_member(&b, root, "gatehouse", cJSON_Number, "the format version, 1", true);
    if (format && format->valuedouble != 1) {
      gh__report_push_name(&report, "gatehouse");
      gh__report_error(&report, "this library reads format 1");
      gh__report_pop(&report);
    }
    build_settings(&b);
    BUILD_MAP(&b, "realms", s->realms, s->n_realms, gh__cfg_realm, 0);
    build_named(&b, "policies", &s->policies, &s->n_policies, parse_policy);
    build_named(&b, "transforms", &s->transforms, &s->n_transforms, parse_transform);
    size_t plan_limits = gh__cfg_plan_limit_count(root);
    BUILD_MAP(&b, "limits", s->limits, s->n_limits, gh__cfg_limit, plan_limits);
    if (plan_limits && !s->limits && !b.failed_alloc) s->limits = gh__calloc(plan_limits, sizeof *s->limits);
    if (plan_limits && !s->limits) b.failed_alloc = true;
    else gh__cfg_plans(&b);
    BUILD_MAP(&b, "upstreams", s->pools, s->n_pools, build_pool, 0);
    gh__cfg_apis(&b);
    gh__cfg_consumers(&b);
    gh__cfg_analytics(&b);
  }
  cJSON_Delete(root);
  if (b.failed_alloc || report.out.failed) rc = GH_ENOMEM;
  else if (report.count) rc = GH_EPARSE;
  if (!rc) rc = gh_router_build(s->router);
  for (size_t i = 0; !rc && i < s->n_limits && !s->may_wait; i++) s->may_wait = s->limits[i].strict;
  for (size_t r = 0; !rc && r < s->n_realms && !s->may_wait; r++) s->may_wait = s->realms[r].n_ctxs > 0;
  if (!rc) {
    s->document = gh__strndup(json, len);
    s->document_len = len;
    if (!s->document) rc = GH_ENOMEM;
  }
  if (rc) {
    if (rc == GH_EPARSE && report.out.p && errors && errors_cap) {
      gh__buf_puts(&report.out, "");
      size_t n = report.out.len < errors_cap - 1 ? report.out.len : errors_cap - 1;
      memcpy(errors, report.out.p, n);
      errors[n] = 0;
      if (n && errors[n - 1] == '\n') errors[n - 1] = 0;
    } else if (rc == GH_ENOMEM) {
      gh__set_msg(errors, errors_cap, "$: out of memory");
    }
    gh__report_free(&report);
    gh__snapshot_free(s);
    return rc;
  }
  gh__report_free(&report);
  *out = s;
  return GH_OK;
}
