#include <string.h>

#include "../core/core.h"
#include "snapshot.h"

gh__held *gh__held_new(void *object, void (*free_object)(void *), uint64_t definition) {
  gh__held *h = gh__calloc(1, sizeof *h);
  if (!h) return NULL;
  atomic_init(&h->refs, 1);
  h->object = object;
  h->free_object = free_object;
  h->definition = definition;
  return h;
}

gh__held *gh__held_ref(gh__held *h) {
  atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
  return h;
}

void gh__held_unref(gh__held *h) {
  if (!h || atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1) return;
  h->free_object(h->object);
  gh__free(h);
}

static void free_realm(gh__gw_realm *r) {
  gh_realm_free(r->realm); /* first: its providers point into the verifiers and stores */
  for (size_t i = 0; i < r->n_verifiers; i++) {
    gh_jwt_verifier_free(r->verifiers[i]);
    gh__free(r->verifier_urls ? r->verifier_urls[i] : NULL);
    gh__free(r->verifier_discovery ? r->verifier_discovery[i] : NULL);
    gh__free(r->verifier_issuer ? r->verifier_issuer[i] : NULL);
  }
  gh__free(r->verifier_discovery), gh__free(r->verifier_issuer);
  for (size_t i = 0; i < r->n_stores; i++) gh_apikey_store_free(r->stores[i]);
  for (size_t i = 0; i < r->n_ctxs; i++) gh__free(r->ctxs[i]->endpoint), gh__free(r->ctxs[i]);
  gh__free(r->verifiers), gh__free(r->verifier_urls), gh__free(r->stores), gh__free(r->ctxs);
  gh__free(r->name), gh__free(r->api_key_header);
}

void gh__snapshot_free(gh__snapshot *s) {
  if (!s) return;
  gh_router_free(s->router);
  for (size_t i = 0; i < s->n_routes; i++) {
    gh__gw_route *r = &s->routes[i];
    gh__free(r->name), gh__free(r->method), gh__free(r->template);
    for (size_t k = 0; k < r->n_scopes; k++) gh__free(r->scopes[k]);
    gh__free(r->scopes), gh__free(r->limits);
    if (r->graphql) {
      for (size_t k = 0; k < r->graphql->n_operations; k++) gh__free(r->graphql->operations[k]);
      gh__free(r->graphql->operations), gh__free(r->graphql);
    }
  }
  gh__free(s->routes);
  for (size_t i = 0; i < s->n_versions; i++) gh__api_version_clear(&s->versions[i]);
  gh__free(s->versions);
  for (size_t i = 0; i < s->n_realms; i++) free_realm(&s->realms[i]);
  gh__free(s->realms);
  for (size_t i = 0; i < s->n_policies; i++) gh_policy_free(s->policies[i].object), gh__free(s->policies[i].name);
  gh__free(s->policies);
  for (size_t i = 0; i < s->n_transforms; i++)
    gh_transform_free(s->transforms[i].object), gh__free(s->transforms[i].name);
  gh__free(s->transforms);
  for (size_t i = 0; i < s->n_limits; i++) {
    gh__held_unref(s->limits[i].limiter);
    gh_limit_key_free(s->limits[i].key);
    gh__free(s->limits[i].policy_field), gh__free(s->limits[i].recipe);
    gh__free(s->limits[i].name);
  }
  gh__free(s->limits);
  for (size_t i = 0; i < s->n_pools; i++) {
    gh__held_unref(s->pools[i].upstream);
    gh__free(s->pools[i].name), gh__free(s->pools[i].hash_key);
  }
  gh__free(s->pools);
  for (size_t i = 0; i < s->n_jwks_urls; i++) gh__free(s->jwks_urls[i]);
  gh__free(s->jwks_urls);
  for (size_t i = 0; i < s->n_discovery_urls; i++) gh__free(s->discovery_urls[i]);
  gh__free(s->discovery_urls);
  gh__free(s->request_id_header);
  for (size_t i = 0; i < s->n_plans; i++) gh__free(s->plans[i].name), gh__free(s->plans[i].title), gh__free(s->plans[i].limits);
  gh__free(s->plans);
  for (size_t i = 0; i < s->n_consumers; i++) {
    gh__gw_consumer *c = &s->consumers[i];
    for (size_t k = 0; k < c->n_subscriptions; k++) gh__free(c->subscriptions[k].api), gh__free(c->subscriptions[k].version);
    gh__free(c->subscriptions), gh__free(c->name);
  }
  gh__free(s->consumers);
  gh__strmap_free(&s->consumer_ids);
  gh__free(s->consumer_of);
  gh__held_unref(s->metrics);
  gh__held_unref(s->usage);
  if (s->document) gh__free_secret(s->document, s->document_len); /* it may hold key digests and endpoints */
  gh__free(s);
}
