/* Transformations: header, path and query edits with templates, parsed from
 * JSON once and applied per request or response into one fresh block. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "../core/core.h"
#include "../core/path.h"
#include "../core/json.h"
#include "gatehouse/transform.h"
#include "template.h"

typedef struct named {
  char *name;
  gh__template value;
  char *to; /* rename: the new name */
} named;

typedef struct edits {
  named *set, *add, *rename;
  size_t n_set, n_add, n_rename;
  char **remove;
  size_t n_remove;
} edits;

typedef struct side {
  edits headers;
  bool has_path;
  gh__template path;
  named *query_add;
  size_t n_query_add;
  char **query_remove;
  size_t n_query_remove;
  bool strip;
  bool claims; /* some template reads claims */
} side;

struct gh_transform {
  side request, response;
};

static const char *const CREDENTIALS[] = {"authorization", "proxy-authorization", "dpop", "x-api-key"};

/* ---- building ---- */

static void free_named(named *v, size_t n) {
  for (size_t i = 0; i < n; i++) gh__free(v[i].name), gh__free(v[i].to), gh__template_free(&v[i].value);
  gh__free(v);
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) gh__free(v[i]);
  gh__free(v);
}

static void free_side(side *s) {
  free_named(s->headers.set, s->headers.n_set), free_named(s->headers.add, s->headers.n_add);
  free_named(s->headers.rename, s->headers.n_rename), free_strings(s->headers.remove, s->headers.n_remove);
  gh__template_free(&s->path);
  free_named(s->query_add, s->n_query_add), free_strings(s->query_remove, s->n_query_remove);
}

void gh_transform_free(gh_transform *t) {
  if (!t) return;
  free_side(&t->request), free_side(&t->response);
  gh__free(t);
}

static bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

static bool good_query_name(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-._~", *s))) return false;
  return true;
}

static bool good_name(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!token_char(*s)) return false;
  return true;
}

/* {"Name": "template", ...} (templates: set, add, query add) or {"Old": "New"} (rename). */
static int parse_map(const cJSON *obj, const char *where, bool rename, bool header_names, named **out, size_t *n,
                     bool *claims, char *msg, size_t cap) {
  if (!obj) return GH_OK;
  if (!cJSON_IsObject(obj)) return gh__set_msg(msg, cap, "%s: an object", where), GH_EPARSE;
  *out = gh__calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof **out);
  if (!*out) return GH_ENOMEM;
  const cJSON *m;
  cJSON_ArrayForEach(m, obj) {
    named *e = &(*out)[(*n)++];
    if (header_names ? !good_name(m->string) : !good_query_name(m->string))
      return gh__set_msg(msg, cap, "%s.%.100s: not a %s name", where, m->string, header_names ? "header" : "query"), GH_EPARSE;
    if (!cJSON_IsString(m)) return gh__set_msg(msg, cap, "%s.%.100s: a string", where, m->string), GH_EPARSE;
    if (!(e->name = gh__strndup(m->string, strlen(m->string)))) return GH_ENOMEM;
    if (rename) {
      if (!good_name(m->valuestring)) return gh__set_msg(msg, cap, "%s.%.100s: not a header name", where, m->string), GH_EPARSE;
      if (!(e->to = gh__strndup(m->valuestring, strlen(m->valuestring)))) return GH_ENOMEM;
      continue;
    }
    char inner[200] = "";
    int rc = gh__template_compile(m->valuestring, &e->value, inner, sizeof inner);
    if (rc == GH_ENOMEM) return rc; /* no message: nothing is wrong with the document */
    if (rc) return gh__set_msg(msg, cap, "%s.%.100s: %s", where, m->string, inner), rc;
    *claims |= gh__template_uses_claims(&e->value);
  }
  return GH_OK;
}

static int parse_list(const cJSON *arr, const char *where, char ***out, size_t *n, char *msg, size_t cap) {
  if (!arr) return GH_OK;
  if (!cJSON_IsArray(arr)) return gh__set_msg(msg, cap, "%s: an array of names", where), GH_EPARSE;
  *out = gh__calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof **out);
  if (!*out) return GH_ENOMEM;
  const cJSON *x;
  cJSON_ArrayForEach(x, arr) {
    if (!cJSON_IsString(x) || !*x->valuestring) return gh__set_msg(msg, cap, "%s: an array of names", where), GH_EPARSE;
    if (!((*out)[(*n)++] = gh__strndup(x->valuestring, strlen(x->valuestring)))) return GH_ENOMEM;
  }
  return GH_OK;
}

static int only(const cJSON *obj, const char *where, const char *const *known, size_t n, char *msg, size_t cap) {
  if (!cJSON_IsObject(obj)) return gh__set_msg(msg, cap, "%s: an object", where), GH_EPARSE;
  const cJSON *m;
  cJSON_ArrayForEach(m, obj) {
    bool ok = false;
    for (size_t i = 0; i < n; i++) ok |= !strcmp(m->string, known[i]);
    if (!ok) return gh__set_msg(msg, cap, "%s.%.60s: unknown member", where, m->string), GH_EPARSE;
  }
  return GH_OK;
}

static int parse_side(const cJSON *obj, const char *where, bool request, side *s, char *msg, size_t cap) {
  s->strip = request;
  if (!obj) return GH_OK;
  static const char *const req_keys[] = {"headers", "path", "query", "strip_credentials"}, *const resp_keys[] = {"headers"};
  int rc = only(obj, where, request ? req_keys : resp_keys, request ? 4 : 1, msg, cap);
  char path[64];
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(obj, "headers");
  if (!rc && h) {
    static const char *const keys[] = {"set", "add", "remove", "rename"};
    snprintf(path, sizeof path, "%s.headers", where);
    rc = only(h, path, keys, 4, msg, cap);
    snprintf(path, sizeof path, "%s.headers.set", where);
    if (!rc) rc = parse_map(cJSON_GetObjectItemCaseSensitive(h, "set"), path, false, true, &s->headers.set, &s->headers.n_set, &s->claims, msg, cap);
    snprintf(path, sizeof path, "%s.headers.add", where);
    if (!rc) rc = parse_map(cJSON_GetObjectItemCaseSensitive(h, "add"), path, false, true, &s->headers.add, &s->headers.n_add, &s->claims, msg, cap);
    snprintf(path, sizeof path, "%s.headers.rename", where);
    if (!rc) rc = parse_map(cJSON_GetObjectItemCaseSensitive(h, "rename"), path, true, true, &s->headers.rename, &s->headers.n_rename, &s->claims, msg, cap);
    snprintf(path, sizeof path, "%s.headers.remove", where);
    if (!rc) rc = parse_list(cJSON_GetObjectItemCaseSensitive(h, "remove"), path, &s->headers.remove, &s->headers.n_remove, msg, cap);
  }
  if (!request || rc) return rc;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "path"), *q = cJSON_GetObjectItemCaseSensitive(obj, "query"),
              *strip = cJSON_GetObjectItemCaseSensitive(obj, "strip_credentials");
  if (p) {
    char inner[200] = "";
    if (!cJSON_IsString(p) || p->valuestring[0] != '/') return gh__set_msg(msg, cap, "%s.path: a template starting with '/'", where), GH_EPARSE;
    rc = gh__template_compile(p->valuestring, &s->path, inner, sizeof inner);
    if (rc) return gh__set_msg(msg, cap, "%s.path: %s", where, inner), rc;
    s->has_path = true;
    s->claims |= gh__template_uses_claims(&s->path);
  }
  if (q) {
    static const char *const keys[] = {"add", "remove"};
    snprintf(path, sizeof path, "%s.query", where);
    rc = only(q, path, keys, 2, msg, cap);
    snprintf(path, sizeof path, "%s.query.add", where);
    if (!rc) rc = parse_map(cJSON_GetObjectItemCaseSensitive(q, "add"), path, false, false, &s->query_add, &s->n_query_add, &s->claims, msg, cap);
    snprintf(path, sizeof path, "%s.query.remove", where);
    if (!rc) rc = parse_list(cJSON_GetObjectItemCaseSensitive(q, "remove"), path, &s->query_remove, &s->n_query_remove, msg, cap);
  }
  if (!rc && strip) {
    if (!cJSON_IsBool(strip)) return gh__set_msg(msg, cap, "%s.strip_credentials: true or false", where), GH_EPARSE;
    s->strip = cJSON_IsTrue(strip);
  }
  return rc;
}

int gh_transform_parse(gh_transform **out, const char *json, size_t len, char *msg, size_t cap) {
  if (!out || !json) return GH_EINVAL;
  *out = NULL;
  cJSON *doc;
  int rc = gh__json_parse(json, len, 1u << 20, 16, &doc, msg, cap);
  if (rc) return rc;
  gh_transform *t = gh__calloc(1, sizeof *t);
  static const char *const keys[] = {"request", "response"};
  rc = t ? only(doc, "$", keys, 2, msg, cap) : GH_ENOMEM;
  if (!rc) rc = parse_side(cJSON_GetObjectItemCaseSensitive(doc, "request"), "request", true, &t->request, msg, cap);
  if (!rc) rc = parse_side(cJSON_GetObjectItemCaseSensitive(doc, "response"), "response", false, &t->response, msg, cap);
  cJSON_Delete(doc);
  if (rc) {
    gh_transform_free(t);
    return rc;
  }
  *out = t;
  return GH_OK;
}

/* ---- applying ---- */

/* Headers are first collected as offsets into one buffer, then turned into
 * pointers once the buffer stops moving. */
typedef struct pending_header {
  size_t name, name_len, value, value_len;
} pending_header;

typedef struct work {
  gh__buf text;
  pending_header *h;
  size_t n, cap;
  bool failed;
} work;

static void push(work *w, const char *name, size_t name_len, const char *value, size_t value_len) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 16;
    pending_header *v = gh__realloc(w->h, cap * sizeof *v);
    if (!v) {
      w->failed = true;
      return;
    }
    w->h = v, w->cap = cap;
  }
  pending_header *p = &w->h[w->n++];
  p->name = w->text.len, p->name_len = name_len;
  if (name_len) gh__buf_put(&w->text, name, name_len);
  p->value = w->text.len, p->value_len = value_len;
  if (value_len) gh__buf_put(&w->text, value, value_len);
}

static bool named_in(const char *name, size_t len, char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strlen(list[i]) == len && !strncasecmp(list[i], name, len)) return true;
  return false;
}

static bool credential(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof CREDENTIALS / sizeof CREDENTIALS[0]; i++)
    if (strlen(CREDENTIALS[i]) == len && !strncasecmp(CREDENTIALS[i], name, len)) return true;
  return false;
}

static const named *renamed(const edits *e, const char *name, size_t len) {
  for (size_t i = 0; i < e->n_rename; i++)
    if (strlen(e->rename[i].name) == len && !strncasecmp(e->rename[i].name, name, len)) return &e->rename[i];
  return NULL;
}

/* Renders a header value into w's buffer; refuses CR, LF and NUL. */
static int rendered_header(work *w, const named *e, const gh__tvars *v, char *msg, size_t cap) {
  gh__buf value = {0};
  gh__template_render(&e->value, v, false, &value);
  if (value.failed) return GH_ENOMEM;
  for (size_t i = 0; i < value.len; i++)
    if (value.p[i] == '\r' || value.p[i] == '\n' || value.p[i] == 0) {
      gh__buf_free(&value);
      return gh__set_msg(msg, cap, "%.100s: the value would carry CR, LF or NUL", e->name), GH_EDENIED;
    }
  push(w, e->name, strlen(e->name), value.p ? value.p : "", value.len);
  gh__buf_free(&value);
  return GH_OK;
}

static bool query_removed(const side *s, const char *pair, size_t n) {
  const char *eq = memchr(pair, '=', n);
  size_t key = eq ? (size_t)(eq - pair) : n;
  for (size_t i = 0; i < s->n_query_remove; i++)
    if (strlen(s->query_remove[i]) == key && !memcmp(s->query_remove[i], pair, key)) return true;
  for (size_t i = 0; i < s->n_query_add; i++) /* added keys replace what was there */
    if (strlen(s->query_add[i].name) == key && !memcmp(s->query_add[i].name, pair, key)) return true;
  return false;
}

/* A rewritten path, canonical (gatehouse/path.h) in place: a claim or
 * parameter that renders as ".." must not climb out of its segment, nor one
 * that renders empty drop a segment (canonicalising would merge "//"). */
static int canonical_rewrite(gh__buf *b, size_t from, char *msg, size_t cap) {
  if (b->failed) return GH_ENOMEM;
  for (size_t i = from; i + 1 < b->len; i++)
    if (b->p[i] == '/' && b->p[i + 1] == '/')
      return gh__set_msg(msg, cap, "request.path renders an empty segment (a variable without a value?)"), GH_EDENIED;
  char canon[GH_PATH_MAX + 1];
  size_t n;
  const char *why;
  int rc = gh__path_canon(b->p + from, b->len - from, 0, canon, sizeof canon, &n, &why);
  if (rc == GH_EPARSE) return gh__set_msg(msg, cap, "request.path renders %s", why), GH_EDENIED;
  if (rc) return gh__set_msg(msg, cap, "request.path renders longer than %d bytes", GH_PATH_MAX), GH_ETOOBIG;
  b->len = from;
  gh__buf_put(b, canon, n);
  return GH_OK;
}

/* The new path and query, appended to b (NUL-terminated by the caller). */
static int new_target(const side *s, const gh_transform_input *in, const gh__tvars *v, gh__buf *b, char *msg,
                      size_t cap) {
  const char *q = in->path ? memchr(in->path, '?', in->path_len) : NULL;
  size_t path_len = in->path ? (q ? (size_t)(q - in->path) : in->path_len) : 0, from = b->len;
  if (s->has_path) {
    gh__template_render(&s->path, v, true, b);
    int rc = canonical_rewrite(b, from, msg, cap);
    if (rc) return rc;
  } else gh__buf_put(b, in->path ? in->path : "/", in->path ? path_len : 1);
  bool first = true;
  for (const char *p = q ? q + 1 : NULL, *end = q ? in->path + in->path_len : NULL; p && p < end;) {
    const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
    if (stop > p && !query_removed(s, p, (size_t)(stop - p))) {
      gh__buf_put(b, first ? "?" : "&", 1), first = false;
      gh__buf_put(b, p, (size_t)(stop - p));
    }
    p = stop + 1;
  }
  for (size_t i = 0; i < s->n_query_add; i++) {
    gh__buf_put(b, first ? "?" : "&", 1), first = false;
    gh__buf_put(b, s->query_add[i].name, strlen(s->query_add[i].name)); /* names as written in the configuration */
    gh__buf_put(b, "=", 1);
    gh__template_render(&s->query_add[i].value, v, true, b);
  }
  return GH_OK;
}

static int apply(const side *s, bool request, const gh_transform_input *in, gh_transform_result *out, char *msg, size_t cap) {
  if (!s || !in || !out || (!in->headers && in->n_headers)) return GH_EINVAL;
  memset(out, 0, sizeof *out);
  cJSON *claims = NULL;
  size_t claims_len;
  const char *text = s->claims ? gh__attr(in->attr, in->attr_ud, "claims", &claims_len) : NULL;
  if (text && gh__json_parse(text, claims_len, claims_len + 1, 64, &claims, NULL, 0) == GH_ENOMEM) return GH_ENOMEM;
  gh__tvars v = {in->attr, in->attr_ud, claims, in->route};
  work w = {0};
  int rc = GH_OK;
  const edits *e = &s->headers;
  for (size_t i = 0; i < in->n_headers; i++) { /* remove, strip, rename; what is set is replaced */
    const gh_header *h = &in->headers[i];
    if (named_in(h->name, h->name_len, e->remove, e->n_remove) || (request && s->strip && credential(h->name, h->name_len)))
      continue;
    const named *r = renamed(e, h->name, h->name_len);
    const char *name = r ? r->to : h->name;
    size_t name_len = r ? strlen(r->to) : h->name_len;
    bool replaced = false;
    for (size_t k = 0; k < e->n_set; k++) replaced |= strlen(e->set[k].name) == name_len && !strncasecmp(e->set[k].name, name, name_len);
    if (!replaced) push(&w, name, name_len, h->value, h->value_len);
  }
  for (size_t k = 0; k < e->n_set && !rc; k++) rc = rendered_header(&w, &e->set[k], &v, msg, cap);
  for (size_t k = 0; k < e->n_add && !rc; k++) rc = rendered_header(&w, &e->add[k], &v, msg, cap);
  size_t target_at = w.text.len;
  if (!rc && request) rc = new_target(s, in, &v, &w.text, msg, cap);
  size_t target_len = w.text.len - target_at;
  cJSON_Delete(claims);
  if (!rc && (w.failed || w.text.failed)) rc = GH_ENOMEM;
  if (!rc) rc = gh__buf_finish(&w.text); /* the text stops moving */
  gh_header *headers = rc ? NULL : gh__calloc(w.n ? w.n : 1, sizeof *headers);
  if (!rc && !headers) rc = GH_ENOMEM;
  if (rc) {
    gh__buf_free(&w.text);
    gh__free(w.h);
    return rc;
  }
  for (size_t i = 0; i < w.n; i++)
    headers[i] = (gh_header){w.text.p + w.h[i].name, w.text.p + w.h[i].value, w.h[i].name_len, w.h[i].value_len};
  gh__free(w.h);
  out->headers = headers, out->n_headers = w.n;
  out->path = request ? w.text.p + target_at : NULL, out->path_len = request ? target_len : 0;
  out->block = w.text.p;
  return GH_OK;
}

int gh_transform_request(const gh_transform *t, const gh_transform_input *in, gh_transform_result *out, char *msg,
                         size_t cap) {
  return t ? apply(&t->request, true, in, out, msg, cap) : GH_EINVAL;
}

int gh_transform_response(const gh_transform *t, const gh_transform_input *in, gh_transform_result *out, char *msg,
                          size_t cap) {
  return t ? apply(&t->response, false, in, out, msg, cap) : GH_EINVAL;
}

void gh_transform_result_free(gh_transform_result *r) {
  if (!r) return;
  gh__free(r->headers);
  gh__free(r->block);
  memset(r, 0, sizeof *r);
}


size_t gh_transform_input_size(void) { return sizeof(gh_transform_input); }

size_t gh_transform_result_size(void) { return sizeof(gh_transform_result); }
