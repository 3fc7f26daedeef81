/* The API-management sections: "plans" (limits and quotas that each consumer
 * on a plan has to itself), "consumers" (how each is recognised, its plan,
 * its subscriptions) and "analytics" (metrics and usage). */
#include <stdio.h>
#include <string.h>

#include "../apim/metrics.h"
#include "../apim/usage.h"
#include "../core/json.h"
#include "config_build.h"

#define DEFAULT_MAX_SERIES 1000

size_t gh__cfg_plan_limit_count(const cJSON *root) {
  size_t n = 0;
  const cJSON *plans = gh__json_member(root, "plans");
  for (const cJSON *p = cJSON_IsObject(plans) ? plans->child : NULL; p; p = p->next) {
    const cJSON *limits = cJSON_IsObject(p) ? gh__json_member(p, "limits") : NULL;
    for (const cJSON *l = cJSON_IsObject(limits) ? limits->child : NULL; l; l = l->next) n++;
  }
  return n;
}

/* One limit of a plan: built as the "limits" section's are, named "plan:limit", keyed by consumer. */
static const gh__gw_limit *plan_limit(gh__cfg *b, const char *plan, const cJSON *def) {
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return NULL;
  }
  if (gh__json_member(def, "key")) {
    gh__report_push_name(b->r, "key");
    gh__report_error(b->r, "a plan's limits are kept per consumer: leave \"key\" out");
    gh__report_pop(b->r);
    return NULL;
  }
  cJSON *own = cJSON_Duplicate(def, 1);
  gh__gw_limit *l = &b->s->limits[b->s->n_limits];
  char name[512];
  snprintf(name, sizeof name, "%s:%s", plan, def->string);
  if (!own || !cJSON_AddStringToObject(own, "key", "consumer") || !(l->name = gh__cfg_dup(b, name))) {
    cJSON_Delete(own);
    b->failed_alloc = true;
    return NULL;
  }
  b->s->n_limits++;
  gh__cfg_limit(b, own, l);
  cJSON_Delete(own);
  return l;
}

void gh__cfg_plans(gh__cfg *b) {
  static const char *const known[] = {"title", "limits", NULL};
  const cJSON *plans = gh__cfg_member(b, b->root, "plans", cJSON_Object, "an object of plans", false);
  size_t count = 0;
  for (const cJSON *p = plans ? plans->child : NULL; p; p = p->next) count++;
  if (count && !(b->s->plans = gh__calloc(count, sizeof *b->s->plans))) {
    b->failed_alloc = true;
    return;
  }
  gh__report_push_name(b->r, "plans");
  for (const cJSON *p = plans ? plans->child : NULL; p; p = p->next) {
    gh__report_push_name(b->r, p->string);
    gh__gw_plan *plan = &b->s->plans[b->s->n_plans++];
    plan->name = gh__cfg_dup(b, p->string);
    if (!cJSON_IsObject(p)) {
      gh__report_error(b->r, "must be an object");
      gh__report_pop(b->r);
      continue;
    }
    gh__report_unknown_members(b->r, p, known);
    plan->title = gh__cfg_dup(b, gh__cfg_string(b, p, "title", false));
    const cJSON *limits = gh__cfg_member(b, p, "limits", cJSON_Object, "an object of limits", false);
    size_t n = 0;
    for (const cJSON *l = limits ? limits->child : NULL; l; l = l->next) n++;
    if (n && !(plan->limits = gh__calloc(n, sizeof *plan->limits))) b->failed_alloc = true;
    gh__report_push_name(b->r, "limits");
    for (const cJSON *l = limits ? limits->child : NULL; l && plan->limits && plan->name; l = l->next) {
      gh__report_push_name(b->r, l->string);
      const gh__gw_limit *built = plan_limit(b, plan->name, l);
      if (built) plan->limits[plan->n_limits++] = built, plan->quota |= built->quota;
      gh__report_pop(b->r);
    }
    gh__report_pop(b->r);
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

/* ---- consumers ---- */

/* Records that (kind, id) identifies consumer `index`; an id already taken is an error. */
static void identify(gh__cfg *b, char kind, const char *id, uint32_t index) {
  gh__snapshot *s = b->s;
  char key[300];
  size_t n = strlen(id);
  if (n + 1 > sizeof key) {
    gh__report_error(b->r, "at most %zu bytes", sizeof key - 1);
    return;
  }
  key[0] = kind;
  memcpy(key + 1, id, n);
  uint32_t at = 0;
  int added = 0;
  if (gh__strmap_intern(&s->consumer_ids, key, n + 1, &at, &added)) {
    b->failed_alloc = true;
    return;
  }
  if (!added) {
    if (s->consumer_of[at] != index)
      gh__report_error(b->r, "\"%s\" already identifies consumer \"%s\"", id, s->consumers[s->consumer_of[at]].name);
    return;
  }
  uint32_t *grown = gh__realloc(s->consumer_of, (at + 1) * sizeof *grown);
  if (!grown) {
    b->failed_alloc = true;
    return;
  }
  s->consumer_of = grown;
  s->consumer_of[at] = index;
}

typedef struct id_ctx {
  uint32_t index;
  char kind;
} id_ctx;

static void identify_each(gh__cfg *b, void *ud, const char *id) {
  const id_ctx *c = ud;
  identify(b, c->kind, id, c->index);
}

static void check_digest(gh__cfg *b, const char *digest) {
  unsigned char d[32];
  if (!gh__cfg_sha256_hex(digest, d))
    gh__report_error(b->r, "must be the key's SHA-256 as 64 lower-case hex digits (never the key itself)");
}

/* A consumer's API key: its digest, or {"sha256", "scopes", "expires"} (added to providers in config_realms.c). */
static void check_keys(gh__cfg *b, const cJSON *cred) {
  static const char *const known[] = {"sha256", "scopes", "expires", NULL};
  const cJSON *keys = gh__cfg_member(b, cred, "api_keys", cJSON_Array, "an array of keys", false);
  gh__report_push_name(b->r, "api_keys");
  size_t i = 0;
  for (const cJSON *k = keys ? keys->child : NULL; k; k = k->next, i++) {
    gh__report_push_index(b->r, i);
    if (cJSON_IsString(k)) {
      check_digest(b, k->valuestring);
    } else if (!cJSON_IsObject(k)) {
      gh__report_error(b->r, "a key's SHA-256 digest, or an object with \"sha256\"");
    } else {
      gh__report_unknown_members(b->r, k, known);
      const char *digest = gh__cfg_string(b, k, "sha256", true);
      gh__cfg_string(b, k, "scopes", false);
      gh__cfg_date(b, k, "expires");
      if (digest) {
        gh__report_push_name(b->r, "sha256");
        check_digest(b, digest);
        gh__report_pop(b->r);
      }
    }
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

static bool api_known(const gh__snapshot *s, const char *api, const char *version) {
  for (size_t i = 0; i < s->n_versions; i++)
    if (s->versions[i].api && !strcmp(s->versions[i].api, api) &&
        (!version || (s->versions[i].version && !strcmp(s->versions[i].version, version))))
      return true;
  return false;
}

static void subscription(gh__cfg *b, const cJSON *def, gh__gw_consumer *c) {
  static const char *const known[] = {"api", "version", "state", NULL};
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  gh__report_unknown_members(b->r, def, known);
  const char *api = gh__cfg_string(b, def, "api", true);
  const char *version = gh__cfg_string(b, def, "version", false);
  const char *state = gh__cfg_string(b, def, "state", false);
  if (version && !strcmp(version, "*")) version = NULL;
  gh__gw_subscription *sub = &c->subscriptions[c->n_subscriptions];
  sub->state = GH__SUB_ACTIVE;
  if (state && strcmp(state, "active")) {
    if (!strcmp(state, "suspended")) {
      sub->state = GH__SUB_SUSPENDED;
    } else {
      gh__report_push_name(b->r, "state");
      gh__report_error(b->r, "must be \"active\" or \"suspended\"");
      gh__report_pop(b->r);
    }
  }
  if (!api) return;
  if (!api_known(b->s, api, NULL)) {
    gh__report_push_name(b->r, "api");
    gh__report_error(b->r, "no API named \"%s\" in \"apis\"", api);
    gh__report_pop(b->r);
  } else if (version && !api_known(b->s, api, version)) {
    gh__report_push_name(b->r, "version");
    gh__report_error(b->r, "API \"%s\" has no version \"%s\"", api, version);
    gh__report_pop(b->r);
  }
  for (size_t i = 0; i < c->n_subscriptions; i++)
    if (!strcmp(c->subscriptions[i].api, api) && !c->subscriptions[i].version == !version &&
        (!version || !strcmp(c->subscriptions[i].version, version)))
      gh__report_error(b->r, "a second subscription to API \"%s\" version \"%s\"", api, version ? version : "*");
  sub->api = gh__cfg_dup(b, api);
  sub->version = gh__cfg_dup(b, version);
  c->n_subscriptions++;
}

static bool takes_consumer_keys(const cJSON *root) {
  const cJSON *realms = gh__json_member(root, "realms");
  for (const cJSON *r = cJSON_IsObject(realms) ? realms->child : NULL; r; r = r->next) {
    const cJSON *providers = gh__json_member(r, "providers");
    for (const cJSON *p = cJSON_IsArray(providers) ? providers->child : NULL; p; p = p->next)
      if (cJSON_IsTrue(gh__json_member(p, "consumer_keys"))) return true;
  }
  return false;
}

static void consumer(gh__cfg *b, const cJSON *def, uint32_t index) {
  static const char *const known[] = {"title", "plan", "credentials", "subscriptions", NULL};
  static const char *const cred_known[] = {"api_keys", "client_ids", "subjects", NULL};
  gh__gw_consumer *c = &b->s->consumers[index];
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  gh__report_unknown_members(b->r, def, known);
  identify(b, 's', c->name, index); /* an API key of a consumer authenticates as the consumer's name */
  const char *plan = gh__cfg_string(b, def, "plan", false);
  for (size_t i = 0; plan && i < b->s->n_plans && !c->plan; i++)
    if (b->s->plans[i].name && !strcmp(b->s->plans[i].name, plan)) c->plan = &b->s->plans[i];
  if (plan && !c->plan) {
    gh__report_push_name(b->r, "plan");
    gh__cfg_unknown_reference(b, "plan", plan, "plans");
    gh__report_pop(b->r);
  }
  const cJSON *cred = gh__cfg_member(b, def, "credentials", cJSON_Object, "an object", false);
  if (cred) {
    gh__report_push_name(b->r, "credentials");
    gh__report_unknown_members(b->r, cred, cred_known);
    id_ctx subjects = {index, 's'}, clients = {index, 'c'};
    gh__cfg_strings(b, cred, "subjects", identify_each, &subjects);
    gh__cfg_strings(b, cred, "client_ids", identify_each, &clients);
    check_keys(b, cred);
    if (gh__json_member(cred, "api_keys") && !takes_consumer_keys(b->root)) {
      gh__report_push_name(b->r, "api_keys");
      gh__report_error(b->r,
                       "no provider takes consumers' keys: set \"consumer_keys\": true on an \"api_key\" provider");
      gh__report_pop(b->r);
    }
    gh__report_pop(b->r);
  }
  const cJSON *subs = gh__cfg_member(b, def, "subscriptions", cJSON_Array, "an array of subscriptions", false);
  size_t n = 0;
  for (const cJSON *e = subs ? subs->child : NULL; e; e = e->next) n++;
  if (n && !(c->subscriptions = gh__calloc(n, sizeof *c->subscriptions))) b->failed_alloc = true;
  gh__report_push_name(b->r, "subscriptions");
  size_t i = 0;
  for (const cJSON *e = subs ? subs->child : NULL; e && c->subscriptions; e = e->next, i++) {
    gh__report_push_index(b->r, i);
    subscription(b, e, c);
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

/* A request takes its route's limits and its consumer's plan's together, all or nothing. */
static void check_plan_sizes(gh__cfg *b) {
  size_t most = 0;
  const char *route = NULL;
  for (size_t i = 0; i < b->s->n_routes; i++)
    if (b->s->routes[i].n_limits > most) most = b->s->routes[i].n_limits, route = b->s->routes[i].name;
  for (size_t i = 0; i < b->s->n_plans; i++) {
    const gh__gw_plan *p = &b->s->plans[i];
    if (p->n_limits + most <= GH__ROUTE_MAX_LIMITS || !p->name) continue;
    gh__report_push_name(b->r, "plans");
    gh__report_push_name(b->r, p->name);
    gh__report_error(b->r, "%zu limits here and %zu on route \"%s\": a request takes at most %d", p->n_limits, most,
                     route ? route : "", GH__ROUTE_MAX_LIMITS);
    gh__report_pop(b->r);
    gh__report_pop(b->r);
  }
}

void gh__cfg_consumers(gh__cfg *b) {
  check_plan_sizes(b);
  const cJSON *consumers = gh__cfg_member(b, b->root, "consumers", cJSON_Object, "an object of consumers", false);
  size_t count = 0;
  for (const cJSON *c = consumers ? consumers->child : NULL; c; c = c->next) count++;
  if (gh__strmap_init(&b->s->consumer_ids) ||
      (count && !(b->s->consumers = gh__calloc(count, sizeof *b->s->consumers)))) {
    b->failed_alloc = true;
    return;
  }
  gh__report_push_name(b->r, "consumers");
  for (const cJSON *c = consumers ? consumers->child : NULL; c; c = c->next) {
    gh__report_push_name(b->r, c->string);
    uint32_t index = (uint32_t)b->s->n_consumers++;
    if ((b->s->consumers[index].name = gh__cfg_dup(b, c->string))) consumer(b, c, index);
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

/* ---- analytics ---- */

static void free_metrics(void *m) { gh__metrics_free(m); }
static void free_usage(void *u) { gh__usage_free(u); }

/* The previous snapshot's holder when it was made for the same size, else a new one. */
static gh__held *kept_or_new(gh__cfg *b, gh__held *previous, uint64_t definition, void *(*make)(size_t),
                             void (*free_object)(void *), size_t max) {
  if (previous && previous->definition == definition) return gh__held_ref(previous);
  void *object = make(max);
  gh__held *h = object ? gh__held_new(object, free_object, definition) : NULL;
  if (!h) {
    if (object) free_object(object);
    b->failed_alloc = true;
  }
  return h;
}

static void *make_metrics(size_t max) { return gh__metrics_new(max); }
static void *make_usage(size_t max) { return gh__usage_new(max); }

void gh__cfg_analytics(gh__cfg *b) {
  static const char *const known[] = {"metrics", "max_series", NULL};
  const cJSON *a = gh__cfg_member(b, b->root, "analytics", cJSON_Object, "an object", false);
  bool metrics = true;
  size_t max = DEFAULT_MAX_SERIES;
  if (a) {
    gh__report_push_name(b->r, "analytics");
    gh__report_unknown_members(b->r, a, known);
    const cJSON *on = gh__cfg_member(b, a, "metrics", cJSON_True | cJSON_False, "true or false", false);
    if (on) metrics = cJSON_IsTrue(on);
    const cJSON *n = gh__cfg_member(b, a, "max_series", cJSON_Number, "a number of label sets", false);
    if (n) {
      int64_t v = 0;
      if (!gh__double_to_int64(n->valuedouble, &v) || v < 1 || v > 1000000) {
        gh__report_push_name(b->r, "max_series");
        gh__report_error(b->r, "must be a whole number from 1 to 1000000");
        gh__report_pop(b->r);
      } else {
        max = (size_t)v;
      }
    }
    gh__report_pop(b->r);
  }
  if (!b->ctx->gw || b->r->count) return; /* checking only, or failing: nothing to allocate */
  const gh__snapshot *prev = b->ctx->previous;
  if (metrics) gh__ns_per_tick(); /* calibrated before any decision is timed */
  if (metrics) b->s->metrics = kept_or_new(b, prev ? prev->metrics : NULL, max, make_metrics, free_metrics, max);
  b->s->usage = kept_or_new(b, prev ? prev->usage : NULL, max, make_usage, free_usage, max);
}
