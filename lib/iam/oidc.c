/* OIDC discovery / RFC 8414 metadata: parse, check, keep what a verifier needs. */
#include "gatehouse/oidc.h"

#include <string.h>

#include "../core/core.h"
#include "../core/json.h"

struct gh_oidc_metadata {
  cJSON *doc;
  const char *issuer, *jwks_uri, *introspection, *token;
};

static bool https_url(const char *s, bool allow_query) {
  if (strncmp(s, "https://", 8) != 0 || !s[8] || s[8] == '/') return false;
  return allow_query || !strpbrk(s, "?#");
}

int gh_oidc_metadata_parse(gh_oidc_metadata **out, const char *json, size_t len, const char *expected_issuer,
                           char *msg, size_t msg_cap) {
  if (!out || !expected_issuer || (!json && len)) return GH_EINVAL;
  *out = NULL;
  cJSON *doc;
  int rc = gh__json_parse(json, len, GH_OIDC_MAX_BYTES, 16, &doc, msg, msg_cap);
  if (rc) return rc;
  gh_oidc_metadata *m = gh__calloc(1, sizeof *m);
  if (!m) {
    cJSON_Delete(doc);
    return GH_ENOMEM;
  }
  m->doc = doc;
  rc = GH_EPARSE;
  if (!cJSON_IsObject(doc)) gh__set_msg(msg, msg_cap, "metadata is not a JSON object");
  else if (gh__json_string(doc, "issuer", &m->issuer) || !m->issuer)
    gh__set_msg(msg, msg_cap, "metadata has no string \"issuer\"");
  else if (!https_url(m->issuer, false))
    gh__set_msg(msg, msg_cap, "issuer must be an https URL without query or fragment");
  else if (strcmp(m->issuer, expected_issuer) != 0) {
    gh__set_msg(msg, msg_cap, "issuer \"%.200s\" is not the expected \"%.200s\"", m->issuer, expected_issuer);
    rc = GH_EDENIED;
  } else if (gh__json_string(doc, "jwks_uri", &m->jwks_uri) || !m->jwks_uri || !https_url(m->jwks_uri, true))
    gh__set_msg(msg, msg_cap, "jwks_uri is missing or not an https URL");
  else if (gh__json_string(doc, "introspection_endpoint", &m->introspection) ||
           gh__json_string(doc, "token_endpoint", &m->token))
    gh__set_msg(msg, msg_cap, "an endpoint member is not a string");
  else if ((m->introspection && !https_url(m->introspection, true)) || (m->token && !https_url(m->token, true)))
    gh__set_msg(msg, msg_cap, "endpoints must be https URLs");
  else rc = GH_OK;
  if (rc) {
    gh_oidc_metadata_free(m);
    return rc;
  }
  *out = m;
  return GH_OK;
}

void gh_oidc_metadata_free(gh_oidc_metadata *m) {
  if (!m) return;
  cJSON_Delete(m->doc);
  gh__free(m);
}

const char *gh_oidc_issuer(const gh_oidc_metadata *m) { return m ? m->issuer : NULL; }
const char *gh_oidc_jwks_uri(const gh_oidc_metadata *m) { return m ? m->jwks_uri : NULL; }
const char *gh_oidc_introspection_endpoint(const gh_oidc_metadata *m) { return m ? m->introspection : NULL; }
const char *gh_oidc_token_endpoint(const gh_oidc_metadata *m) { return m ? m->token : NULL; }

int gh_oidc_supports_alg(const gh_oidc_metadata *m, const char *alg) {
  const cJSON *algs = m && alg ? gh__json_member(m->doc, "id_token_signing_alg_values_supported") : NULL, *e;
  cJSON_ArrayForEach(e, algs) if (cJSON_IsString(e) && strcmp(e->valuestring, alg) == 0) return 1;
  return 0;
}
