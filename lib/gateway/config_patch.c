/* Incremental changes (add or remove an identity provider, a key, a route,
 * ...) as a JSON Patch (RFC 6902) on the current document: the patched
 * document is then loaded like any reload, so that a change is checked and
 * published exactly as a whole document is. Operations: add, remove,
 * replace and test; paths are JSON Pointers (RFC 6901). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/core.h"
#include "../core/json.h"
#include "config_patch.h"
#include "gatehouse/error.h"

#define PATCH_MAX_OPS 1024

/* The next reference token of a pointer, unescaped (RFC 6901 §4: ~1 is '/', ~0 is '~'). */
static bool next_token(const char **p, char *out, size_t cap) {
  if (**p != '/') return false;
  size_t n = 0;
  for ((*p)++; **p && **p != '/'; (*p)++) {
    char c = **p;
    if (c == '~') {
      (*p)++;
      if (**p != '0' && **p != '1') return false;
      c = **p == '0' ? '~' : '/';
    }
    if (n + 1 >= cap) return false;
    out[n++] = c;
  }
  out[n] = 0;
  return true;
}

/* An array index: "0" or digits without a leading zero (RFC 6901 §4), below limit. */
static bool array_index(const char *t, size_t limit, size_t *i) {
  if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t) || strlen(t) > 9) return false;
  *i = (size_t)strtoul(t, NULL, 10);
  return *i < limit;
}

/* Finds the parent of the pointer's last token; *last receives that token. */
static cJSON *parent_of(cJSON *root, const char *ptr, char *last, size_t cap) {
  cJSON *at = root;
  char token[512];
  const char *p = ptr;
  if (!next_token(&p, token, sizeof token)) return NULL;
  while (*p) {
    size_t i;
    if (cJSON_IsObject(at)) at = cJSON_GetObjectItemCaseSensitive(at, token);
    else if (cJSON_IsArray(at) && array_index(token, (size_t)cJSON_GetArraySize(at), &i)) at = cJSON_GetArrayItem(at, (int)i);
    else return NULL;
    if (!at || !next_token(&p, token, sizeof token)) return NULL;
  }
  snprintf(last, cap, "%s", token);
  return at;
}

static int apply(cJSON *root, const cJSON *op, size_t k, char *msg, size_t cap) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(op, "op"), *path = cJSON_GetObjectItemCaseSensitive(op, "path");
  const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
  if (!cJSON_IsString(name) || !cJSON_IsString(path))
    return gh__set_msg(msg, cap, "patch[%zu]: an operation has \"op\" and \"path\" strings", k), GH_EPARSE;
  const char *o = name->valuestring, *ptr = path->valuestring;
  bool add = !strcmp(o, "add"), remove = !strcmp(o, "remove"), replace = !strcmp(o, "replace"), test = !strcmp(o, "test");
  if (!add && !remove && !replace && !test)
    return gh__set_msg(msg, cap, "patch[%zu]: op \"%.40s\": this gateway applies add, remove, replace and test", k, o),
           GH_EPARSE;
  if (!remove && !value) return gh__set_msg(msg, cap, "patch[%zu]: %s needs a \"value\"", k, o), GH_EPARSE;
  char last[512];
  cJSON *parent = *ptr ? parent_of(root, ptr, last, sizeof last) : NULL;
  if (!parent) return gh__set_msg(msg, cap, "patch[%zu]: %.200s: no such place in the document", k, ptr), GH_EPARSE;
  size_t i = 0, n = cJSON_IsArray(parent) ? (size_t)cJSON_GetArraySize(parent) : 0;
  cJSON *target = cJSON_IsObject(parent) ? cJSON_GetObjectItemCaseSensitive(parent, last)
                  : cJSON_IsArray(parent) && array_index(last, n, &i) ? cJSON_GetArrayItem(parent, (int)i)
                                                                      : NULL;
  if (test) {
    if (!target || !cJSON_Compare(target, value, true))
      return gh__set_msg(msg, cap, "patch[%zu]: test of %.200s failed", k, ptr), GH_EPARSE;
    return GH_OK;
  }
  if ((remove || replace) && !target)
    return gh__set_msg(msg, cap, "patch[%zu]: %.200s: nothing there to %s", k, ptr, o), GH_EPARSE;
  cJSON *copy = value ? cJSON_Duplicate(value, true) : NULL;
  if (value && !copy) return GH_ENOMEM;
  bool ok = true;
  if (cJSON_IsObject(parent)) {
    cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
    if (copy) ok = cJSON_AddItemToObject(parent, last, copy);
  } else if (!cJSON_IsArray(parent)) {
    ok = false;
  } else if (remove) {
    cJSON_DeleteItemFromArray(parent, (int)i);
  } else if (replace) {
    ok = cJSON_ReplaceItemInArray(parent, (int)i, copy);
  } else if (!strcmp(last, "-") || (array_index(last, n + 1, &i) && i == n)) {
    ok = cJSON_AddItemToArray(parent, copy);
  } else if (array_index(last, n, &i)) {
    ok = cJSON_InsertItemInArray(parent, (int)i, copy);
  } else {
    ok = false;
  }
  if (!ok) {
    cJSON_Delete(copy);
    return gh__set_msg(msg, cap, "patch[%zu]: %.200s: not a place %s can write", k, ptr, o), GH_EPARSE;
  }
  return GH_OK;
}

int gh__config_patch(const char *doc, size_t doc_len, const char *patch, size_t patch_len, char **out, size_t *out_len,
                     char *msg, size_t cap) {
  cJSON *root = NULL, *ops = NULL;
  char jmsg[256];
  int rc = gh__json_parse(doc, doc_len, GH_GATEWAY_MAX_CONFIG_BYTES, 64, &root, jmsg, sizeof jmsg);
  if (rc) return rc == GH_ENOMEM ? rc : (gh__set_msg(msg, cap, "$: the current document: %s", jmsg), rc);
  rc = gh__json_parse(patch, patch_len, GH_GATEWAY_MAX_CONFIG_BYTES, 64, &ops, jmsg, sizeof jmsg);
  if (rc) {
    cJSON_Delete(root);
    return rc == GH_ENOMEM ? rc : (gh__set_msg(msg, cap, "patch: not valid JSON: %s", jmsg), rc);
  }
  if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) > PATCH_MAX_OPS) {
    rc = GH_EPARSE;
    gh__set_msg(msg, cap, "patch: a JSON Patch is an array of at most %d operations (RFC 6902 §3)", PATCH_MAX_OPS);
  }
  size_t k = 0;
  for (const cJSON *op = rc ? NULL : ops->child; op && !rc; op = op->next, k++) rc = apply(root, op, k, msg, cap);
  char *text = rc ? NULL : cJSON_Print(root);
  if (!rc && !text) rc = GH_ENOMEM;
  if (text) {
    *out_len = strlen(text);
    if (!(*out = gh__strndup(text, *out_len))) rc = GH_ENOMEM;
    cJSON_free(text);
  }
  cJSON_Delete(root);
  cJSON_Delete(ops);
  return rc;
}
