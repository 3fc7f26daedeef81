/* Resource patterns and the rule index: a trie over path segments (static
 * children, one parameter child, and rules ending or "*"-ending at each node),
 * with candidates split by action. A lookup visits only the branches the
 * request's path can take, so its cost follows the path, not the rule count. */
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

bool gh__split_path(const char *path, size_t len, gh__seg *segs, size_t *n) {
  if (!len || path[0] != '/') return false;
  size_t count = 0, start = 1;
  for (size_t i = 1; i <= len; i++) {
    if (i == len || path[i] == '/') {
      if (count == GH__POLICY_MAX_SEGMENTS) return false;
      segs[count++] = (gh__seg){path + start, i - start};
      start = i + 1;
    }
  }
  *n = count;
  return true;
}

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int gh__pattern_parse(const char *text, gh__pattern *out) {
  memset(out, 0, sizeof *out);
  size_t len = strlen(text);
  gh__seg segs[GH__POLICY_MAX_SEGMENTS];
  size_t n;
  if (!gh__split_path(text, len, segs, &n)) return GH_EPARSE;
  if (n && segs[n - 1].len == 1 && segs[n - 1].p[0] == '*') {
    out->rest = true;
    n--;
  }
  out->text = gh__strndup(text, len);
  out->segs = gh__calloc(n ? n : 1, sizeof *out->segs);
  if (!out->text || !out->segs) {
    gh__pattern_free(out);
    return GH_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const char *p = segs[i].p;
    size_t l = segs[i].len;
    gh__pseg *s = &out->segs[out->n_segs++];
    if (l >= 3 && p[0] == '{' && p[l - 1] == '}') {
      for (size_t j = 1; j + 1 < l; j++)
        if (!is_name_char(p[j])) goto bad;
      s->param = true;
      p++, l -= 2;
    } else if (memchr(p, '{', l) || memchr(p, '}', l) || memchr(p, '*', l)) {
      goto bad; /* "*" only as the whole last segment; "{name}" only as a whole segment */
    }
    if (!(s->text = gh__strndup(p, l))) {
      gh__pattern_free(out);
      return GH_ENOMEM;
    }
    s->len = l;
  }
  return GH_OK;
bad:
  gh__pattern_free(out);
  return GH_EPARSE;
}

void gh__pattern_free(gh__pattern *p) {
  for (size_t i = 0; i < p->n_segs; i++) gh__free(p->segs[i].text);
  gh__free(p->segs);
  gh__free(p->text);
  memset(p, 0, sizeof *p);
}

bool gh__pattern_match(const gh__pattern *p, const gh__seg *segs, size_t n) {
  if (n < p->n_segs || (p->rest ? n == p->n_segs : n != p->n_segs)) return false;
  for (size_t i = 0; i < p->n_segs; i++) {
    const gh__pseg *s = &p->segs[i];
    if (s->param ? segs[i].len == 0 : (s->len != segs[i].len || memcmp(s->text, segs[i].p, s->len) != 0))
      return false;
  }
  return true;
}

static int list_add(gh__cand_list *l, gh__cand c) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4;
    gh__cand *v = gh__realloc(l->v, cap * sizeof *v);
    if (!v) return GH_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = c;
  return GH_OK;
}

static int by_action_add(gh__by_action *b, const gh__rule *r, gh__cand c) {
  if (r->any_action) return list_add(&b->any_action, c);
  for (size_t a = 0; a < r->n_actions; a++) {
    size_t i = 0;
    while (i < b->n && b->action_ids[i] != r->actions[a]) i++;
    if (i == b->n) {
      uint32_t *ids = gh__realloc(b->action_ids, (b->n + 1) * sizeof *ids);
      if (!ids) return GH_ENOMEM;
      b->action_ids = ids;
      gh__cand_list *lists = gh__realloc(b->lists, (b->n + 1) * sizeof *lists);
      if (!lists) return GH_ENOMEM;
      b->lists = lists;
      b->action_ids[b->n] = r->actions[a];
      memset(&b->lists[b->n], 0, sizeof b->lists[0]);
      b->n++;
    }
    if (list_add(&b->lists[i], c)) return GH_ENOMEM;
  }
  return GH_OK;
}

static void by_action_free(gh__by_action *b) {
  for (size_t i = 0; i < b->n; i++) gh__free(b->lists[i].v);
  gh__free(b->lists);
  gh__free(b->action_ids);
  gh__free(b->any_action.v);
}

void gh__index_free(gh__trie *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_children; i++) {
    gh__index_free(t->children[i]);
    gh__free(t->labels[i]);
  }
  gh__free(t->labels);
  gh__free(t->label_lens);
  gh__free(t->children);
  gh__index_free(t->param);
  by_action_free(&t->end);
  by_action_free(&t->rest);
  gh__free(t);
}

/* Build-time lookup of static children: key = parent address + label. */
typedef struct builder {
  gh__strmap keys;
  gh__trie **found; /* by key id */
  size_t cap;
} builder;

static int child(builder *b, gh__trie *t, const gh__pseg *s, gh__trie **out) {
  if (s->param) {
    if (!t->param && !(t->param = gh__calloc(1, sizeof *t->param))) return GH_ENOMEM;
    *out = t->param;
    return GH_OK;
  }
  char key[sizeof(void *) + 256];
  char *heap = NULL, *k = key;
  size_t klen = sizeof(void *) + s->len;
  if (klen > sizeof key && !(k = heap = gh__malloc(klen))) return GH_ENOMEM;
  memcpy(k, &t, sizeof(void *));
  memcpy(k + sizeof(void *), s->text, s->len);
  uint32_t id;
  int added, rc = gh__strmap_intern(&b->keys, k, klen, &id, &added);
  gh__free(heap);
  if (rc) return rc;
  if (!added) {
    *out = b->found[id];
    return GH_OK;
  }
  if (id >= b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    gh__trie **f = gh__realloc(b->found, cap * sizeof *f);
    if (!f) return GH_ENOMEM;
    b->found = f;
    b->cap = cap;
  }
  if (t->n_children == t->cap_children) {
    size_t cap = t->cap_children ? t->cap_children * 2 : 2;
    char **l = gh__realloc(t->labels, cap * sizeof *l);
    if (!l) return GH_ENOMEM;
    t->labels = l;
    size_t *ll = gh__realloc(t->label_lens, cap * sizeof *ll);
    if (!ll) return GH_ENOMEM;
    t->label_lens = ll;
    gh__trie **c = gh__realloc(t->children, cap * sizeof *c);
    if (!c) return GH_ENOMEM;
    t->children = c;
    t->cap_children = cap;
  }
  gh__trie *n = gh__calloc(1, sizeof *n);
  char *label = gh__strndup(s->text, s->len);
  if (!n || !label) {
    gh__free(n);
    gh__free(label);
    return GH_ENOMEM;
  }
  t->labels[t->n_children] = label;
  t->label_lens[t->n_children] = s->len;
  t->children[t->n_children++] = n;
  b->found[id] = n;
  *out = n;
  return GH_OK;
}

static int label_cmp(const char *a, size_t al, const char *b, size_t bl) {
  if (al != bl) return al < bl ? -1 : 1;
  return memcmp(a, b, al);
}

typedef struct labelled {
  char *label;
  size_t len;
  gh__trie *child;
} labelled;

static int labelled_cmp(const void *a, const void *b) {
  const labelled *x = a, *y = b;
  return label_cmp(x->label, x->len, y->label, y->len);
}

/* Sorts every node's static children for binary search. */
static int finish(gh__trie *t) {
  if (t->n_children > 1) {
    labelled *v = gh__malloc(t->n_children * sizeof *v);
    if (!v) return GH_ENOMEM;
    for (size_t i = 0; i < t->n_children; i++) v[i] = (labelled){t->labels[i], t->label_lens[i], t->children[i]};
    qsort(v, t->n_children, sizeof *v, labelled_cmp);
    for (size_t i = 0; i < t->n_children; i++)
      t->labels[i] = v[i].label, t->label_lens[i] = v[i].len, t->children[i] = v[i].child;
    gh__free(v);
  }
  for (size_t i = 0; i < t->n_children; i++)
    if (finish(t->children[i])) return GH_ENOMEM;
  return t->param ? finish(t->param) : GH_OK;
}

int gh__index_build(gh_policy *p) {
  builder b = {0};
  int rc = gh__strmap_init(&b.keys);
  if (!rc && !(p->index = gh__calloc(1, sizeof *p->index))) rc = GH_ENOMEM;
  for (size_t r = 0; !rc && r < p->n_rules; r++) {
    const gh__rule *rule = &p->rules[r];
    for (size_t k = 0; !rc && k < rule->n_patterns; k++) {
      const gh__pattern *pat = &rule->patterns[k];
      gh__trie *t = p->index;
      for (size_t s = 0; !rc && s < pat->n_segs; s++) rc = child(&b, t, &pat->segs[s], &t);
      if (!rc) rc = by_action_add(pat->rest ? &t->rest : &t->end, rule, (gh__cand){(uint32_t)r, (uint32_t)k});
    }
  }
  if (!rc) rc = finish(p->index);
  gh__strmap_free(&b.keys);
  gh__free(b.found);
  return rc;
}

static void emit(const gh__by_action *b, uint32_t action, gh__cand_fn fn, void *ud) {
  for (size_t i = 0; i < b->n; i++)
    if (b->action_ids[i] == action) {
      for (size_t j = 0; j < b->lists[i].n; j++) fn(ud, &b->lists[i].v[j]);
      break;
    }
  for (size_t j = 0; j < b->any_action.n; j++) fn(ud, &b->any_action.v[j]);
}

static const gh__trie *find_child(const gh__trie *t, const gh__seg *s) {
  size_t lo = 0, hi = t->n_children;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = label_cmp(t->labels[mid], t->label_lens[mid], s->p, s->len);
    if (c == 0) return t->children[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

void gh__index_match(const gh__trie *t, const gh__seg *segs, size_t n, uint32_t action, gh__cand_fn fn, void *ud) {
  if (!n) {
    emit(&t->end, action, fn, ud);
    return;
  }
  emit(&t->rest, action, fn, ud); /* "*" here: at least one more segment, which there is */
  const gh__trie *c = find_child(t, &segs[0]);
  if (c) gh__index_match(c, segs + 1, n - 1, action, fn, ud);
  if (t->param && segs[0].len) gh__index_match(t->param, segs + 1, n - 1, action, fn, ud);
}
