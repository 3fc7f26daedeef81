/* Shared by realm.c, idp.c, identity.c and auth_request.c. */
#ifndef GH_REALM_INTERNAL_H
#define GH_REALM_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../core/expiring_map.h"
#include "claims.h"
#include "gatehouse/realm.h"

typedef enum gh__idp_kind { GH__IDP_JWT, GH__IDP_APIKEY, GH__IDP_INTROSPECTION, GH__IDP_CUSTOM } gh__idp_kind;

struct gh_idp {
  atomic_size_t refs;
  gh__idp_kind kind;
  char *name;
  gh_jwt_verifier *verifier;
  gh_apikey_store *store;
  gh_introspect_fn introspect;
  gh_custom_auth_fn custom;
  void *ud;
  int64_t cache_ttl_ms;
  gh__expiring_map *cache; /* introspection: token -> identity */
  gh__strs roles, scopes, groups; /* claim paths */
  atomic_uint_fast64_t mapping; /* unique per idp and mapping: what identities built by it are memoized under */
};

struct gh_identity {
  atomic_size_t refs;
  char *subject, *realm, *idp, *client_id, *acr, *jti, *cnf_jkt, *cnf_x5t;
  gh__strs roles, scopes, groups, amr;
  char *claims;
  size_t claims_len;
  int64_t expires_ms; /* 0: none */
  uint64_t mapping;   /* the idp's mapping it was built with */
};

struct gh_auth_request {
  char *authorization, *api_key, *dpop, *method, *uri;
  size_t authorization_len, api_key_len, dpop_len, method_len, uri_len;
  bool has_cert;
  unsigned char cert_sha256[32];
};

/* Outcome of one IdP for one credential. */
typedef enum gh__idp_outcome { GH__IDP_ACCEPTED, GH__IDP_NOT_MINE, GH__IDP_REJECTED } gh__idp_outcome;

/* Tries a credential: *outcome says whether the IdP accepted, passed, or
 * rejected it (then *reason and detail). Returns GH_OK or an error. */
int gh__idp_try(gh_idp *idp, const char *realm, bool is_api_key, const char *cred, size_t len, int64_t now_ms,
                gh_identity **out, gh__idp_outcome *outcome, int *reason, char *detail, size_t detail_cap);
gh_idp *gh__idp_ref(gh_idp *idp);

/* identity.c: an identity from a claims tree (JSON text kept), mapped by the
 * IdP's role and group paths and the given scope paths. */
int gh__identity_from_claims(const cJSON *claims, const char *text, size_t text_len, const gh_idp *idp,
                             const gh__strs *scope_paths, const char *realm, gh_identity **out);
gh_identity *gh__identity_ref(gh_identity *id);
/* Formats a WWW-Authenticate value (RFC 6750 section 3); error and extras may be NULL. */
void gh__challenge(char *out, size_t cap, const char *scheme, const char *realm, const char *error,
                   const char *description, const char *extra_name, const char *extra_value);

#endif
