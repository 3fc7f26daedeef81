/* Token binding checks on a verified principal: cnf.jkt (RFC 9449 section 6)
 * and cnf.x5t#S256 (RFC 8705 section 3). */
#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "gatehouse/dpop.h"

int gh_principal_check_binding(const gh_principal *p, const char *dpop_jkt, const unsigned char *cert_sha256,
                               int *reason) {
  int why_storage;
  if (!reason) reason = &why_storage;
  *reason = GH_DPOP_OK;
  if (!p) return GH_EINVAL;
  const char *jkt = NULL, *x5t = NULL;
  int rc = gh_principal_claim_string(p, "cnf.jkt", &jkt);
  if (rc == GH_ENOMEM) return rc;
  rc = gh_principal_claim_string(p, "cnf.x5t#S256", &x5t);
  if (rc == GH_ENOMEM) return rc;
  if (jkt) {
    if (!dpop_jkt) return *reason = GH_DPOP_PROOF_REQUIRED, GH_EDENIED;
    if (strlen(jkt) != strlen(dpop_jkt) || !gh__ct_equal(jkt, dpop_jkt, strlen(jkt)))
      return *reason = GH_DPOP_BINDING_MISMATCH, GH_EDENIED;
  }
  if (x5t) {
    char hash[GH__B64URL_ENCODED_LEN(32) + 1];
    if (!cert_sha256) return *reason = GH_DPOP_CERT_MISMATCH, GH_EDENIED;
    gh__b64url_encode(cert_sha256, 32, hash);
    if (strlen(x5t) != strlen(hash) || !gh__ct_equal(x5t, hash, strlen(hash)))
      return *reason = GH_DPOP_CERT_MISMATCH, GH_EDENIED;
  }
  return GH_OK;
}
