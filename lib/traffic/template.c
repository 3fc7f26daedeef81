#include "template.h"

#include <stdio.h>
#include <string.h>

#include "../core/json.h"
#include "../core/path.h"

static int add_part(gh__template *t, gh__tp_kind kind, const char *p, size_t n) {
  gh__tpart *v = gh__realloc(t->parts, (t->n + 1) * sizeof *v);
  if (!v) return GH_ENOMEM;
  t->parts = v;
  char *text = gh__strndup(p, n);
  if (!text) return GH_ENOMEM;
  t->parts[t->n++] = (gh__tpart){kind, text, n};
  return GH_OK;
}

void gh__template_free(gh__template *t) {
  for (size_t i = 0; i < t->n; i++) gh__free(t->parts[i].text);
  gh__free(t->parts);
  memset(t, 0, sizeof *t);
}

/* A variable's kind from its name, or -1. */
static int variable(const char *p, size_t n, const char **arg, size_t *arg_len) {
  static const struct {
    const char *name;
    gh__tp_kind kind;
  } plain[] = {{"subject", GH__TP_SUBJECT}, {"client_id", GH__TP_CLIENT_ID}, {"realm", GH__TP_REALM}, {"route", GH__TP_ROUTE}};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    if (strlen(plain[i].name) == n && !memcmp(plain[i].name, p, n)) return *arg = p, *arg_len = 0, (int)plain[i].kind;
  if (n > 7 && !memcmp(p, "claims.", 7)) return *arg = p + 7, *arg_len = n - 7, GH__TP_CLAIM;
  if (n > 7 && !memcmp(p, "params.", 7)) return *arg = p + 7, *arg_len = n - 7, GH__TP_PARAM;
  return -1;
}

int gh__template_compile(const char *src, gh__template *out, char *msg, size_t cap) {
  memset(out, 0, sizeof *out);
  gh__buf text = {0};
  int rc = GH_OK;
  for (const char *p = src; *p && !rc; p++) {
    if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      gh__buf_put(&text, p++, 1);
      continue;
    }
    if (*p == '}') {
      gh__set_msg(msg, cap, "a lone '}' (write '}}')");
      rc = GH_EPARSE;
      break;
    }
    if (*p != '{') {
      gh__buf_put(&text, p, 1);
      continue;
    }
    const char *close = strchr(p, '}'), *arg;
    size_t arg_len;
    int kind = close ? variable(p + 1, (size_t)(close - p - 1), &arg, &arg_len) : -1;
    if (kind < 0) {
      if (close)
        gh__set_msg(msg, cap, "unknown variable '%.*s' (claims.PATH, params.NAME, subject, client_id, realm, route)",
                    (int)(close - p - 1), p + 1);
      else gh__set_msg(msg, cap, "'{' without '}'");
      rc = GH_EPARSE;
      break;
    }
    if (text.len) rc = add_part(out, GH__TP_TEXT, text.p, text.len), text.len = 0;
    if (!rc) rc = add_part(out, (gh__tp_kind)kind, arg, arg_len);
    p = close;
  }
  if (!rc && text.failed) rc = GH_ENOMEM;
  if (!rc && text.len) rc = add_part(out, GH__TP_TEXT, text.p, text.len);
  gh__buf_free(&text);
  if (rc) gh__template_free(out);
  return rc;
}

bool gh__template_uses_claims(const gh__template *t) {
  for (size_t i = 0; i < t->n; i++)
    if (t->parts[i].kind == GH__TP_CLAIM) return true;
  return false;
}

static void put_value(gh__buf *b, const char *v, size_t n, bool encode) {
  if (encode) gh__pct_encode_component(b, v, n);
  else gh__buf_put(b, v, n);
}

void gh__template_render(const gh__template *t, const gh__tvars *v, bool encode, gh__buf *b) {
  for (size_t i = 0; i < t->n; i++) {
    const gh__tpart *p = &t->parts[i];
    const char *s = NULL;
    size_t n = 0;
    char num[32];
    switch (p->kind) {
    case GH__TP_TEXT: gh__buf_put(b, p->text, p->len); continue;
    case GH__TP_SUBJECT: s = gh__attr(v->attr, v->attr_ud, "subject", &n); break;
    case GH__TP_CLIENT_ID: s = gh__attr(v->attr, v->attr_ud, "client_id", &n); break;
    case GH__TP_REALM: s = gh__attr(v->attr, v->attr_ud, "realm", &n); break;
    case GH__TP_ROUTE:
      if (v->route && v->route->status == 200) s = v->route->name, n = strlen(s);
      break;
    case GH__TP_PARAM: {
      const gh_route_param *param = v->route ? gh_route_param_get(v->route, p->text, p->len) : NULL;
      if (param) s = param->value, n = param->len;
      break;
    }
    case GH__TP_CLAIM: {
      const cJSON *c = v->claims ? gh__json_path(v->claims, p->text, p->len) : NULL;
      if (cJSON_IsString(c)) s = c->valuestring;
      else if (cJSON_IsNumber(c)) snprintf(num, sizeof num, "%.15g", c->valuedouble), s = num;
      else if (cJSON_IsBool(c)) s = cJSON_IsTrue(c) ? "true" : "false";
      if (s) n = strlen(s);
      break;
    }
    }
    if (s) put_value(b, s, n, encode);
  }
}
