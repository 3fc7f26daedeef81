/* Policy documents: JSON to the compiled form, every configuration error
 * reported with its JSON path. */
#include <stdio.h>
#include <string.h>

#include "../core/json.h"
#include "policy_internal.h"

typedef struct parser {
  gh_policy *p;
  char path[256];
  char *msg;
  size_t cap;
  uint32_t **inherits; /* per role, UINT32_MAX-terminated */
  unsigned char *state; /* closure DFS: 0 new, 1 on stack, 2 done */
  uint32_t *stack;
  size_t depth;
  uint32_t *bind_subject; /* bindings, in document order */
  uint32_t **bind_roles;
  size_t n_bindings;
} parser;

static int fail(parser *ps, const char *fmt, const char *arg) {
  char why[200];
  snprintf(why, sizeof why, fmt, arg ? arg : "");
  gh__set_msg(ps->msg, ps->cap, "%s: %s", ps->path[0] ? ps->path : "(document)", why);
  return GH_EPARSE;
}

static void at(parser *ps, const char *path) { snprintf(ps->path, sizeof ps->path, "%s", path); }
static void at_name(parser *ps, const char *fmt, const char *name) { snprintf(ps->path, sizeof ps->path, fmt, name); }
static void at_index(parser *ps, const char *fmt, int index) { snprintf(ps->path, sizeof ps->path, fmt, index); }

/* Array of strings into ids of map m; known-only: every name must already be in m. */
static int id_list(parser *ps, const cJSON *arr, gh__strmap *m, bool known_only, const char *what, uint32_t **out,
                   size_t *n, bool *star) {
  size_t base = strlen(ps->path);
  if (!cJSON_IsArray(arr)) return fail(ps, "expected an array of %s", what);
  size_t count = (size_t)cJSON_GetArraySize(arr);
  *out = gh__calloc(count + 1, sizeof **out);
  if (!*out) return GH_ENOMEM;
  *n = 0;
  int i = 0;
  for (const cJSON *e = arr->child; e; e = e->next, i++) {
    snprintf(ps->path + base, sizeof ps->path - base, "[%d]", i);
    if (!cJSON_IsString(e) || !e->valuestring[0]) return fail(ps, "expected a non-empty string", NULL);
    if (star && !strcmp(e->valuestring, "*")) {
      *star = true;
      continue;
    }
    uint32_t id;
    if (known_only) {
      id = gh__strmap_find(m, e->valuestring, strlen(e->valuestring));
      if (id == UINT32_MAX) return fail(ps, "unknown role \"%.100s\"", e->valuestring);
    } else if (gh__strmap_intern(m, e->valuestring, strlen(e->valuestring), &id, NULL)) {
      return GH_ENOMEM;
    }
    (*out)[(*n)++] = id;
  }
  (*out)[*n] = UINT32_MAX;
  ps->path[base] = '\0';
  return GH_OK;
}

/* closure[r] = {r} plus the closures of what r inherits; a cycle is an error. */
static int close_role(parser *ps, uint32_t r) {
  gh_policy *p = ps->p;
  if (ps->state[r] == 2) return GH_OK;
  if (ps->state[r] == 1) {
    char cycle[200] = "";
    size_t from = 0;
    while (ps->stack[from] != r) from++;
    for (size_t i = from; i < ps->depth; i++)
      snprintf(cycle + strlen(cycle), sizeof cycle - strlen(cycle), "%s -> ", gh__strmap_key(&p->roles, ps->stack[i]));
    snprintf(cycle + strlen(cycle), sizeof cycle - strlen(cycle), "%s", gh__strmap_key(&p->roles, r));
    at_name(ps, "roles.%s.inherits", gh__strmap_key(&p->roles, r));
    return fail(ps, "inheritance cycle %s", cycle);
  }
  ps->state[r] = 1;
  ps->stack[ps->depth++] = r;
  uint64_t *mine = &p->closure[r * p->words];
  mine[r / 64] |= 1ull << (r % 64);
  for (uint32_t *c = ps->inherits[r]; c && *c != UINT32_MAX; c++) {
    int rc = close_role(ps, *c);
    if (rc) return rc;
    const uint64_t *theirs = &p->closure[(size_t)*c * p->words];
    for (size_t w = 0; w < p->words; w++) mine[w] |= theirs[w];
  }
  ps->depth--;
  ps->state[r] = 2;
  return GH_OK;
}

static int parse_roles(parser *ps, const cJSON *roles) {
  gh_policy *p = ps->p;
  at(ps, "roles");
  if (roles && !cJSON_IsObject(roles)) return fail(ps, "expected an object of roles", NULL);
  size_t n = roles ? (size_t)cJSON_GetArraySize(roles) : 0;
  if (n > GH_POLICY_MAX_ROLES) return fail(ps, "more roles than the limit", NULL);
  for (const cJSON *r = roles ? roles->child : NULL; r; r = r->next) {
    uint32_t id;
    if (!r->string[0]) return fail(ps, "a role needs a name", NULL);
    if (gh__strmap_intern(&p->roles, r->string, strlen(r->string), &id, NULL)) return GH_ENOMEM;
  }
  ps->inherits = gh__calloc(n ? n : 1, sizeof *ps->inherits);
  ps->state = gh__calloc(n ? n : 1, 1);
  ps->stack = gh__calloc(n ? n : 1, sizeof *ps->stack);
  p->words = (n + 63) / 64 ? (n + 63) / 64 : 1;
  p->closure = gh__calloc((n ? n : 1) * p->words, sizeof *p->closure);
  if (!ps->inherits || !ps->state || !ps->stack || !p->closure) return GH_ENOMEM;
  uint32_t id = 0;
  for (const cJSON *r = roles ? roles->child : NULL; r; r = r->next, id++) {
    at_name(ps, "roles.%s", r->string);
    if (!cJSON_IsObject(r)) return fail(ps, "expected an object", NULL);
    for (const cJSON *m = r->child; m; m = m->next)
      if (strcmp(m->string, "inherits") != 0) return fail(ps, "unknown member \"%.60s\"", m->string);
    const cJSON *inh = gh__json_member(r, "inherits");
    if (!inh) continue;
    at_name(ps, "roles.%s.inherits", r->string);
    size_t count;
    int rc = id_list(ps, inh, &p->roles, true, "roles", &ps->inherits[id], &count, NULL);
    if (rc) return rc;
  }
  for (uint32_t r = 0; r < n; r++) {
    int rc = close_role(ps, r);
    if (rc) return rc;
  }
  return GH_OK;
}

static int parse_bindings(parser *ps, const cJSON *bindings) {
  gh_policy *p = ps->p;
  at(ps, "bindings");
  if (!bindings) return GH_OK;
  if (!cJSON_IsArray(bindings)) return fail(ps, "expected an array", NULL);
  size_t n = (size_t)cJSON_GetArraySize(bindings);
  ps->bind_subject = gh__calloc(n ? n : 1, sizeof *ps->bind_subject);
  ps->bind_roles = gh__calloc(n + 1, sizeof *ps->bind_roles); /* +1: a half-parsed binding's list */
  if (!ps->bind_subject || !ps->bind_roles) return GH_ENOMEM;
  int i = 0;
  for (const cJSON *b = bindings->child; b; b = b->next, i++) {
    at_index(ps, "bindings[%d]", i);
    const cJSON *sub = gh__json_member(b, "subject"), *roles = gh__json_member(b, "roles");
    if (!cJSON_IsObject(b) || !cJSON_IsString(sub) || !sub->valuestring[0] || !roles || cJSON_GetArraySize(b) != 2)
      return fail(ps, "expected {\"subject\": string, \"roles\": [...]}", NULL);
    if (gh__strmap_intern(&p->subjects, sub->valuestring, strlen(sub->valuestring), &ps->bind_subject[i], NULL))
      return GH_ENOMEM;
    at_index(ps, "bindings[%d].roles", i);
    size_t count;
    int rc = id_list(ps, roles, &p->roles, true, "roles", &ps->bind_roles[i], &count, NULL);
    if (rc) return rc;
    ps->n_bindings++;
  }
  return GH_OK;
}

static const char *const RULE_MEMBERS[] = {"id", "effect", "actions", "resources", "subjects", "roles", "scopes", "when"};

static int parse_rule(parser *ps, const cJSON *j, gh__rule *r, gh__strmap *ids) {
  gh_policy *p = ps->p;
  char base[sizeof ps->path];
  memcpy(base, ps->path, sizeof base);
  if (!cJSON_IsObject(j)) return fail(ps, "expected an object", NULL);
  for (const cJSON *m = j->child; m; m = m->next) {
    bool known = false;
    for (size_t i = 0; i < sizeof RULE_MEMBERS / sizeof RULE_MEMBERS[0]; i++) known |= !strcmp(m->string, RULE_MEMBERS[i]);
    if (!known) return fail(ps, "unknown member \"%.60s\"", m->string);
  }
  const cJSON *id = gh__json_member(j, "id"), *effect = gh__json_member(j, "effect");
  if (!cJSON_IsString(id) || !id->valuestring[0]) return fail(ps, "\"id\" must be a non-empty string", NULL);
  int added;
  uint32_t unused;
  if (gh__strmap_intern(ids, id->valuestring, strlen(id->valuestring), &unused, &added)) return GH_ENOMEM;
  if (!added) return fail(ps, "duplicate rule id \"%.100s\"", id->valuestring);
  if (!(r->id = gh__strndup(id->valuestring, strlen(id->valuestring)))) return GH_ENOMEM;
  if (!cJSON_IsString(effect) || (strcmp(effect->valuestring, "allow") && strcmp(effect->valuestring, "deny")))
    return fail(ps, "\"effect\" must be \"allow\" or \"deny\"", NULL);
  r->deny = effect->valuestring[0] == 'd';

  const struct {
    const char *name;
    gh__strmap *map;
    bool known_only;
    uint32_t **ids;
    size_t *n;
    bool *star;
  } lists[] = {
      {"actions", &p->actions, false, &r->actions, &r->n_actions, &r->any_action},
      {"subjects", &p->subjects, false, &r->subjects, &r->n_subjects, &r->any_subject},
      {"roles", &p->roles, true, &r->roles, &r->n_roles, NULL},
      {"scopes", &p->scopes, false, &r->scopes, &r->n_scopes, NULL},
  };
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
    const cJSON *arr = gh__json_member(j, lists[i].name);
    if (!arr) continue;
    snprintf(ps->path, sizeof ps->path, "%s.%s", base, lists[i].name);
    int rc = id_list(ps, arr, lists[i].map, lists[i].known_only, lists[i].name, lists[i].ids, lists[i].n, lists[i].star);
    if (rc) return rc;
  }
  snprintf(ps->path, sizeof ps->path, "%s", base);
  if (!r->n_actions && !r->any_action) return fail(ps, "\"actions\" must name at least one action (or \"*\")", NULL);
  if (!r->any_subject && !r->n_subjects && !r->n_roles && !r->n_scopes)
    return fail(ps, "a rule needs \"subjects\", \"roles\" or \"scopes\"", NULL);

  const cJSON *res = gh__json_member(j, "resources"), *e;
  if (!cJSON_IsArray(res) || !res->child) return fail(ps, "\"resources\" must be a non-empty array", NULL);
  r->patterns = gh__calloc((size_t)cJSON_GetArraySize(res), sizeof *r->patterns);
  if (!r->patterns) return GH_ENOMEM;
  cJSON_ArrayForEach(e, res) {
    snprintf(ps->path, sizeof ps->path, "%s.resources[%zu]", base, r->n_patterns);
    if (!cJSON_IsString(e)) return fail(ps, "expected a string", NULL);
    const char *why;
    int rc = gh__pattern_parse(e->valuestring, ps->p->path_flags, &r->patterns[r->n_patterns], &why);
    if (rc == GH_EPARSE || rc == GH_ETOOBIG) {
      char what[160];
      snprintf(what, sizeof what, "\"%.60s\": %.80s", e->valuestring, why);
      return fail(ps, "bad resource pattern %s", what);
    }
    if (rc) return rc;
    r->n_patterns++;
  }
  const cJSON *when = gh__json_member(j, "when");
  if (when) {
    snprintf(ps->path, sizeof ps->path, "%s.when", base);
    return gh__cond_compile(when, r->patterns, r->n_patterns, &r->when, ps->path, sizeof ps->path, ps->msg, ps->cap);
  }
  return GH_OK;
}

static int parse_rules(parser *ps, const cJSON *rules) {
  gh_policy *p = ps->p;
  at(ps, "rules");
  if (!cJSON_IsArray(rules)) return fail(ps, "expected an array of rules", NULL);
  size_t n = (size_t)cJSON_GetArraySize(rules);
  if (n > GH_POLICY_MAX_RULES) return fail(ps, "more rules than the limit", NULL);
  p->rules = gh__calloc(n ? n : 1, sizeof *p->rules);
  gh__strmap ids;
  if (!p->rules || gh__strmap_init(&ids)) {
    return GH_ENOMEM;
  }
  int rc = GH_OK, i = 0;
  for (const cJSON *j = rules->child; j && !rc; j = j->next, i++) {
    at_index(ps, "rules[%d]", i);
    p->rules[p->n_rules].index = (size_t)i;
    rc = parse_rule(ps, j, &p->rules[p->n_rules], &ids);
    p->n_rules++; /* counted even when half-built, so that it is freed */
  }
  gh__strmap_free(&ids);
  return rc;
}

static int bind(parser *ps) {
  gh_policy *p = ps->p;
  p->bound = gh__calloc(p->subjects.count ? p->subjects.count : 1, sizeof *p->bound);
  if (!p->bound) return GH_ENOMEM;
  for (size_t i = 0; i < ps->n_bindings; i++) {
    uint32_t s = ps->bind_subject[i], **slot = &p->bound[s];
    size_t have = 0, add = 0;
    while (*slot && (*slot)[have] != UINT32_MAX) have++;
    while (ps->bind_roles[i][add] != UINT32_MAX) add++;
    uint32_t *merged = gh__realloc(*slot, (have + add + 1) * sizeof *merged);
    if (!merged) return GH_ENOMEM;
    memcpy(merged + have, ps->bind_roles[i], (add + 1) * sizeof *merged);
    *slot = merged;
  }
  return GH_OK;
}

/* Each subject's effective roles (its bindings, closed), precomputed when the
 * table stays small, so a decision reads one row instead of several. */
#define SUBJECT_ROLES_MAX_BYTES (64u * 1024u * 1024u)

static int close_subjects(gh_policy *p) {
  size_t n = p->subjects.count;
  if (!n || n * p->words * sizeof(uint64_t) > SUBJECT_ROLES_MAX_BYTES) return GH_OK;
  if (!(p->subject_roles = gh__calloc(n * p->words, sizeof(uint64_t)))) return GH_ENOMEM;
  for (size_t s = 0; s < n; s++)
    for (const uint32_t *r = p->bound[s]; r && *r != UINT32_MAX; r++)
      for (size_t w = 0; w < p->words; w++) p->subject_roles[s * p->words + w] |= p->closure[(size_t)*r * p->words + w];
  return GH_OK;
}

static void parser_free(parser *ps) {
  size_t roles = ps->p ? ps->p->roles.count : 0;
  for (size_t i = 0; ps->inherits && i < roles; i++) gh__free(ps->inherits[i]);
  gh__free(ps->inherits);
  gh__free(ps->state);
  gh__free(ps->stack);
  for (size_t i = 0; i < ps->n_bindings; i++) gh__free(ps->bind_roles[i]);
  if (ps->bind_roles) gh__free(ps->bind_roles[ps->n_bindings]);
  gh__free(ps->bind_roles);
  gh__free(ps->bind_subject);
}

/* What a condition tree looks at, so that callers set only what is read. */
static unsigned cond_reads(const gh__cond *c) {
  if (!c) return 0;
  unsigned r = 0;
  switch (c->kind) {
    case GH__C_IP: r = GH_POLICY_READS_IP; break;
    case GH__C_TIME: r = GH_POLICY_READS_TIME; break;
    case GH__C_CLAIM_EQ:
    case GH__C_CLAIM_IN:
    case GH__C_CLAIM_CONTAINS:
    case GH__C_PARAM_CLAIM: r = GH_POLICY_READS_CLAIMS; break;
    case GH__C_HEADER_IN: r = GH_POLICY_READS_HEADERS; break;
    default: break;
  }
  for (size_t i = 0; i < c->n_kids; i++) r |= cond_reads(&c->kids[i]);
  return r;
}

unsigned gh_policy_reads(const gh_policy *p) { return p ? p->reads : 0; }

int gh_policy_parse(gh_policy **out, const char *json, size_t len, char *msg, size_t cap) {
  if (!out || (!json && len)) return GH_EINVAL;
  *out = NULL;
  cJSON *doc;
  int rc = gh__json_parse(json, len, GH_POLICY_MAX_BYTES, GH_JSON_DEFAULT_MAX_DEPTH, &doc, msg, cap);
  if (rc) return rc;
  parser ps = {.msg = msg, .cap = cap};
  gh_policy *p = ps.p = gh__calloc(1, sizeof *p);
  if (!p) rc = GH_ENOMEM;
  else {
    atomic_init(&p->refs, 1);
    if (gh__strmap_init(&p->roles) || gh__strmap_init(&p->subjects) || gh__strmap_init(&p->scopes) ||
        gh__strmap_init(&p->actions))
      rc = GH_ENOMEM;
  }
  if (!rc && !cJSON_IsObject(doc)) rc = fail(&ps, "a policy is a JSON object", NULL);
  for (const cJSON *m = !rc ? doc->child : NULL; m && !rc; m = m->next)
    if (strcmp(m->string, "roles") && strcmp(m->string, "bindings") && strcmp(m->string, "rules") &&
        strcmp(m->string, "ignore_case"))
      rc = fail(&ps, "unknown member \"%.60s\" (roles, bindings, rules, ignore_case)", m->string);
  const cJSON *ignore_case = !rc ? gh__json_member(doc, "ignore_case") : NULL;
  if (ignore_case && !cJSON_IsBool(ignore_case)) rc = fail(&ps, "\"ignore_case\" is true or false", NULL);
  if (!rc && cJSON_IsTrue(ignore_case)) p->path_flags = GH_PATH_IGNORE_CASE;
  if (!rc) rc = parse_roles(&ps, gh__json_member(doc, "roles"));
  if (!rc) rc = parse_bindings(&ps, gh__json_member(doc, "bindings"));
  if (!rc) rc = parse_rules(&ps, gh__json_member(doc, "rules"));
  if (!rc) rc = bind(&ps);
  if (!rc) rc = close_subjects(p);
  if (!rc) rc = gh__index_build(p);
  for (size_t i = 0; !rc && i < p->n_rules; i++) p->reads |= cond_reads(p->rules[i].when);
  parser_free(&ps);
  cJSON_Delete(doc);
  if (rc) {
    gh_policy_free(p);
    return rc;
  }
  *out = p;
  return GH_OK;
}
