/* Decisions: the index proposes (rule, pattern) candidates for the request's
 * action and path, each is checked for subject and conditions, deny overrides
 * allow, the lowest-numbered deciding rule is named. Explanations walk every
 * rule without the index, so they double as its reference. */
#include <stdio.h>
#include <string.h>

#include "policy_internal.h"

size_t gh_policy_max_roles(void) { return GH_POLICY_MAX_ROLES; }

gh_policy *gh_policy_ref(gh_policy *p) {
  if (p) atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
  return p;
}

void gh_policy_free(gh_policy *p) {
  if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
  for (size_t i = 0; i < p->n_rules; i++) {
    gh__rule *r = &p->rules[i];
    gh__free(r->id);
    gh__free(r->actions);
    gh__free(r->roles);
    gh__free(r->subjects);
    gh__free(r->scopes);
    for (size_t k = 0; k < r->n_patterns; k++) gh__pattern_free(&r->patterns[k]);
    gh__free(r->patterns);
    gh__cond_free(r->when);
  }
  gh__free(p->rules);
  for (size_t s = 0; p->bound && s < p->subjects.count; s++) gh__free(p->bound[s]);
  gh__free(p->bound);
  gh__free(p->closure);
  gh__free(p->subject_roles);
  if (p->index_block) gh__free(p->index_block);
  else gh__index_free(p->index);
  gh__strmap_free(&p->roles);
  gh__strmap_free(&p->subjects);
  gh__strmap_free(&p->scopes);
  gh__strmap_free(&p->actions);
  gh__free(p);
}

size_t gh_policy_rule_count(const gh_policy *p) { return p ? p->n_rules : 0; }
size_t gh_policy_role_count(const gh_policy *p) { return p ? p->roles.count : 0; }

/* Everything about the request that is resolved once per decision. */
typedef struct resolved {
  const gh_policy *p;
  const gh_policy_request *req;
  gh__seg segs[GH__POLICY_MAX_SEGMENTS];
  size_t n_segs;
  uint32_t action, subject;
  const uint64_t *roles; /* effective roles, found on first need */
  uint64_t merged[GH_POLICY_MAX_ROLES / 64 + 1];
  size_t best_allow, best_deny; /* lowest applicable rule index, SIZE_MAX: none */
  char folded[GH_PATH_MAX + 1];  /* the resource lower-cased, for "ignore_case" policies */
} resolved;

/* The subject's precomputed row when the request adds no roles; else a merge. */
static void fill_roles(resolved *q) {
  const gh_policy *p = q->p;
  if (q->subject != UINT32_MAX && p->subject_roles && !q->req->n_roles) {
    q->roles = &p->subject_roles[(size_t)q->subject * p->words];
    return;
  }
  uint64_t *m = q->merged;
  memset(m, 0, p->words * sizeof m[0]);
  const uint32_t *bound = q->subject != UINT32_MAX ? p->bound[q->subject] : NULL;
  for (; bound && *bound != UINT32_MAX; bound++)
    for (size_t w = 0; w < p->words; w++) m[w] |= p->closure[(size_t)*bound * p->words + w];
  for (size_t i = 0; i < q->req->n_roles; i++) {
    uint32_t id = gh__strmap_find(&p->roles, q->req->roles[i], q->req->role_lens[i]);
    if (id != UINT32_MAX)
      for (size_t w = 0; w < p->words; w++) m[w] |= p->closure[(size_t)id * p->words + w];
  }
  q->roles = m;
}

static bool holds_role(resolved *q, uint32_t role);

static bool subject_matches(resolved *q, const gh__rule *r) {
  if (r->any_subject) return true;
  for (size_t i = 0; i < r->n_subjects; i++)
    if (r->subjects[i] == q->subject) return true;
  for (size_t i = 0; i < r->n_roles; i++)
    if (holds_role(q, r->roles[i])) return true;
  for (size_t i = 0; i < r->n_scopes; i++) {
    const char *scope = gh__strmap_key(&q->p->scopes, r->scopes[i]);
    size_t len = q->p->scopes.lens[r->scopes[i]];
    for (size_t j = 0; j < q->req->n_scopes; j++)
      if (q->req->scope_lens[j] == len && memcmp(q->req->scopes[j], scope, len) == 0) return true;
  }
  return false;
}

static bool applies(resolved *q, const gh__rule *r, const gh__pattern *pattern) {
  if (!subject_matches(q, r)) return false;
  gh__eval e = {q->req, pattern, q->segs};
  return !r->when || gh__cond_holds(r->when, &e);
}

static bool holds_role(resolved *q, uint32_t role) {
  if (!q->roles) fill_roles(q);
  return q->roles[role / 64] & (1ull << (role % 64));
}

static void consider(void *ud, const gh__cand *c) {
  resolved *q = ud;
  size_t *best = c->deny ? &q->best_deny : &q->best_allow;
  if (c->rule >= *best) return; /* a lower-numbered rule of this effect already applies */
  bool yes;
  switch (c->who) {
  case GH__WHO_ANYONE: yes = true; break;
  case GH__WHO_ROLE: yes = holds_role(q, c->id); break;
  case GH__WHO_SUBJECT: yes = c->id == q->subject; break;
  default: {
    const gh__rule *r = &q->p->rules[c->rule];
    yes = applies(q, r, &r->patterns[c->pattern]);
  }
  }
  if (yes) *best = c->rule;
}

static int resolve(resolved *q, const gh_policy *p, const gh_policy_request *r) {
  if (!p || !r) return GH_EINVAL;
  if (!r->action || !r->resource) return GH_EINVAL;
  q->p = p;
  q->req = r;
  q->roles = NULL;
  q->best_allow = q->best_deny = SIZE_MAX;
  const char *resource = r->resource, *why;
  size_t len = r->resource_len;
  if ((p->path_flags & GH_PATH_IGNORE_CASE) && /* canonical already: only the letters change */
      gh__path_canon(resource, len, GH_PATH_IGNORE_CASE, q->folded, sizeof q->folded, &len, &why) == GH_OK)
    resource = q->folded;
  if (!gh__split_path(resource, len, q->segs, &q->n_segs)) return GH_EINVAL;
  gh__index_prepare(p, q->segs, q->n_segs);
  q->action = gh__strmap_find(&p->actions, r->action, r->action_len);
  q->subject = r->subject ? gh__strmap_find(&p->subjects, r->subject, r->subject_len) : UINT32_MAX;
  if (q->subject != UINT32_MAX && p->subject_roles) { /* loads while the index is walked */
    const uint64_t *row = &p->subject_roles[(size_t)q->subject * p->words];
    for (size_t w = 0; w < p->words; w += 8) __builtin_prefetch(&row[w]);
    __builtin_prefetch(&row[p->words - 1]);
  }
  return GH_OK;
}

static void conclude(const resolved *q, int *decision, const char **rule_id) {
  size_t best = q->best_deny != SIZE_MAX ? q->best_deny : q->best_allow;
  *decision = q->best_deny == SIZE_MAX && q->best_allow != SIZE_MAX ? GH_POLICY_ALLOW : GH_POLICY_DENY;
  if (rule_id) *rule_id = best != SIZE_MAX ? q->p->rules[best].id : NULL;
}

int gh_policy_decide(const gh_policy *p, const gh_policy_request *r, int *decision, const char **rule_id) {
  if (!decision) return GH_EINVAL;
  resolved q;
  int rc = resolve(&q, p, r);
  if (rc) return rc;
  gh__index_match(p, q.segs, q.n_segs, q.action, consider, &q);
  conclude(&q, decision, rule_id);
  return GH_OK;
}

static bool action_matches(const resolved *q, const gh__rule *r) {
  if (r->any_action) return true;
  for (size_t i = 0; i < r->n_actions; i++)
    if (r->actions[i] == q->action) return true;
  return false;
}

int gh_policy_explain(const gh_policy *p, const gh_policy_request *r, int *decision, const char **rule_id, char **out,
                      size_t *out_len) {
  if (!decision || !out) return GH_EINVAL;
  *out = NULL;
  resolved q;
  int rc = resolve(&q, p, r);
  if (rc) return rc;
  gh__buf b = {0};
  char line[512], why[160];
  for (size_t i = 0; i < p->n_rules; i++) {
    const gh__rule *rule = &p->rules[i];
    const gh__pattern *matched = NULL;
    for (size_t k = 0; k < rule->n_patterns && !matched; k++)
      if (gh__pattern_match(&rule->patterns[k], q.segs, q.n_segs)) matched = &rule->patterns[k];
    const char *verdict;
    if (!action_matches(&q, rule)) verdict = "action does not match";
    else if (!matched) verdict = "resource does not match";
    else if (!subject_matches(&q, rule)) verdict = "subject holds none of its subjects, roles or scopes";
    else {
      gh__eval e = {r, matched, q.segs};
      if (rule->when && !gh__cond_holds(rule->when, &e)) {
        snprintf(why, sizeof why, "condition: %s", gh__cond_explain_failure(rule->when, &e, line, sizeof line));
        verdict = why;
      } else {
        verdict = rule->deny ? "APPLIES (deny)" : "APPLIES (allow)";
        size_t *best = rule->deny ? &q.best_deny : &q.best_allow;
        if (rule->index < *best) *best = rule->index;
      }
    }
    snprintf(line, sizeof line, "rule %s (rules[%zu], %s): %s\n", rule->id, i, rule->deny ? "deny" : "allow", verdict);
    gh__buf_puts(&b, line);
  }
  const char *id;
  conclude(&q, decision, &id);
  if (rule_id) *rule_id = id;
  snprintf(line, sizeof line, "decision: %s %s\n", *decision == GH_POLICY_ALLOW ? "allow" : "deny", id ? id : "no-rule");
  gh__buf_puts(&b, line);
  rc = gh__buf_finish(&b);
  if (rc) return rc;
  *out = b.p;
  if (out_len) *out_len = b.len;
  return GH_OK;
}
