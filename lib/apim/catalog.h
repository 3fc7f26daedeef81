/* The API catalog: APIs, their versions and each version's lifecycle
 * (draft → published → deprecated → retired), and what the lifecycle says on
 * the wire: RFC 9745 Deprecation, RFC 8594 Sunset, Link to the successor,
 * and 410 Gone for a retired version. */
#ifndef GH_CATALOG_H
#define GH_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH__API_DRAFT 0
#define GH__API_PUBLISHED 1
#define GH__API_DEPRECATED 2
#define GH__API_RETIRED 3

#define GH__NO_DATE INT64_MIN

typedef struct gh__api_version {
  char *api, *version, *title;
  int state;
  int64_t deprecated_s, sunset_s; /* Unix seconds, or GH__NO_DATE */
  char *successor;                /* a version of the same API, or NULL */
  char *successor_url;            /* where it lives (its base path unless configured), or NULL */
  char *deprecation_url;          /* a human-readable deprecation policy (RFC 9745 §3), or NULL */
  char **draft_roles;             /* who may call a draft */
  size_t n_draft_roles;
  char *base_path; /* "" when versions are negotiated by header or media type */
  bool negotiated;
  bool subscription_required; /* consumers call it only through an active subscription */
  /* rendered once: the response headers a deprecated version adds */
  char *deprecation_value, *sunset_value, *link_value;
} gh__api_version;

/* "draft", "published", "deprecated", "retired" → GH__API_*, or -1. */
int gh__api_state_parse(const char *s);
const char *gh__api_state_name(int state);

/* Renders the lifecycle's header values (call once the members are set). GH_OK or GH_ENOMEM. */
int gh__api_version_render(gh__api_version *v);
void gh__api_version_clear(gh__api_version *v);

/* The problem+json body (RFC 9457) of a retired version's 410, into a
 * fresh allocation (*out, *len). GH_OK or GH_ENOMEM. */
int gh__api_version_gone(const gh__api_version *v, char **out, size_t *len);

/* Is the version reachable now? A deprecated version whose sunset has passed
 * is treated as retired (RFC 8594 §3: after the sunset the resource may stop responding). */
bool gh__api_version_retired_at(const gh__api_version *v, int64_t now_ms);

#endif
