/* The verified caller: claims tree and the header facts that produced it. */
#ifndef GH_PRINCIPAL_H
#define GH_PRINCIPAL_H

#include "jws.h"
#include "gatehouse/jwt.h"

/* Takes ownership of jws->payload and of claims (cleared on return either way). */
int gh__principal_new(gh_principal **out, gh__jws *jws, cJSON *claims);
gh_principal *gh__principal_ref(gh_principal *p);

#endif
