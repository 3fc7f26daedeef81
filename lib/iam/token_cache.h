/* Verified-token cache: bounded, sharded, thread-safe. */
#ifndef GH_TOKEN_CACHE_H
#define GH_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/jwt.h"

typedef struct gh__token_cache gh__token_cache;

int gh__token_cache_new(gh__token_cache **out, size_t max_entries);
void gh__token_cache_free(gh__token_cache *c);
/* A new reference to the principal verified for exactly this token under key
 * set generation gen, if still fresh at now_ms; NULL otherwise. */
gh_principal *gh__token_cache_get(gh__token_cache *c, const char *token, size_t len, uint64_t gen, int64_t now_ms);
/* Remembers the token until expires_ms. Allocation failure only skips caching. */
void gh__token_cache_put(gh__token_cache *c, const char *token, size_t len, uint64_t gen, int64_t expires_ms,
                         gh_principal *p);
/* Entries currently held (for tests and metrics). */
size_t gh__token_cache_size(gh__token_cache *c);

#endif
