/* Strict JSON: one bounded scanner checks the RFC 8259 grammar and rejects
 * duplicate member names at every depth before cJSON builds a tree (cJSON alone
 * keeps the first duplicate and accepts leading zeros, raw control characters,
 * "\u0000" that would truncate a C string, and lone surrogates). Hot paths
 * that need only a few top-level members use gh__json_scan and build no tree. */
#ifndef GH_JSON_H
#define GH_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define GH_JSON_DEFAULT_MAX_DEPTH 32

/* Parses (p, n). Returns GH_OK with *out (free with cJSON_Delete),
 * GH_ETOOBIG (size or depth limit), GH_EPARSE (msg says where) or GH_ENOMEM. */
int gh__json_parse(const char *p, size_t n, size_t max_bytes, int max_depth, cJSON **out, char *msg,
                   size_t msgcap);

/* Decoded member names longer than this reach callbacks as NULL. */
#define GH__JSON_NAME_MAX 128

/* A top-level member: name decoded (NULL when longer than GH__JSON_NAME_MAX),
 * value as raw JSON text (a string value keeps its quotes). */
typedef void (*gh__json_member_fn)(void *ud, const char *name, size_t name_len, const char *value, size_t value_len);

/* Validates (p, n) exactly as gh__json_parse does, duplicates included, but
 * builds no tree: for a top-level object, on_member sees each member. */
int gh__json_scan(const char *p, size_t n, size_t max_bytes, int max_depth, gh__json_member_fn on_member, void *ud,
                  bool *is_object, char *msg, size_t msgcap);

/* Unescapes the inside of a validated JSON string (quotes excluded) into out;
 * returns the length, or SIZE_MAX when cap is too small. No NUL is written. */
size_t gh__json_unescape(const char *raw, size_t len, char *out, size_t cap);

/* Appends (s, n) as a JSON string, quoted and escaped (RFC 8259 §7); invalid
 * UTF-8 passes through as it came, so callers give it text they checked. */
struct gh__buf;
void gh__buf_put_json_string(struct gh__buf *b, const char *s, size_t n);
/* The same without the quotes, for text built up in pieces. */
void gh__buf_put_json_string_body(struct gh__buf *b, const char *s, size_t n);

/* Object member by exact name, or NULL. */
const cJSON *gh__json_member(const cJSON *obj, const char *name);
/* Member that must be a string when present: GH_OK (*out NULL when absent) or GH_EPARSE. */
int gh__json_string(const cJSON *obj, const char *name, const char **out);
/* Resolves a dotted path ("realm_access.roles") through nested objects. */
const cJSON *gh__json_path(const cJSON *root, const char *path, size_t path_len);

#endif
