#include "usage.h"

#include <stdatomic.h>
#include <string.h>

#include "../core/json.h"
#include "label_table.h"

typedef struct entry {
  atomic_uint_fast64_t requests, forwarded, denied, quota_units, bytes_in, bytes_out;
} entry;

struct gh__usage {
  gh__label_table *entries; /* consumer, plan, api, version */
};

gh__usage *gh__usage_new(size_t max_entries) {
  gh__usage *u = gh__calloc(1, sizeof *u);
  if (!u) return NULL;
  if (!(u->entries = gh__label_table_new(max_entries, sizeof(entry)))) return gh__free(u), NULL;
  return u;
}

void gh__usage_free(gh__usage *u) {
  if (!u) return;
  gh__label_table_free(u->entries), gh__free(u);
}

static void add(atomic_uint_fast64_t *a, uint64_t v) {
  if (v) atomic_fetch_add_explicit(a, v, memory_order_relaxed);
}

static uint64_t load(const atomic_uint_fast64_t *a) {
  return atomic_load_explicit((atomic_uint_fast64_t *)a, memory_order_relaxed);
}

void gh__usage_record(gh__usage *u, const char *consumer, const char *plan, const char *api, const char *version,
                      bool forwarded, uint64_t quota_units, uint64_t bytes_in, uint64_t bytes_out) {
  const char *labels[4] = {consumer, plan, api, version};
  char key[GH__LABEL_KEY_MAX];
  entry *e = gh__label_table_value(u->entries, key, gh__label_key(key, labels, 4));
  add(&e->requests, 1);
  add(forwarded ? &e->forwarded : &e->denied, 1);
  add(&e->quota_units, quota_units);
  add(&e->bytes_in, bytes_in);
  add(&e->bytes_out, bytes_out);
}

typedef struct sum_ctx {
  const char *want[4]; /* consumer, (plan: any), api, version */
  gh__usage_totals *out;
} sum_ctx;

static bool part_is(const char *key, size_t len, size_t i, const char *want) {
  size_t l = 0;
  const char *v = key ? gh__label_key_part(key, len, i, &l) : NULL;
  return v && l == strlen(want) && memcmp(v, want, l) == 0;
}

static void add_matching(void *ud, const char *key, size_t len, void *value) {
  sum_ctx *c = ud;
  for (size_t i = 0; i < 4; i++)
    if (c->want[i] && !part_is(key, len, i, c->want[i])) return;
  const entry *e = value;
  c->out->requests += load(&e->requests);
  c->out->forwarded += load(&e->forwarded);
  c->out->denied += load(&e->denied);
  c->out->quota_units += load(&e->quota_units);
  c->out->bytes_in += load(&e->bytes_in);
  c->out->bytes_out += load(&e->bytes_out);
}

void gh__usage_sum(const gh__usage *u, const char *consumer, const char *api, const char *version,
                   gh__usage_totals *out) {
  memset(out, 0, sizeof *out);
  sum_ctx c = {{consumer, NULL, api, version}, out};
  gh__label_table_each(u->entries, add_matching, &c);
}

static void put_field(gh__buf *out, const char *name, uint64_t v) {
  char d[24];
  gh__buf_put(out, ",\"", 2);
  gh__buf_puts(out, name);
  gh__buf_put(out, "\":", 2);
  gh__buf_put(out, d, gh__u64_to_dec(v, d));
}

static void write_entry(void *ud, const char *key, size_t len, void *value) {
  gh__buf *out = ud;
  static const char *const names[4] = {"consumer", "plan", "api", "version"};
  gh__buf_put(out, "{", 1);
  for (size_t i = 0; i < 4; i++) {
    size_t l = 0;
    const char *v = key ? gh__label_key_part(key, len, i, &l) : "_overflow";
    if (!key) l = 9;
    if (i) gh__buf_put(out, ",", 1);
    gh__buf_put(out, "\"", 1);
    gh__buf_puts(out, names[i]);
    gh__buf_put(out, "\":", 2);
    gh__buf_put_json_string(out, v ? v : "", v ? l : 0);
  }
  const entry *e = value;
  put_field(out, "requests", load(&e->requests));
  put_field(out, "forwarded", load(&e->forwarded));
  put_field(out, "denied", load(&e->denied));
  put_field(out, "quota_units", load(&e->quota_units));
  put_field(out, "bytes_in", load(&e->bytes_in));
  put_field(out, "bytes_out", load(&e->bytes_out));
  gh__buf_put(out, "}\n", 2);
}

void gh__usage_write(const gh__usage *u, gh__buf *out) { gh__label_table_each(u->entries, write_entry, out); }
