/* Shared by the configuration builder's files: the builder's state and the
 * typed-member helpers, each reporting its errors at their JSON path. */
#ifndef GH_CONFIG_BUILD_H
#define GH_CONFIG_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config_report.h"
#include "snapshot.h"

typedef struct gh__cfg {
  gh__config_report *r;
  const gh__build_context *ctx;
  gh__snapshot *s;
  const cJSON *root;
  bool failed_alloc;
  gh_redis *redis; /* from the "redis" section, when building for a gateway */
} gh__cfg;

/* The member `name` of obj when its type is in type_mask; reports a wrong type, or its absence when required. */
const cJSON *gh__cfg_member(gh__cfg *b, const cJSON *obj, const char *name, int type_mask, const char *what,
                            bool required);
const char *gh__cfg_string(gh__cfg *b, const cJSON *obj, const char *name, bool required);
/* A copy (NULL stays NULL); an allocation failure marks the build failed. */
char *gh__cfg_dup(gh__cfg *b, const char *s);
/* A member in seconds (documents speak seconds), as milliseconds; false when absent or bad. */
bool gh__cfg_seconds(gh__cfg *b, const cJSON *obj, const char *name, int64_t *ms);
/* A date member: RFC 3339 text or Unix seconds; GH__NO_DATE when absent or bad. */
int64_t gh__cfg_date(gh__cfg *b, const cJSON *obj, const char *name);
/* The same without reporting: false when m is not a date. */
bool gh__cfg_date_value(const cJSON *m, int64_t *t);
/* A string or array of strings member; fn(b, ud, s) per string, at its path. */
void gh__cfg_strings(gh__cfg *b, const cJSON *obj, const char *name, void (*fn)(gh__cfg *, void *, const char *),
                     void *ud);
/* "no X named Y; did you mean Z?" over the names a map defines. */
void gh__cfg_unknown_reference(gh__cfg *b, const char *kind, const char *name, const char *section_name);
/* An error a nested object's own parser reported as "path: message", located under the current path. */
void gh__cfg_nested_error(gh__cfg *b, const char *msg);
/* Appends p to a growable pointer list. */
bool gh__cfg_push(gh__cfg *b, void ***list, size_t *n, void *p);

/* A setter's answer: out of memory fails the build (true then too: nothing to report); false: the document's error. */
bool gh__cfg_settled(gh__cfg *b, int rc);
/* The canonical text of a definition, hashed: equal definitions keep their state across reloads. */
uint64_t gh__cfg_definition_hash(const cJSON *def, const char *kind);
/* An object as compact JSON text (cJSON_free it); NULL marks the build failed. */
char *gh__cfg_object_text(gh__cfg *b, const cJSON *obj, size_t *len);

/* A SHA-256 digest as 64 lower-case hex digits, into out; false when it is not one. */
bool gh__cfg_sha256_hex(const char *s, unsigned char out[32]);
/* A limit's definition (the "limits" section's form) into l, whose name is set. */
void gh__cfg_limit(gh__cfg *b, const cJSON *def, gh__gw_limit *l);

/* Sections built in their own files. */
size_t gh__cfg_plan_limit_count(const cJSON *root); /* room the plans' limits take in the snapshot's */
void gh__cfg_plans(gh__cfg *b);
void gh__cfg_consumers(gh__cfg *b);
void gh__cfg_analytics(gh__cfg *b);
void gh__cfg_apis(gh__cfg *b);
void gh__cfg_realm(gh__cfg *b, const cJSON *def, gh__gw_realm *realm);

#endif
