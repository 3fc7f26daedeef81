/* The one token-binding check, over a token's cnf values. */
#ifndef GH_BINDING_H
#define GH_BINDING_H

#include <stdbool.h>

#include "gatehouse/dpop.h"

/* A new reference to a verifier (realms take one: gh_realm_set_dpop). */
gh_dpop_verifier *gh__dpop_verifier_ref(gh_dpop_verifier *v);

/* cnf_jkt / cnf_x5t: the token's bindings (NULL: none); dpop_jkt: a verified
 * proof's key thumbprint; cert_sha256: the client certificate's hash (NULL: none).
 * GH_OK, or GH_EDENIED with a GH_DPOP_* reason. */
int gh__binding_check(const char *cnf_jkt, const char *cnf_x5t, const char *dpop_jkt, const unsigned char *cert_sha256,
                      int *reason);

#endif
