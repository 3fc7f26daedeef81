/* Strict JSON: RFC 8259 grammar checked by a bounded scanner before cJSON
 * builds the tree, then duplicate member names rejected (cJSON alone keeps the
 * first and accepts leading zeros, raw control characters, "\u0000" that would
 * truncate a C string, and lone surrogates). */
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

/* Object member by exact name, or NULL. */
const cJSON *gh__json_member(const cJSON *obj, const char *name);
/* Member that must be a string when present: GH_OK (*out NULL when absent) or GH_EPARSE. */
int gh__json_string(const cJSON *obj, const char *name, const char **out);
/* Resolves a dotted path ("realm_access.roles") through nested objects. */
const cJSON *gh__json_path(const cJSON *root, const char *path, size_t path_len);

#endif
