/* Token binding checks: cnf.jkt (RFC 9449 section 6) and cnf.x5t#S256
 * (RFC 8705 section 3), for principals (gh_principal_check_binding) and for
 * realm identities (realm.c). */
#include "binding.h"

#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"

static bool same(const char *a, const char *b) { return strlen(a) == strlen(b) && gh__ct_equal(a, b, strlen(a)); }

int gh__binding_check(const char *cnf_jkt, const char *cnf_x5t, const char *dpop_jkt, const unsigned char *cert_sha256,
                      int *reason) {
  if (cnf_jkt) {
    if (!dpop_jkt) return *reason = GH_DPOP_PROOF_REQUIRED, GH_EDENIED;
    if (!same(cnf_jkt, dpop_jkt)) return *reason = GH_DPOP_BINDING_MISMATCH, GH_EDENIED;
  }
  if (cnf_x5t) {
    char hash[GH__B64URL_ENCODED_LEN(32) + 1];
    if (!cert_sha256) return *reason = GH_DPOP_CERT_MISMATCH, GH_EDENIED;
    gh__b64url_encode(cert_sha256, 32, hash);
    if (!same(cnf_x5t, hash)) return *reason = GH_DPOP_CERT_MISMATCH, GH_EDENIED;
  }
  *reason = GH_DPOP_OK;
  return GH_OK;
}

int gh_principal_check_binding(const gh_principal *p, const char *dpop_jkt, size_t dpop_jkt_len,
                               const unsigned char *cert_sha256, int *reason) {
  int why_storage;
  if (!reason) reason = &why_storage;
  *reason = GH_DPOP_OK;
  if (!p || (!dpop_jkt && dpop_jkt_len)) return GH_EINVAL;
  const char *jkt = NULL, *x5t = NULL;
  int rc = gh_principal_claim_string(p, "cnf.jkt", 7, &jkt);
  if (rc == GH_ENOMEM) return rc;
  rc = gh_principal_claim_string(p, "cnf.x5t#S256", 12, &x5t);
  if (rc == GH_ENOMEM) return rc;
  char proven[GH_DPOP_JKT_LEN + 1] = ""; /* a thumbprint has one length: any other matches nothing */
  if (dpop_jkt && dpop_jkt_len == GH_DPOP_JKT_LEN) memcpy(proven, dpop_jkt, GH_DPOP_JKT_LEN);
  return gh__binding_check(jkt, x5t, dpop_jkt ? proven : NULL, cert_sha256, reason);
}
