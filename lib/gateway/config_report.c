/* Errors of a configuration document, reported all at once and located.
 * cJSON keeps no positions, so an error's line:column is found again in the
 * text by walking its JSON path with a small scanner over the (already
 * validated) document. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config_report.h"

void gh__report_init(gh__config_report *r, const char *text, size_t len) {
  memset(r, 0, sizeof *r);
  r->text = text;
  r->text_len = len;
}

void gh__report_free(gh__config_report *r) { gh__buf_free(&r->out); }

void gh__report_push_name(gh__config_report *r, const char *name) {
  if (r->depth < GH__CONFIG_PATH_DEPTH) r->steps[r->depth] = (gh__path_step){.name = name};
  r->depth++;
}

void gh__report_push_index(gh__config_report *r, size_t index) {
  if (r->depth < GH__CONFIG_PATH_DEPTH) r->steps[r->depth] = (gh__path_step){.index = index};
  r->depth++;
}

void gh__report_pop(gh__config_report *r) {
  if (r->depth) r->depth--;
}

/* ---- locating a path in the text ---- */

static size_t skip_ws(const char *t, size_t n, size_t i) {
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
  return i;
}

static size_t skip_string(const char *t, size_t n, size_t i) { /* at the opening quote */
  for (i++; i < n && t[i] != '"'; i++)
    if (t[i] == '\\') i++;
  return i < n ? i + 1 : n;
}

static size_t skip_value(const char *t, size_t n, size_t i) {
  if (i >= n) return n;
  if (t[i] == '"') return skip_string(t, n, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    for (; i < n; i++) {
      if (t[i] == '"') {
        i = skip_string(t, n, i) - 1;
      } else if (t[i] == '{' || t[i] == '[') {
        depth++;
      } else if (t[i] == '}' || t[i] == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return n;
  }
  while (i < n && !strchr(",}] \t\r\n", t[i])) i++;
  return i;
}

/* Does the JSON string at t[i] (its quote) spell name? Escapes are decoded
 * only as far as a plain comparison needs: a name with escapes never matches
 * a configuration keyword, which are all plain ASCII. */
static bool string_is(const char *t, size_t n, size_t i, const char *name) {
  size_t len = strlen(name);
  return i + len + 1 < n && memcmp(t + i + 1, name, len) == 0 && t[i + 1 + len] == '"';
}

size_t gh__json_locate(const char *t, size_t n, const gh__path_step *steps, size_t depth, bool at_name) {
  size_t i = skip_ws(t, n, 0), name_at = SIZE_MAX;
  for (size_t s = 0; s < depth && s < GH__CONFIG_PATH_DEPTH; s++) {
    if (i >= n) return SIZE_MAX;
    if (steps[s].name) {
      if (t[i] != '{') return SIZE_MAX;
      i = skip_ws(t, n, i + 1);
      for (;;) {
        if (i >= n || t[i] != '"') return SIZE_MAX;
        bool hit = string_is(t, n, i, steps[s].name);
        name_at = i;
        i = skip_ws(t, n, skip_string(t, n, i));
        if (i >= n || t[i] != ':') return SIZE_MAX;
        i = skip_ws(t, n, i + 1);
        if (hit) break;
        i = skip_ws(t, n, skip_value(t, n, i));
        if (i >= n || t[i] != ',') return SIZE_MAX;
        i = skip_ws(t, n, i + 1);
      }
    } else {
      if (t[i] != '[') return SIZE_MAX;
      i = skip_ws(t, n, i + 1);
      for (size_t k = 0; k < steps[s].index; k++) {
        i = skip_ws(t, n, skip_value(t, n, i));
        if (i >= n || t[i] != ',') return SIZE_MAX;
        i = skip_ws(t, n, i + 1);
      }
      name_at = SIZE_MAX;
    }
  }
  if (at_name) return name_at;
  return i < n ? i : SIZE_MAX;
}

/* ---- the report ---- */

/* A name as it may be shown: printable ASCII, anything else escaped, at most 64 characters. */
const char *gh__report_quote(const char *name, char *buf, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; name[i] && o + 8 < cap; i++) {
    unsigned char c = (unsigned char)name[i];
    if (i >= 64) {
      memcpy(buf + o, "...", 3);
      o += 3;
      break;
    }
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      buf[o++] = (char)c;
    } else {
      o += (size_t)snprintf(buf + o, cap - o, "\\u%04x", c);
    }
  }
  buf[o] = 0;
  return buf;
}

static bool plain_name(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          *s == '-'))
      return false;
  return true;
}

static void put_name(gh__buf *b, const char *name) {
  char q[600];
  if (plain_name(name)) {
    gh__buf_puts(b, ".");
    gh__buf_puts(b, name);
  } else {
    gh__buf_puts(b, "[\"");
    gh__buf_puts(b, gh__report_quote(name, q, sizeof q));
    gh__buf_puts(b, "\"]");
  }
}

static void put_path(gh__config_report *r, const char *extra_name) {
  gh__buf *b = &r->out;
  gh__buf_puts(b, "$");
  size_t depth = r->depth < GH__CONFIG_PATH_DEPTH ? r->depth : GH__CONFIG_PATH_DEPTH;
  char num[32];
  for (size_t s = 0; s < depth; s++) {
    if (r->steps[s].name) {
      put_name(b, r->steps[s].name);
    } else {
      snprintf(num, sizeof num, "[%zu]", r->steps[s].index);
      gh__buf_puts(b, num);
    }
  }
  if (extra_name) put_name(b, extra_name);
}

static void put_position(gh__config_report *r, size_t at) {
  if (at == SIZE_MAX || !r->text) return;
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at && i < r->text_len; i++) {
    if (r->text[i] == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)r->text[i] & 0xC0) != 0x80) {
      col++; /* columns count characters, not UTF-8 continuation bytes */
    }
  }
  char pos[64];
  snprintf(pos, sizeof pos, " (%zu:%zu)", line, col);
  gh__buf_puts(&r->out, pos);
}

static void put_message(gh__config_report *r, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  gh__buf_puts(&r->out, ": ");
  gh__buf_puts(&r->out, msg);
  gh__buf_puts(&r->out, "\n");
  r->count++;
}

void gh__report_error(gh__config_report *r, const char *fmt, ...) {
  put_path(r, NULL);
  put_position(r, gh__json_locate(r->text, r->text_len, r->steps, r->depth, false));
  va_list ap;
  va_start(ap, fmt);
  put_message(r, fmt, ap);
  va_end(ap);
}

void gh__report_member_error(gh__config_report *r, const char *name, const char *fmt, ...) {
  put_path(r, name);
  gh__report_push_name(r, name);
  put_position(r, gh__json_locate(r->text, r->text_len, r->steps, r->depth, true));
  gh__report_pop(r);
  va_list ap;
  va_start(ap, fmt);
  put_message(r, fmt, ap);
  va_end(ap);
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated
 * edits of one substring), capped: names here are short. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return SIZE_MAX;
  size_t d[64][64];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = gh__lower(a[i - 1]) == gh__lower(b[j - 1]) ? 0 : 1;
      size_t best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

const char *gh__closest_name(const char *name, const char *const *known) {
  const char *best = NULL;
  size_t best_d = SIZE_MAX, len = strlen(name);
  for (size_t i = 0; known && known[i]; i++) {
    size_t d = edit_distance(name, known[i]);
    if (d < best_d) {
      best_d = d;
      best = known[i];
    }
  }
  return best && best_d <= 2 && best_d * 2 < (len > 1 ? len : 2) ? best : NULL;
}

bool gh__report_unknown_members(gh__config_report *r, const void *object, const char *const *known) {
  bool ok = true;
  for (const cJSON *m = ((const cJSON *)object)->child; m; m = m->next) {
    bool found = false;
    for (size_t i = 0; known[i] && !found; i++) found = strcmp(m->string, known[i]) == 0;
    if (found) continue;
    ok = false;
    const char *near = gh__closest_name(m->string, known);
    char q[600];
    gh__report_quote(m->string, q, sizeof q);
    if (near)
      gh__report_member_error(r, m->string, "unknown member \"%s\"; did you mean \"%s\"?", q, near);
    else
      gh__report_member_error(r, m->string, "unknown member \"%s\"", q);
  }
  return ok;
}
