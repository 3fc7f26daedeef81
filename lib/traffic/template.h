/* Templates: text with {variables} from the caller's attributes, claims and the
 * route, compiled once and rendered per request. */
#ifndef GH_TEMPLATE_H
#define GH_TEMPLATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/core.h"
#include "gatehouse/router.h"

typedef enum gh__tp_kind { GH__TP_TEXT, GH__TP_CLAIM, GH__TP_PARAM, GH__TP_SUBJECT, GH__TP_CLIENT_ID, GH__TP_REALM, GH__TP_ROUTE } gh__tp_kind;

typedef struct gh__tpart {
  gh__tp_kind kind;
  char *text; /* literal text, claim path or parameter name */
  size_t len;
} gh__tpart;

typedef struct gh__template {
  gh__tpart *parts;
  size_t n;
} gh__template;

typedef struct gh__tvars {
  gh_attr_fn attr; /* the caller (gatehouse/attrs.h) */
  void *attr_ud;
  const cJSON *claims; /* parsed once per request when a template needs them */
  const gh_route_match *route;
} gh__tvars;

int gh__template_compile(const char *src, gh__template *out, char *msg, size_t cap);
void gh__template_free(gh__template *t);
bool gh__template_uses_claims(const gh__template *t);
/* Appends the rendering; with encode, variable values are percent-encoded
 * (for paths and queries). */
void gh__template_render(const gh__template *t, const gh__tvars *v, bool encode, gh__buf *b);

#endif
