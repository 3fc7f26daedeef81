/* JSON Patch (RFC 6902) on a configuration document (config_patch.c). */
#ifndef GH_CONFIG_PATCH_H
#define GH_CONFIG_PATCH_H

#include <stddef.h>

#include "gatehouse/gateway.h"

/* The document with the patch applied, in a fresh allocation (*out; free
 * with gh__free_secret(*out, *out_len)). GH_OK; GH_EPARSE (msg names the
 * operation and why); GH_ETOOBIG; GH_ENOMEM. */
int gh__config_patch(const char *doc, size_t doc_len, const char *patch, size_t patch_len, char **out, size_t *out_len,
                     char *msg, size_t cap);

#endif
