/**
 * @file gatehouse/apikey.h
 * @brief API keys: a store that keeps only SHA-256 digests of keys.
 *
 * Add keys (or their digests, so plaintext never reaches the process) with
 * metadata, build, then look keys up from any thread: O(1), and the digest
 * comparison is constant-time. Revocation works after build (atomically);
 * adding keys means building a new store and swapping it in the host.
 */
#ifndef GATEHOUSE_APIKEY_H
#define GATEHOUSE_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_apikey_store gh_apikey_store;
typedef struct gh_apikey gh_apikey;

#define GH_APIKEY_MAX_LEN 512u
#define GH_APIKEY_DIGEST_LEN 32u
/** GH_APIKEY_MAX_LEN, for callers that cannot see macros. */
GH_EXTERN size_t gh_apikey_max_len(void);

/* Why a lookup was denied. */
#define GH_APIKEY_OK 0
#define GH_APIKEY_UNKNOWN 1
#define GH_APIKEY_EXPIRED 2
#define GH_APIKEY_REVOKED 3
#define GH_APIKEY_MALFORMED 4
/** The reason's name without prefix ("REVOKED"), or "UNKNOWN". Static, thread-safe. */
GH_EXTERN const char *gh_apikey_reason_name(int reason);

/** An empty store, configuring (gh_apikey_store_add*) until gh_apikey_store_build. @return GH_OK, GH_EINVAL,
 * GH_ENOMEM
 */
GH_EXTERN int gh_apikey_store_new(gh_apikey_store **out);
/** Frees the store and every entry. NULL is a no-op. */
GH_EXTERN void gh_apikey_store_free(gh_apikey_store *s);
/**
 * Adds a key (1..GH_APIKEY_MAX_LEN bytes; only its SHA-256 is kept).
 * @param consumer_id  owner of the key (copied)
 * @param scopes       space-separated scopes or roles (copied; may be NULL)
 * @param expires_ms   expiry in ms since the epoch, 0 for none
 * @return GH_OK, GH_EINVAL, GH_ENOMEM, GH_EMISUSE (after build)
 */
GH_EXTERN int gh_apikey_store_add(gh_apikey_store *s, const char *key, size_t len, const char *consumer_id,
                                  const char *scopes, int64_t expires_ms);
/** As gh_apikey_store_add with the key's SHA-256 digest (32 bytes) instead of the key. */
GH_EXTERN int gh_apikey_store_add_digest(gh_apikey_store *s, const unsigned char *digest, const char *consumer_id,
                                         const char *scopes, int64_t expires_ms);
/** Freezes the store and builds its index. GH_EEXIST when a key was added twice (the store stays unbuilt). */
GH_EXTERN int gh_apikey_store_build(gh_apikey_store *s);
/** Revokes a key from any thread, before or after build. GH_ENOTFOUND if unknown. */
GH_EXTERN int gh_apikey_store_revoke(gh_apikey_store *s, const char *key, size_t len);
/** Number of keys. */
GH_EXTERN size_t gh_apikey_store_count(const gh_apikey_store *s);

/**
 * Looks a presented key up.
 * @param out     on GH_OK the entry (valid while the store lives); may be NULL
 * @param reason  GH_APIKEY_* (may be NULL)
 * @return GH_OK, GH_EDENIED (see reason), GH_EMISUSE (not built)
 */
GH_EXTERN int gh_apikey_lookup(const gh_apikey_store *s, const char *key, size_t len, int64_t now_ms,
                               const gh_apikey **out, int *reason);
/** The consumer id the key was added with; lives as long as the store. Thread-safe. */
GH_EXTERN const char *gh_apikey_consumer(const gh_apikey *k);
/** Space-separated scopes, "" when none. */
GH_EXTERN const char *gh_apikey_scopes(const gh_apikey *k);
/** When the key expires (Unix ms), 0 when never. Thread-safe. */
GH_EXTERN int64_t gh_apikey_expires_ms(const gh_apikey *k);

#ifdef __cplusplus
}
#endif
#endif
