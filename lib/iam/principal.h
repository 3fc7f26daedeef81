/* The verified caller: registered facts decoded at verification, the payload
 * text, and its claims tree, built only when a host first asks for a claim. */
#ifndef GH_PRINCIPAL_H
#define GH_PRINCIPAL_H

#include <cjson/cJSON.h>

#include "claims.h"
#include "gatehouse/jwt.h"
#include "jws.h"

/* Takes ownership of jws->payload (cleared on return either way). */
int gh__principal_new(gh_principal **out, gh__jws *jws, const gh__registered *reg);
gh_principal *gh__principal_ref(gh_principal *p);
/* The claims tree (built on first use); NULL on allocation failure. */
const cJSON *gh__principal_tree(const gh_principal *p);
/* The identity memoized on the principal for an idp's mapping and a realm
 * (a new reference), or NULL; and keeping one (the first kept stays). */
struct gh_identity;
struct gh_identity *gh__principal_identity(const gh_principal *p, uint64_t mapping, const char *realm);
void gh__principal_keep_identity(gh_principal *p, struct gh_identity *id);

#endif
