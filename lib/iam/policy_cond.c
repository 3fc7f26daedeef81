/* Rule conditions ("when"): compiled from JSON with the JSON path of every
 * error, evaluated against a request without allocating. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/json.h"
#include "policy_internal.h"

typedef struct ctx {
  const gh__pattern *patterns;
  size_t n_patterns;
  char *path; /* JSON path of the node being compiled */
  size_t path_cap;
  char *msg;
  size_t msg_cap;
} ctx;

static int error(ctx *c, const char *why) {
  gh__set_msg(c->msg, c->msg_cap, "%s: %s", c->path, why);
  return GH_EPARSE;
}

/* Append a path component (".name" or "[index]") for one compile step;
 * they return the length to pop back to. */
static size_t push_name(ctx *c, const char *name) {
  size_t len = strlen(c->path);
  snprintf(c->path + len, c->path_cap - len, ".%s", name);
  return len;
}

static size_t push_index(ctx *c, int index) {
  size_t len = strlen(c->path);
  snprintf(c->path + len, c->path_cap - len, "[%d]", index);
  return len;
}

static void pop(ctx *c, size_t len) { c->path[len] = '\0'; }

static bool scalar(const cJSON *v) {
  return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v);
}

static int compile_node(ctx *c, const cJSON *when, gh__cond *out);

static int add_kid(gh__cond *parent, gh__cond **kid) {
  gh__cond *k = gh__realloc(parent->kids, (parent->n_kids + 1) * sizeof *k);
  if (!k) return GH_ENOMEM;
  parent->kids = k;
  *kid = &k[parent->n_kids++];
  memset(*kid, 0, sizeof **kid);
  return GH_OK;
}

static int values_of(ctx *c, const cJSON *op, gh__cond *leaf, bool list) {
  const cJSON *v = op->child;
  if (list) {
    if (!cJSON_IsArray(v)) return error(c, "\"in\" takes an array");
    const cJSON *e;
    cJSON_ArrayForEach(e, v) if (!scalar(e)) return error(c, "values must be strings, numbers, booleans or null");
    leaf->values = cJSON_Duplicate(v, 1);
  } else {
    if (!scalar(v)) return error(c, "values must be strings, numbers, booleans or null");
    leaf->values = cJSON_CreateArray();
    if (leaf->values) cJSON_AddItemToArray(leaf->values, cJSON_Duplicate(v, 1));
  }
  return leaf->values && cJSON_GetArraySize(leaf->values) == (list ? cJSON_GetArraySize(v) : 1) ? GH_OK : GH_ENOMEM;
}

/* One operator object {"equals": v} / {"in": [...]} / {"contains": v} / {"claim": path}. */
static const cJSON *single_op(ctx *c, const cJSON *op) {
  if (!cJSON_IsObject(op) || !op->child || op->child->next) {
    error(c, "expected an object with one operator");
    return NULL;
  }
  return op;
}

static bool pattern_has_param(const gh__pattern *p, const char *name) {
  for (size_t i = 0; i < p->n_segs; i++)
    if (p->segs[i].param && strcmp(p->segs[i].text, name) == 0) return true;
  return false;
}

static int compile_leaves(ctx *c, const char *kind, const cJSON *map, gh__cond *all) {
  if (!cJSON_IsObject(map) || !map->child) return error(c, "expected a non-empty object");
  for (const cJSON *m = map->child; m; m = m->next) {
    size_t mark = push_name(c, m->string);
    const cJSON *op = single_op(c, m);
    if (!op) return GH_EPARSE;
    const char *o = op->child->string;
    gh__cond *leaf;
    if (add_kid(all, &leaf)) return GH_ENOMEM;
    if (!(leaf->name = gh__strndup(m->string, strlen(m->string)))) return GH_ENOMEM;
    int rc = GH_OK;
    if (!strcmp(kind, "claim")) {
      leaf->kind = !strcmp(o, "equals") ? GH__C_CLAIM_EQ : !strcmp(o, "in") ? GH__C_CLAIM_IN
                   : !strcmp(o, "contains") ? GH__C_CLAIM_CONTAINS : (gh__cond_kind)-1;
      if ((int)leaf->kind < 0) return error(c, "claim operators are equals, in, contains");
      rc = values_of(c, op, leaf, leaf->kind == GH__C_CLAIM_IN);
    } else if (!strcmp(kind, "param")) {
      for (size_t i = 0; i < c->n_patterns; i++)
        if (!pattern_has_param(&c->patterns[i], m->string)) return error(c, "a resource pattern has no such {parameter}");
      if (!strcmp(o, "claim") && cJSON_IsString(op->child)) {
        leaf->kind = GH__C_PARAM_CLAIM;
        if (!(leaf->claim = gh__strndup(op->child->valuestring, strlen(op->child->valuestring)))) return GH_ENOMEM;
      } else if (!strcmp(o, "equals") && cJSON_IsString(op->child)) {
        leaf->kind = GH__C_PARAM_EQ;
        rc = values_of(c, op, leaf, false);
      } else {
        return error(c, "param operators are {\"claim\": path} and {\"equals\": string}");
      }
    } else { /* header */
      gh__lower_in_place(leaf->name, strlen(leaf->name));
      leaf->kind = GH__C_HEADER_IN;
      if (strcmp(o, "equals") && strcmp(o, "in")) return error(c, "header operators are equals, in");
      rc = values_of(c, op, leaf, !strcmp(o, "in"));
      const cJSON *e;
      cJSON_ArrayForEach(e, leaf->values) if (!rc && !cJSON_IsString(e)) rc = error(c, "header values are strings");
    }
    if (rc) return rc;
    pop(c, mark);
  }
  return GH_OK;
}

static int parse_offset(const char *s, int *minutes) {
  int h, m;
  char sign, colon, end;
  if (sscanf(s, "%c%2d%c%2d%c", &sign, &h, &colon, &m, &end) != 4 || (sign != '+' && sign != '-') || colon != ':' ||
      h > 14 || m > 59)
    return -1;
  *minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
  return 0;
}

static int compile_time(ctx *c, const cJSON *t, gh__cond *leaf) {
  static const char *const DAYS[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  leaf->kind = GH__C_TIME;
  leaf->to_hour = 24;
  if (!cJSON_IsObject(t)) return error(c, "expected {\"days\": [...], \"hours\": [from, to], \"utc_offset\": \"+HH:MM\"}");
  for (const cJSON *m = t->child; m; m = m->next) {
    size_t mark = push_name(c, m->string);
    if (!strcmp(m->string, "days") && cJSON_IsArray(m)) {
      const cJSON *d;
      cJSON_ArrayForEach(d, m) {
        int found = -1;
        for (int i = 0; i < 7 && cJSON_IsString(d); i++)
          if (!strcasecmp(d->valuestring, DAYS[i])) found = i;
        if (found < 0) return error(c, "days are sun, mon, tue, wed, thu, fri, sat");
        leaf->days |= 1u << found;
      }
    } else if (!strcmp(m->string, "hours") && cJSON_GetArraySize(m) == 2 && cJSON_IsNumber(m->child) &&
               cJSON_IsNumber(m->child->next) && m->child->valueint >= 0 && m->child->valueint <= 24 &&
               m->child->next->valueint >= 0 && m->child->next->valueint <= 24) {
      leaf->from_hour = m->child->valueint;
      leaf->to_hour = m->child->next->valueint;
    } else if (!strcmp(m->string, "utc_offset") && cJSON_IsString(m)) {
      if (parse_offset(m->valuestring, &leaf->offset_min)) return error(c, "utc_offset is +HH:MM or -HH:MM");
    } else {
      return error(c, "time takes days, hours [from, to] (0-24) and utc_offset");
    }
    pop(c, mark);
  }
  return GH_OK;
}

static int compile_member(ctx *c, const cJSON *m, gh__cond *all) {
  gh__cond *node;
  if (add_kid(all, &node)) return GH_ENOMEM;
  const char *k = m->string;
  if (!strcmp(k, "all") || !strcmp(k, "any")) {
    node->kind = k[1] == 'l' ? GH__C_ALL : GH__C_ANY;
    if (!cJSON_IsArray(m) || !m->child) return error(c, "expected a non-empty array of conditions");
    int i = 0;
    for (const cJSON *e = m->child; e; e = e->next, i++) {
      size_t mark = push_index(c, i);
      gh__cond *kid;
      if (add_kid(node, &kid)) return GH_ENOMEM;
      int rc = compile_node(c, e, kid);
      if (rc) return rc;
      pop(c, mark);
    }
    return GH_OK;
  }
  if (!strcmp(k, "not")) {
    node->kind = GH__C_NOT;
    gh__cond *kid;
    return add_kid(node, &kid) ? GH_ENOMEM : compile_node(c, m, kid);
  }
  if (!strcmp(k, "ip")) {
    node->kind = GH__C_IP;
    if (!cJSON_IsArray(m) || !m->child) return error(c, "expected an array of CIDR prefixes");
    node->cidrs = gh__calloc((size_t)cJSON_GetArraySize(m), sizeof *node->cidrs);
    if (!node->cidrs) return GH_ENOMEM;
    for (const cJSON *e = m->child; e; e = e->next) {
      size_t mark = push_index(c, (int)node->n_cidrs);
      if (!cJSON_IsString(e) || !gh__cidr_parse(e->valuestring, strlen(e->valuestring), &node->cidrs[node->n_cidrs]))
        return error(c, "bad CIDR (host bits must be zero)");
      node->n_cidrs++;
      pop(c, mark);
    }
    return GH_OK;
  }
  if (!strcmp(k, "time")) return compile_time(c, m, node);
  if (!strcmp(k, "claim") || !strcmp(k, "param") || !strcmp(k, "header")) {
    node->kind = GH__C_ALL;
    return compile_leaves(c, k, m, node);
  }
  return error(c, "unknown condition (all, any, not, ip, time, claim, param, header)");
}

/* A condition object: all of its members must hold. */
static int compile_node(ctx *c, const cJSON *when, gh__cond *out) {
  out->kind = GH__C_ALL;
  if (!cJSON_IsObject(when) || !when->child) return error(c, "expected a non-empty condition object");
  for (const cJSON *m = when->child; m; m = m->next) {
    size_t mark = push_name(c, m->string);
    int rc = compile_member(c, m, out);
    if (rc) return rc;
    pop(c, mark);
  }
  return GH_OK;
}

int gh__cond_compile(const cJSON *when, const gh__pattern *patterns, size_t n_patterns, gh__cond **out, char *path,
                     size_t path_len, char *msg, size_t cap) {
  ctx c = {patterns, n_patterns, path, path_len, msg, cap};
  gh__cond *root = gh__calloc(1, sizeof *root);
  if (!root) return GH_ENOMEM;
  int rc = compile_node(&c, when, root);
  if (rc) {
    gh__cond_free(root);
    return rc;
  }
  *out = root;
  return GH_OK;
}

static void cond_clear(gh__cond *c) {
  for (size_t i = 0; i < c->n_kids; i++) cond_clear(&c->kids[i]);
  gh__free(c->kids);
  gh__free(c->cidrs);
  gh__free(c->name);
  gh__free(c->claim);
  cJSON_Delete(c->values);
}

void gh__cond_free(gh__cond *c) {
  if (!c) return;
  cond_clear(c);
  gh__free(c);
}

static bool json_equal(const cJSON *a, const cJSON *b) {
  if (!a || !b) return false;
  if (cJSON_IsString(a)) return cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsNumber(a)) return cJSON_IsNumber(b) && a->valuedouble == b->valuedouble;
  if (cJSON_IsBool(a)) return cJSON_IsBool(b) && cJSON_IsTrue(a) == cJSON_IsTrue(b);
  return cJSON_IsNull(a) && cJSON_IsNull(b);
}

static bool any_equal(const cJSON *values, const cJSON *v) {
  const cJSON *e;
  cJSON_ArrayForEach(e, values) if (json_equal(e, v)) return true;
  return false;
}

static const cJSON *claim_at(const gh__eval *e, const char *path) {
  return e->req->claims ? gh__json_path(e->req->claims, path, strlen(path)) : NULL;
}

static bool contains(const cJSON *claim, const cJSON *value) {
  if (cJSON_IsArray(claim)) return any_equal(claim, value);
  if (!cJSON_IsString(claim) || !cJSON_IsString(value)) return false;
  /* a space-separated string, as "scope" is (RFC 8693 section 4.2) */
  size_t n = strlen(value->valuestring);
  for (const char *p = claim->valuestring; *p;) {
    while (*p == ' ') p++;
    const char *end = p;
    while (*end && *end != ' ') end++;
    if ((size_t)(end - p) == n && n && memcmp(p, value->valuestring, n) == 0) return true;
    p = end;
  }
  return false;
}

static const gh__seg *param_value(const gh__eval *e, const char *name) {
  for (size_t i = 0; i < e->pattern->n_segs; i++)
    if (e->pattern->segs[i].param && strcmp(e->pattern->segs[i].text, name) == 0) return &e->segs[i];
  return NULL;
}

static bool seg_equals_claim(const gh__seg *s, const cJSON *claim) {
  char num[32];
  const char *text = NULL;
  if (cJSON_IsString(claim)) text = claim->valuestring;
  int64_t whole;
  if (cJSON_IsNumber(claim) && gh__double_to_int64(claim->valuedouble, &whole))
    snprintf(num, sizeof num, "%lld", (long long)whole), text = num;
  return text && gh__pct_equal(s->p, s->len, text, strlen(text)); /* the segment is canonical: compare it decoded */
}

static bool time_holds(const gh__cond *c, const gh_policy_request *r) {
  if (!r->has_time) return false;
  int64_t local = r->time_ms / 1000 + (int64_t)c->offset_min * 60;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int dow = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
  int hour = (int)((local - days * 86400) / 3600);
  if (c->days && !(c->days & (1u << dow))) return false;
  if (c->from_hour == c->to_hour) return true;
  return c->from_hour < c->to_hour ? hour >= c->from_hour && hour < c->to_hour
                                   : hour >= c->from_hour || hour < c->to_hour; /* wraps midnight */
}

bool gh__cond_holds(const gh__cond *c, const gh__eval *e) {
  const gh_policy_request *r = e->req;
  switch (c->kind) {
  case GH__C_ALL:
    for (size_t i = 0; i < c->n_kids; i++)
      if (!gh__cond_holds(&c->kids[i], e)) return false;
    return true;
  case GH__C_ANY:
    for (size_t i = 0; i < c->n_kids; i++)
      if (gh__cond_holds(&c->kids[i], e)) return true;
    return false;
  case GH__C_NOT:
    return !gh__cond_holds(&c->kids[0], e);
  case GH__C_IP:
    if (!r->has_ip) return false;
    for (size_t i = 0; i < c->n_cidrs; i++)
      if (gh__cidr_contains(&c->cidrs[i], &r->ip)) return true;
    return false;
  case GH__C_TIME:
    return time_holds(c, r);
  case GH__C_CLAIM_EQ:
  case GH__C_CLAIM_IN:
    return any_equal(c->values, claim_at(e, c->name));
  case GH__C_CLAIM_CONTAINS:
    return contains(claim_at(e, c->name), c->values->child);
  case GH__C_PARAM_CLAIM: {
    const gh__seg *s = param_value(e, c->name);
    return s && seg_equals_claim(s, claim_at(e, c->claim));
  }
  case GH__C_PARAM_EQ: {
    const gh__seg *s = param_value(e, c->name);
    return s && seg_equals_claim(s, c->values->child);
  }
  case GH__C_HEADER_IN:
    for (size_t i = 0; i < r->n_headers; i++)
      if (!strcmp(r->header_names[i], c->name)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, c->values) if (!strcmp(v->valuestring, r->header_values[i])) return true;
      }
    return false;
  }
  return false;
}

const char *gh__cond_explain_failure(const gh__cond *c, const gh__eval *e, char *buf, size_t cap) {
  static const char *const NAMES[] = {"all", "any", "not", "ip", "time", "claim", "claim", "claim", "param", "param",
                                      "header"};
  if (c->kind == GH__C_ALL) {
    for (size_t i = 0; i < c->n_kids; i++)
      if (!gh__cond_holds(&c->kids[i], e)) return gh__cond_explain_failure(&c->kids[i], e, buf, cap);
    return "none";
  }
  if (c->kind == GH__C_ANY) return "no alternative of \"any\" holds";
  if (c->kind == GH__C_NOT) return "the condition under \"not\" holds";
  if (c->name) snprintf(buf, cap, "%s %s does not hold", NAMES[c->kind], c->name);
  else snprintf(buf, cap, "%s does not hold", NAMES[c->kind]);
  return buf;
}
