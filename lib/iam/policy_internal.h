/* Compiled policy: interned names, role closures, rules, conditions and the
 * resource index. Shared by policy_parse.c, policy_cond.c, policy_index.c,
 * policy_request.c and policy.c. */
#ifndef GH_POLICY_INTERNAL_H
#define GH_POLICY_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../core/ipaddr.h"
#include "../core/path.h"
#include "../core/strmap.h"
#include "gatehouse/policy.h"

#define GH__POLICY_MAX_SEGMENTS 64

typedef struct gh__seg {
  const char *p;
  size_t len;
  uint64_t hash; /* as the index hashes labels; valid when hashed */
  bool hashed;
} gh__seg;

/* One segment of a resource pattern. */
typedef struct gh__pseg {
  char *text; /* literal, or the parameter name */
  size_t len;
  bool param;
} gh__pseg;

typedef struct gh__pattern {
  char *text;
  gh__pseg *segs;
  size_t n_segs;
  bool rest; /* ends with "*": any remainder */
} gh__pattern;

typedef enum gh__cond_kind {
  GH__C_ALL, GH__C_ANY, GH__C_NOT, GH__C_IP, GH__C_TIME, GH__C_CLAIM_EQ, GH__C_CLAIM_IN, GH__C_CLAIM_CONTAINS,
  GH__C_PARAM_CLAIM, GH__C_PARAM_EQ, GH__C_HEADER_IN
} gh__cond_kind;

typedef struct gh__cond {
  gh__cond_kind kind;
  struct gh__cond *kids; /* all, any, not */
  size_t n_kids;
  gh__cidr *cidrs;
  size_t n_cidrs;
  unsigned days;   /* bit 0 Sunday .. bit 6 Saturday */
  int from_hour, to_hour, offset_min;
  char *name;      /* claim path, parameter name, or lower-case header name */
  char *claim;     /* param compared with this claim path */
  cJSON *values;   /* array of accepted JSON values */
} gh__cond;

typedef struct gh__rule {
  char *id;
  size_t index; /* position in the document */
  bool deny;
  bool any_action, any_subject;
  uint32_t *actions, *roles, *subjects, *scopes;
  size_t n_actions, n_roles, n_subjects, n_scopes;
  gh__pattern *patterns;
  size_t n_patterns;
  gh__cond *when; /* NULL: no conditions */
} gh__rule;

/* How a candidate's subject is checked without touching its rule: most rules
 * name one role, one subject or "*" and have no conditions. */
typedef enum gh__who { GH__WHO_ANYONE, GH__WHO_ROLE, GH__WHO_SUBJECT, GH__WHO_GENERAL } gh__who;

/* A (rule, pattern) pair the index hands out, with what deciding it needs. */
typedef struct gh__cand {
  uint32_t rule, pattern;
  uint32_t id; /* the role or subject id for GH__WHO_ROLE / GH__WHO_SUBJECT */
  uint8_t who; /* gh__who */
  uint8_t deny;
} gh__cand;

typedef struct gh__cand_list {
  gh__cand *v;
  size_t n, cap;
} gh__cand_list;

/* Per-action candidate lists of one trie node ("*" rules in any_action). */
typedef struct gh__by_action {
  uint32_t *action_ids;
  gh__cand_list *lists;
  size_t n;
  gh__cand_list any_action;
} gh__by_action;

/* A static child in a node's open-addressed table: 16 bytes a slot, so that
 * wide nodes stay in cache; the label lives in the child, which a lookup
 * touches next anyway. */
typedef struct gh__edge {
  uint64_t hash;
  struct gh__trie *child; /* NULL: empty slot */
} gh__edge;

/* A node's candidates once built, in one block: per-action ranges, the range
 * of "*" rules, then the candidates themselves. */
typedef struct gh__range {
  uint32_t action, start, count;
} gh__range;

typedef struct gh__packed {
  uint32_t n_ranges;
  gh__range any; /* rules for every action */
  gh__cand *cands;
  gh__range ranges[];
} gh__packed;

/* A trie node: what a lookup reads comes first, in 64 bytes; the build-time
 * fields after. Built indexes are frozen into one block whose nodes hold the
 * first GH__TRIE_LOOKUP_BYTES only: lookups never read past label. */
#define GH__INLINE_LABEL 16
typedef struct gh__trie {
  gh__edge *edges;                /* power-of-two table, load <= 1/2 */
  uint32_t edge_mask, label_len;  /* label: the segment leading here */
  struct gh__trie *param;
  gh__packed *end_at, *rest_at;   /* once built (NULL: none) */
  char inline_label[GH__INLINE_LABEL];
  char *label;                    /* longer labels */
  size_t n_edges;                 /* build time only from here on */
  gh__by_action end, rest;        /* patterns that end here / with "*" here */
} gh__trie;
#define GH__TRIE_LOOKUP_BYTES offsetof(gh__trie, n_edges)
_Static_assert(GH__TRIE_LOOKUP_BYTES == 64, "a node's lookup fields fill one cache line");

struct gh_policy {
  atomic_size_t refs;
  gh__strmap roles, subjects, scopes, actions;
  size_t words;          /* 64-bit words per role bitset */
  uint64_t *closure;     /* roles.count bitsets: each role with all it inherits */
  uint32_t **bound;      /* per subject id: role ids bound (UINT32_MAX-terminated) */
  uint64_t *subject_roles; /* per subject id, its effective role bitset (NULL: too big to keep) */
  gh__rule *rules;
  size_t n_rules;
  gh__trie *index;       /* inside index_block once built */
  void *index_block;
  uint64_t label_seed; /* hashes of the index's static labels */
  unsigned path_flags; /* GH_PATH_IGNORE_CASE when the document asks for it */
  unsigned reads;      /* GH_POLICY_READS_*: what its conditions look at */
};

/* A request keeps short subjects, actions and resources in its own buffers,
 * right after the fields a decision reads first: setting them allocates
 * nothing, and a decision finds the whole question in three cache lines
 * rather than scattered over the heap (longer strings are heap copies). */
#define GH__REQ_SUBJECT_INLINE 24
#define GH__REQ_ACTION_INLINE 8
#define GH__REQ_RESOURCE_INLINE 96
struct gh_policy_request {
  char *subject, *action, *resource; /* NUL-terminated; NULL: not set */
  size_t subject_len, action_len, resource_len;
  size_t n_roles, n_scopes;
  char subject_inline[GH__REQ_SUBJECT_INLINE];
  char action_inline[GH__REQ_ACTION_INLINE];
  char resource_inline[GH__REQ_RESOURCE_INLINE];
  char **roles, **scopes;
  size_t *role_lens, *scope_lens;
  size_t cap_roles, cap_scopes;
  cJSON *claims;
  bool has_ip;
  gh__ip ip;
  char **header_names, **header_values; /* names lower-cased */
  size_t n_headers, cap_headers;
  bool has_time;
  int64_t time_ms;
};

/* What a condition is evaluated against. */
typedef struct gh__eval {
  const gh_policy_request *req;
  const gh__pattern *pattern; /* the pattern that matched */
  const gh__seg *segs;        /* the request's path segments */
} gh__eval;

/* policy_cond.c */
int gh__cond_compile(const cJSON *when, const gh__pattern *patterns, size_t n_patterns, gh__cond **out, char *path,
                     size_t path_len, char *msg, size_t cap);
void gh__cond_free(gh__cond *c);
bool gh__cond_holds(const gh__cond *c, const gh__eval *e);
/* The first failing leaf, for explanations ("ip", "time", "claim tenant_id", ...). */
const char *gh__cond_explain_failure(const gh__cond *c, const gh__eval *e, char *buf, size_t cap);

/* policy_index.c */
/* Parses a resource pattern, canonicalised as requests are (path_flags, one
 * trailing slash dropped); *why says what is wrong on GH_EPARSE. */
int gh__pattern_parse(const char *text, unsigned path_flags, gh__pattern *out, const char **why);
void gh__pattern_free(gh__pattern *p);
bool gh__pattern_match(const gh__pattern *p, const gh__seg *segs, size_t n);
int gh__index_build(gh_policy *p);
void gh__index_free(gh__trie *t); /* an index still being built */
typedef void (*gh__cand_fn)(void *ud, const gh__cand *c);
/* Calls fn for every (rule, pattern) whose pattern matches and whose actions
 * include action (UINT32_MAX: an action no rule names; only "*" rules fit). */
/* Starts loading the root's slot for the request's first segment while the
 * caller does other work. */
void gh__index_prepare(const gh_policy *p, gh__seg *segs, size_t n);
/* Segments are hashed on first need, once per decision (hence not const). */
void gh__index_match(const gh_policy *p, gh__seg *segs, size_t n, uint32_t action, gh__cand_fn fn, void *ud);

/* The canonical resource of a request or pattern: gatehouse/path.h's form
 * with one trailing slash dropped ("/a/" is "/a"; "/" stays), so that a rule
 * covers a path whatever the router's trailing-slash mode. GH_OK, or
 * GH_EPARSE / GH_ETOOBIG with *why. */
int gh__resource_canon(const char *in, size_t len, unsigned flags, char *out, size_t *out_len, const char **why);
/* policy.c: splits a resource path into segments; false when it has too many. */
bool gh__split_path(const char *path, size_t len, gh__seg *segs, size_t *n);

#endif
