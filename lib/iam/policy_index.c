/* Resource patterns and the rule index: a trie over path segments (static
 * children, one parameter child, and rules ending or "*"-ending at each node),
 * with candidates split by action. A lookup visits only the branches the
 * request's path can take, so its cost follows the path, not the rule count. */
#include <stdlib.h>
#include <string.h>

#include "../core/hash64.h"
#include "policy_internal.h"

bool gh__split_path(const char *path, size_t len, gh__seg *segs, size_t *n) {
  if (!len || path[0] != '/') return false;
  size_t count = 0, start = 1;
  for (size_t i = 1; i <= len; i++) {
    if (i == len || path[i] == '/') {
      if (count == GH__POLICY_MAX_SEGMENTS) return false;
      segs[count++] = (gh__seg){path + start, i - start, 0, false};
      start = i + 1;
    }
  }
  *n = count;
  return true;
}

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int gh__resource_canon(const char *in, size_t len, unsigned flags, char *out, size_t *out_len, const char **why) {
  int rc = gh__path_canon(in, len, flags, out, GH_PATH_MAX + 1, out_len, why);
  if (rc == GH_ETOOBIG) *why = "longer than GH_PATH_MAX";
  if (rc) return rc == GH_EBUFFER ? GH_ETOOBIG : rc;
  if (*out_len > 1 && out[*out_len - 1] == '/') out[--*out_len] = '\0';
  return GH_OK;
}

int gh__pattern_parse(const char *text, unsigned path_flags, gh__pattern *out, const char **why) {
  memset(out, 0, sizeof *out);
  *why = "a pattern is like \"/a/{param}/*\"";
  char canon[GH_PATH_MAX + 1];
  size_t len;
  int rc = gh__resource_canon(text, strlen(text), path_flags | GH__PATH_PATTERN, canon, &len, why);
  if (rc) return rc;
  const char *shown = text; /* explanations show the pattern as written */
  text = canon;
  gh__seg segs[GH__POLICY_MAX_SEGMENTS];
  size_t n;
  if (!gh__split_path(text, len, segs, &n)) return *why = "more than 64 segments", GH_EPARSE;
  if (n && segs[n - 1].len == 1 && segs[n - 1].p[0] == '*') {
    out->rest = true;
    n--;
  }
  out->text = gh__strndup(shown, strlen(shown));
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
  if (n < p->n_segs || (!p->rest && n != p->n_segs)) return false; /* "*" takes the rest, possibly none */
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

/* What a candidate of this rule needs to decide its subject on its own. */
static gh__cand candidate(const gh__rule *r, uint32_t rule, uint32_t pattern) {
  gh__cand c = {rule, pattern, 0, GH__WHO_GENERAL, r->deny};
  size_t selectors = r->n_roles + r->n_subjects + r->n_scopes + (r->any_subject ? 1 : 0);
  if (r->when || selectors != 1) return c;
  if (r->any_subject) c.who = GH__WHO_ANYONE;
  else if (r->n_roles) c.who = GH__WHO_ROLE, c.id = r->roles[0];
  else if (r->n_subjects) c.who = GH__WHO_SUBJECT, c.id = r->subjects[0];
  return c;
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
  for (size_t i = 0; t->edges && i <= t->edge_mask; i++) gh__index_free(t->edges[i].child);
  gh__free(t->label);
  gh__free(t->edges);
  gh__index_free(t->param);
  by_action_free(&t->end);
  by_action_free(&t->rest);
  gh__free(t->end_at);
  gh__free(t->rest_at);
  gh__free(t);
}

static void put_edge(gh__trie *t, const gh__edge *e) {
  size_t j = e->hash & t->edge_mask;
  while (t->edges[j].child) j = (j + 1) & t->edge_mask;
  t->edges[j] = *e;
  t->n_edges++;
}

static int grow_edges(gh__trie *t) {
  size_t slots = t->edges ? (t->edge_mask + 1) * 2 : 4;
  gh__edge *old = t->edges, *fresh = gh__calloc(slots, sizeof *fresh);
  if (!fresh) return GH_ENOMEM;
  size_t old_slots = old ? t->edge_mask + 1 : 0;
  t->edges = fresh;
  t->edge_mask = (uint32_t)(slots - 1);
  t->n_edges = 0;
  for (size_t i = 0; i < old_slots; i++)
    if (old[i].child) put_edge(t, &old[i]);
  gh__free(old);
  return GH_OK;
}

/* Packs a node's build-time lists into one block and frees them. */
static int pack(gh__by_action *b, gh__packed **out) {
  size_t total = b->any_action.n;
  for (size_t i = 0; i < b->n; i++) total += b->lists[i].n;
  *out = NULL;
  if (total) {
    gh__packed *p = gh__malloc(sizeof *p + b->n * sizeof(gh__range) + total * sizeof(gh__cand));
    if (!p) return GH_ENOMEM;
    p->n_ranges = (uint32_t)b->n;
    p->cands = (gh__cand *)((char *)p + sizeof *p + b->n * sizeof(gh__range));
    uint32_t at = 0;
    for (size_t i = 0; i < b->n; i++) {
      p->ranges[i] = (gh__range){b->action_ids[i], at, (uint32_t)b->lists[i].n};
      if (b->lists[i].n) memcpy(p->cands + at, b->lists[i].v, b->lists[i].n * sizeof(gh__cand));
      at += (uint32_t)b->lists[i].n;
    }
    p->any = (gh__range){0, at, (uint32_t)b->any_action.n};
    if (b->any_action.n) memcpy(p->cands + at, b->any_action.v, b->any_action.n * sizeof(gh__cand));
    *out = p;
  }
  by_action_free(b);
  memset(b, 0, sizeof *b);
  return GH_OK;
}

static int pack_all(gh__trie *t) {
  if (pack(&t->end, &t->end_at) || pack(&t->rest, &t->rest_at)) return GH_ENOMEM;
  for (size_t i = 0; i <= t->edge_mask && t->edges; i++)
    if (t->edges[i].child && pack_all(t->edges[i].child)) return GH_ENOMEM;
  return t->param ? pack_all(t->param) : GH_OK;
}

/* Build-time lookup of static children: key = parent address + label. */
typedef struct builder {
  uint64_t seed;
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
  if ((t->n_edges + 1) * 2 > (t->edges ? t->edge_mask + 1 : 0) && grow_edges(t)) return GH_ENOMEM;
  gh__trie *n = gh__calloc(1, sizeof *n);
  if (!n) return GH_ENOMEM;
  n->label_len = (uint32_t)s->len;
  if (s->len <= GH__INLINE_LABEL) memcpy(n->inline_label, s->text, s->len);
  else if (!(n->label = gh__strndup(s->text, s->len))) {
    gh__free(n);
    return GH_ENOMEM;
  }
  gh__edge e = {gh__hash64(s->text, s->len, b->seed), n};
  put_edge(t, &e);
  b->found[id] = n;
  *out = n;
  return GH_OK;
}

/* Once built, the index is copied into one block in depth-first order: a
 * node, its edge table, its long label and its candidates, then its children.
 * A lookup's path then reads neighbouring memory instead of scattered heap
 * blocks, which is what keeps a 100,000-rule index close to a small one. */
static size_t packed_size(const gh__packed *pk) {
  return sizeof *pk + pk->n_ranges * sizeof(gh__range) + (size_t)(pk->any.start + pk->any.count) * sizeof(gh__cand);
}

static size_t align_up(size_t at, size_t to) { return (at + to - 1) & ~(to - 1); }

/* Lays out t at offset *at of base (base NULL: only measures). */
static gh__trie *freeze(const gh__trie *t, char *base, size_t *at) {
  size_t node_at = align_up(*at, 64); /* a node's lookup fields in one cache line */
  gh__trie *n = base ? (gh__trie *)(base + node_at) : NULL;
  *at = node_at + GH__TRIE_LOOKUP_BYTES; /* a frozen node holds the lookup fields only */
  if (n) memcpy(n, t, GH__TRIE_LOOKUP_BYTES);
  size_t slots = t->edges ? (size_t)t->edge_mask + 1 : 0;
  if (slots) { /* the edge table next to its node: read right after it */
    if (n) n->edges = memcpy(base + *at, t->edges, slots * sizeof *t->edges);
    *at = align_up(*at + slots * sizeof *t->edges, 16);
  }
  if (t->label) {
    if (n) n->label = memcpy(base + *at, t->label, t->label_len);
    *at = align_up(*at + t->label_len, 16);
  }
  const gh__packed *lists[2] = {t->end_at, t->rest_at};
  for (int i = 0; i < 2; i++) {
    if (!lists[i]) continue;
    size_t size = packed_size(lists[i]);
    if (n) {
      gh__packed *copy = memcpy(base + *at, lists[i], size);
      copy->cands = (gh__cand *)((char *)copy + sizeof *copy + copy->n_ranges * sizeof(gh__range));
      *(i ? &n->rest_at : &n->end_at) = copy;
    }
    *at = align_up(*at + size, 16);
  }
  for (size_t j = 0; j < slots; j++)
    if (t->edges[j].child) {
      gh__trie *c = freeze(t->edges[j].child, base, at);
      if (n) n->edges[j].child = c;
    }
  if (t->param) {
    gh__trie *c = freeze(t->param, base, at);
    if (n) n->param = c;
  }
  return n;
}

int gh__index_build(gh_policy *p) {
  builder b = {0};
  b.seed = p->label_seed = gh__hash_seed();
  int rc = gh__strmap_init(&b.keys);
  if (!rc && !(p->index = gh__calloc(1, sizeof *p->index))) rc = GH_ENOMEM;
  for (size_t r = 0; !rc && r < p->n_rules; r++) {
    const gh__rule *rule = &p->rules[r];
    for (size_t k = 0; !rc && k < rule->n_patterns; k++) {
      const gh__pattern *pat = &rule->patterns[k];
      gh__trie *t = p->index;
      for (size_t s = 0; !rc && s < pat->n_segs; s++) rc = child(&b, t, &pat->segs[s], &t);
      if (!rc) rc = by_action_add(pat->rest ? &t->rest : &t->end, rule, candidate(rule, (uint32_t)r, (uint32_t)k));
    }
  }
  if (!rc) rc = pack_all(p->index);
  size_t size = 0;
  if (!rc) freeze(p->index, NULL, &size);
  char *block = rc ? NULL : gh__malloc(size + 64);
  if (!rc && !block) rc = GH_ENOMEM;
  if (!rc) {
    gh__prefer_huge_pages(block, size + 64);
    size_t at = (size_t)(-(uintptr_t)block & 63); /* the root on a cache-line boundary */
    gh__trie *frozen = freeze(p->index, block, &at);
    gh__index_free(p->index);
    p->index = frozen;
    p->index_block = block;
  }
  gh__strmap_free(&b.keys);
  gh__free(b.found);
  return rc;
}

static void emit(const gh__packed *p, uint32_t action, gh__cand_fn fn, void *ud) {
  if (!p) return;
  for (uint32_t i = 0; i < p->n_ranges; i++)
    if (p->ranges[i].action == action) {
      for (uint32_t j = 0; j < p->ranges[i].count; j++) fn(ud, &p->cands[p->ranges[i].start + j]);
      break;
    }
  for (uint32_t j = 0; j < p->any.count; j++) fn(ud, &p->cands[p->any.start + j]);
}

/* The static child labelled s, probing from the slot of its hash h. */
static const gh__trie *find_child(const gh__trie *t, const gh__seg *s, uint64_t h) {
  for (size_t j = h & t->edge_mask;; j = (j + 1) & t->edge_mask) {
    const gh__edge *e = &t->edges[j];
    if (!e->child) return NULL;
    const gh__trie *c = e->child;
    if (e->hash == h && c->label_len == s->len &&
        memcmp(c->label_len <= GH__INLINE_LABEL ? c->inline_label : c->label, s->p, s->len) == 0)
      return c;
  }
}

static uint64_t seg_hash(gh__seg *s, uint64_t seed) {
  if (!s->hashed) s->hash = gh__hash64(s->p, s->len, seed), s->hashed = true;
  return s->hash;
}

static void match(const gh__trie *t, gh__seg *segs, size_t n, uint32_t action, uint64_t seed, gh__cand_fn fn,
                  void *ud) {
  if (!n) {
    emit(t->end_at, action, fn, ud);
    emit(t->rest_at, action, fn, ud); /* "*" takes the rest, possibly none */
    return;
  }
  /* what comes after this node loads while its "*" candidates are considered */
  uint64_t h = t->edges ? seg_hash(&segs[0], seed) : 0;
  if (t->edges) __builtin_prefetch(&t->edges[h & t->edge_mask]);
  if (t->param) __builtin_prefetch(t->param);
  emit(t->rest_at, action, fn, ud);
  const gh__trie *c = t->edges ? find_child(t, &segs[0], h) : NULL;
  if (c) match(c, segs + 1, n - 1, action, seed, fn, ud);
  if (t->param && segs[0].len) match(t->param, segs + 1, n - 1, action, seed, fn, ud);
}

void gh__index_prepare(const gh_policy *p, gh__seg *segs, size_t n) {
  const gh__trie *root = p->index;
  if (n && root->edges) __builtin_prefetch(&root->edges[seg_hash(&segs[0], p->label_seed) & root->edge_mask]);
}

void gh__index_match(const gh_policy *p, gh__seg *segs, size_t n, uint32_t action, gh__cand_fn fn, void *ud) {
  match(p->index, segs, n, action, p->label_seed, fn, ud);
}
