/* The developer portal (portal.h; docs/portal.md):
 *   GET  /portal, /portal/portal.js, /portal/portal.css   the page
 *   GET  /portal/openapi.json                             the catalog (gh_gateway_openapi)
 *   GET  /portal/api/about                                the realm developers sign in with (no sign-in)
 *   GET  /portal/api/me                                   who is signed in: consumer, plan, keys, subscriptions, usage
 *   POST /portal/api/keys {"plan"}                        a new API key, shown once (201)
 *   DELETE /portal/api/keys/ID                            a key revoked (204)
 *   POST /portal/api/subscriptions {"api","version"}      subscribed (201)
 *   DELETE /portal/api/subscriptions/API/VERSION          unsubscribed (204)
 * The /portal/api/ calls take `Authorization: Bearer <token>` of the portal's
 * realm; a developer is the consumer whose credentials name the token's
 * subject, made on first need. */
#include "portal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "portal_assets.h"

#define KEY_ID_HEX 16 /* a key is named by the start of its digest: 64 bits, never the key */

static const char SECURITY_FIELDS[] =
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";

void portal_init(portal *p, gh_gateway *gw, const char *realm) {
  p->gw = gw;
  p->realm = realm;
  pthread_mutex_init(&p->lock, NULL);
}

void portal_destroy(portal *p) {
  pthread_mutex_destroy(&p->lock);
  cJSON_Delete(p->store);
}

bool portal_path(const char *path, size_t len) {
  return len >= 7 && !memcmp(path, "/portal", 7) && (len == 7 || path[7] == '/');
}

void portal_answer_free(portal_answer *a) {
  free(a->body);
  a->body = NULL;
}

/* ---- answers ---- */

static void add_field(portal_answer *out, const char *fmt, const char *value) {
  size_t used = strlen(out->fields);
  snprintf(out->fields + used, sizeof out->fields - used, fmt, value);
}

static void answer_bytes(portal_answer *out, int status, const char *type, const void *body, size_t len) {
  out->status = status;
  out->content_type = type;
  out->body = len ? malloc(len) : NULL;
  if (len && !out->body) {
    out->status = 503, out->content_type = NULL, out->body_len = 0;
    return;
  }
  if (len) memcpy(out->body, body, len);
  out->body_len = len;
}

static void answer_json(portal_answer *out, int status, cJSON *value) {
  char *text = value ? cJSON_PrintUnformatted(value) : NULL;
  if (!text) {
    answer_bytes(out, 503, NULL, NULL, 0);
    return;
  }
  out->status = status, out->content_type = "application/json";
  out->body = text, out->body_len = strlen(text);
}

/* RFC 9457: a problem, with the detail saying what to do. */
static void problem(portal_answer *out, int status, const char *detail) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "about:blank");
  cJSON_AddStringToObject(o, "title", gh_http_status_text(status));
  cJSON_AddNumberToObject(o, "status", status);
  cJSON_AddStringToObject(o, "detail", detail);
  answer_json(out, status, o);
  if (out->status == status) out->content_type = "application/problem+json";
  cJSON_Delete(o);
}

/* ---- the page and the catalog ---- */

static void serve_asset(const char *path, size_t len, portal_answer *out) {
  for (size_t i = 0; i < portal_asset_count; i++) {
    const portal_asset *a = &portal_assets[i];
    if (strlen(a->path) != len || memcmp(a->path, path, len)) continue;
    answer_bytes(out, 200, a->type, a->data, a->len);
    add_field(out, "Cache-Control: %s\r\n", "no-cache");
    return;
  }
  problem(out, 404, "no such page of the portal: it is at /portal");
}

static void serve_openapi(portal *p, portal_answer *out) {
  char *doc = NULL;
  size_t len = 0;
  if (gh_gateway_openapi(p->gw, &doc, &len)) {
    problem(out, 503, "the gateway has no configuration yet");
    return;
  }
  answer_bytes(out, 200, "application/json", doc, len);
  add_field(out, "Cache-Control: %s\r\n", "no-cache");
  gh_free(doc);
}

/* ---- the configuration, as a document to read and patch ---- */

static cJSON *document(portal *p) {
  char *text = NULL;
  size_t len = 0;
  if (gh_gateway_document(p->gw, &text, &len)) return NULL;
  cJSON *doc = cJSON_ParseWithLength(text, len);
  gh_free_secret(text);
  return doc;
}

static bool names(const cJSON *strings, const char *want) { /* a string, or an array of them */
  if (cJSON_IsString(strings)) return !strcmp(strings->valuestring, want);
  const cJSON *s;
  cJSON_ArrayForEach(s, strings) if (cJSON_IsString(s) && !strcmp(s->valuestring, want)) return true;
  return false;
}

/* The consumer whose credentials name this subject, or NULL. */
static cJSON *consumer_of(cJSON *doc, const char *subject) {
  cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "consumers")) {
    cJSON *cred = cJSON_GetObjectItemCaseSensitive(c, "credentials");
    if (names(cJSON_GetObjectItemCaseSensitive(cred, "subjects"), subject)) return c;
  }
  return NULL;
}

/* RFC 6901 §3: a member name as a JSON Pointer token ('~' → "~0", '/' → "~1"). */
static void pointer(char *out, size_t cap, const char *prefix, const char *name, const char *suffix) {
  size_t n = (size_t)snprintf(out, cap, "%s", prefix);
  for (const char *s = name; *s && n + 3 < cap; s++) {
    if (*s == '~' || *s == '/') out[n++] = '~', out[n++] = *s == '~' ? '0' : '1';
    else out[n++] = *s;
  }
  out[n < cap ? n : cap - 1] = 0;
  snprintf(out + strlen(out), cap - strlen(out), "%s", suffix);
}

static cJSON *op(cJSON *ops, const char *kind, const char *path, cJSON *value) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "op", kind);
  cJSON_AddStringToObject(o, "path", path);
  if (value) cJSON_AddItemToObject(o, "value", value);
  cJSON_AddItemToArray(ops, o);
  return o;
}

/* Applies the operations as one new snapshot: 200-class on success, else the answer says why. */
static bool apply(portal *p, cJSON *ops, portal_answer *out) {
  char *text = cJSON_PrintUnformatted(ops);
  char errors[2048] = "";
  int rc = text ? gh_gateway_patch(p->gw, text, strlen(text), errors, sizeof errors) : GH_ENOMEM;
  cJSON_free(text);
  if (!rc) return true;
  char detail[2300];
  snprintf(detail, sizeof detail, "the gateway refused the change (%s): %s", gh_err_name(rc),
           errors[0] ? errors : gh_strerror(rc));
  problem(out, rc == GH_ENOMEM ? 503 : 409, detail);
  return false;
}

/* A consumer name made from the subject: letters, digits, '.', '_' and '-', not yet taken. */
static void new_consumer_name(const cJSON *doc, const char *subject, char *out, size_t cap) {
  char base[65];
  size_t n = 0;
  for (const char *s = subject; *s && n < sizeof base - 1; s++)
    base[n++] = (strchr(".-_", *s) || (*s >= '0' && *s <= '9') || ((*s | 32) >= 'a' && (*s | 32) <= 'z')) ? *s : '_';
  base[n] = 0;
  const cJSON *consumers = cJSON_GetObjectItemCaseSensitive(doc, "consumers");
  snprintf(out, cap, "%s", n ? base : "developer");
  for (int i = 2; cJSON_GetObjectItemCaseSensitive(consumers, out); i++) snprintf(out, cap, "%s-%d", n ? base : "developer", i);
}

/* The developer's consumer, or the operations that make it (then *made is true and *name its name). */
static cJSON *own_consumer(cJSON *doc, const gh_identity *id, cJSON *ops, char *name, size_t cap, bool *made) {
  const char *subject = gh_identity_subject(id);
  cJSON *c = consumer_of(doc, subject);
  *made = false;
  if (c) {
    snprintf(name, cap, "%s", c->string);
    return c;
  }
  new_consumer_name(doc, subject, name, cap);
  if (!cJSON_GetObjectItemCaseSensitive(doc, "consumers")) op(ops, "add", "/consumers", cJSON_CreateObject());
  c = cJSON_CreateObject();
  char title[300];
  snprintf(title, sizeof title, "%s (signed up in the portal, realm %s)", subject, gh_identity_realm(id));
  cJSON_AddStringToObject(c, "title", title);
  cJSON *cred = cJSON_AddObjectToObject(c, "credentials");
  cJSON_AddItemToObject(cred, "subjects", cJSON_CreateStringArray(&subject, 1));
  char path[256];
  pointer(path, sizeof path, "/consumers/", name, "");
  op(ops, "add", path, c);
  *made = true;
  return c;
}

static const char *key_digest(const cJSON *k) {
  if (cJSON_IsString(k)) return k->valuestring;
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(k, "sha256");
  return cJSON_IsString(d) ? d->valuestring : NULL;
}

/* A key's id: the start of its digest. */
static const char *key_id(char out[KEY_ID_HEX + 1], const char *digest) {
  size_t n = strnlen(digest, KEY_ID_HEX);
  memcpy(out, digest, n);
  out[n] = 0;
  return out;
}

static void hex(char *out, const unsigned char *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) out[2 * i] = digits[p[i] >> 4], out[2 * i + 1] = digits[p[i] & 15];
  out[2 * n] = 0;
}

/* The header API keys are sent in: that of a realm whose provider takes consumers' keys. */
static const char *key_header(const cJSON *doc) {
  const cJSON *r, *pr;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "realms")) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "api_key_header");
    cJSON_ArrayForEach(pr, cJSON_GetObjectItemCaseSensitive(r, "providers")) {
      if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pr, "consumer_keys")) && cJSON_IsString(h)) return h->valuestring;
    }
  }
  return NULL;
}

/* ---- the store: developers' consumers kept across restarts and reloads ---- */

int portal_open_store(portal *p, const char *path, char *err, size_t err_cap) {
  FILE *f = fopen(path, "rb");
  cJSON *store = NULL;
  if (!f) {
    store = cJSON_CreateObject(); /* none yet: made on the first change */
  } else {
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
      if (len + n > cap) {
        char *grown = realloc(text, cap = (len + n) * 2);
        if (!grown) break;
        text = grown;
      }
      memcpy(text + len, chunk, n);
      len += n;
    }
    fclose(f);
    store = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    if (!cJSON_IsObject(store)) {
      snprintf(err, err_cap, "%s is not the portal's store (a JSON object of consumers): move it away to start afresh",
               path);
      cJSON_Delete(store);
      return -1;
    }
  }
  p->store_path = path;
  p->store = store;
  return 0;
}

static void save_store(portal *p) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", p->store_path);
  char *text = cJSON_Print(p->store);
  int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
  size_t len = text ? strlen(text) : 0;
  bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (ok) ok = rename(tmp, p->store_path) == 0; /* whole or not at all */
  if (!ok) fprintf(stderr, "gatehouse-server: portal: cannot write %s: %s\n", p->store_path, strerror(errno));
  free(text);
}

/* The consumer's entry in the store, as the serving configuration now has it (gone: dropped). */
static void keep(portal *p, const char *name) {
  if (!p->store) return;
  cJSON *doc = document(p);
  if (!doc) return;
  cJSON *now = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "consumers"), name);
  cJSON_DeleteItemFromObjectCaseSensitive(p->store, name);
  if (now) cJSON_AddItemToObject(p->store, name, cJSON_Duplicate(now, true));
  cJSON_Delete(doc);
  save_store(p);
}

void portal_refresh(portal *p) {
  if (!p->store) return;
  pthread_mutex_lock(&p->lock);
  cJSON *doc = document(p);
  const cJSON *consumers = cJSON_GetObjectItemCaseSensitive(doc, "consumers");
  cJSON *fresh = cJSON_CreateObject();
  for (const cJSON *kept = p->store->child; kept; kept = kept->next) {
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(consumers, kept->string);
    cJSON_AddItemToObject(fresh, kept->string, cJSON_Duplicate(now ? now : kept, true));
  }
  if (doc && !cJSON_Compare(fresh, p->store, true)) {
    cJSON_Delete(p->store);
    p->store = fresh, fresh = NULL;
    save_store(p);
  }
  cJSON_Delete(fresh);
  cJSON_Delete(doc);
  pthread_mutex_unlock(&p->lock);
}

/* One patch laying the kept consumers (all, or only `one`) over the configuration. */
static int overlay(portal *p, const cJSON *one, char *errors, size_t cap) {
  cJSON *doc = document(p), *ops = cJSON_CreateArray();
  if (!doc) return GH_ENOMEM;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "consumers")) op(ops, "add", "/consumers", cJSON_CreateObject());
  for (const cJSON *c = one ? one : p->store->child; c; c = one ? NULL : c->next) {
    char path[300];
    pointer(path, sizeof path, "/consumers/", c->string, "");
    op(ops, "add", path, cJSON_Duplicate(c, true)); /* RFC 6902 §4.1: add replaces a member that is there */
  }
  char *text = cJSON_PrintUnformatted(ops);
  int rc = text ? gh_gateway_patch(p->gw, text, strlen(text), errors, cap) : GH_ENOMEM;
  cJSON_free(text);
  cJSON_Delete(ops);
  cJSON_Delete(doc);
  return rc;
}

void portal_overlay(portal *p) {
  if (!p->store || !p->store->child) return;
  pthread_mutex_lock(&p->lock);
  char errors[2048] = "";
  size_t kept = (size_t)cJSON_GetArraySize(p->store), left = 0;
  if (overlay(p, NULL, errors, sizeof errors)) { /* one at a time, to keep all but the refused */
    for (const cJSON *c = p->store->child; c; c = c->next) {
      if (!overlay(p, c, errors, sizeof errors)) continue;
      kept--, left++;
      fprintf(stderr, "gatehouse-server: portal: the configuration refuses the kept consumer \"%s\"; left out:\n%s\n",
              c->string, errors);
    }
  }
  pthread_mutex_unlock(&p->lock);
  fprintf(stderr, "gatehouse-server: portal: %zu developer consumer(s) restored from %s%s\n", kept, p->store_path,
          left ? " (some left out, above)" : "");
}

/* ---- self-service ---- */

static gh_identity *sign_in(portal *p, const gh_request *q, int64_t now_ms, portal_answer *out) {
  if (!p->realm) {
    problem(out, 404, "self-service is off: start the server with --portal-realm REALM to let developers sign in");
    return NULL;
  }
  gh_identity *id = NULL;
  int reason = 0;
  char challenge[512];
  int rc = gh_gateway_authenticate(p->gw, p->realm, q, now_ms, &id, &reason, challenge, sizeof challenge);
  if (rc == GH_EDENIED) {
    int status = gh_auth_reason_status(reason);
    char detail[300];
    snprintf(detail, sizeof detail, "%s: sign in with a token of the realm %s", gh_auth_reason_message(reason), p->realm);
    problem(out, status, detail);
    if (status == 401 && challenge[0]) add_field(out, "WWW-Authenticate: %s\r\n", challenge); /* RFC 6750 §3 */
    return NULL;
  }
  if (rc == GH_ENOTFOUND) {
    problem(out, 503, "the portal's realm is not in the configuration: name one that is with --portal-realm");
    return NULL;
  }
  if (rc) {
    problem(out, 503, "the portal cannot sign anyone in right now");
    return NULL;
  }
  return id;
}

static void add_usage(gh_gateway *gw, const char *consumer, cJSON *into) {
  cJSON *list = cJSON_AddArrayToObject(into, "usage");
  char *lines = NULL;
  size_t len = 0;
  if (!consumer || gh_usage_write(gw, &lines, &len)) return;
  for (char *line = lines, *end; line < lines + len; line = end + 1) {
    if (!(end = memchr(line, '\n', (size_t)(lines + len - line)))) end = lines + len;
    cJSON *entry = cJSON_ParseWithLength(line, (size_t)(end - line));
    const cJSON *who = cJSON_GetObjectItemCaseSensitive(entry, "consumer");
    if (cJSON_IsString(who) && !strcmp(who->valuestring, consumer)) {
      cJSON_DeleteItemFromObjectCaseSensitive(entry, "consumer");
      cJSON_AddItemToArray(list, entry);
    } else {
      cJSON_Delete(entry);
    }
  }
  gh_free(lines);
}

static void me(portal *p, cJSON *doc, const gh_identity *id, portal_answer *out) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "subject", gh_identity_subject(id));
  cJSON_AddStringToObject(o, "realm", gh_identity_realm(id));
  const cJSON *c = consumer_of(doc, gh_identity_subject(id));
  const cJSON *plan = cJSON_GetObjectItemCaseSensitive(c, "plan");
  const char *header = key_header(doc);
  cJSON_AddItemToObject(o, "consumer", c ? cJSON_CreateString(c->string) : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "plan", cJSON_IsString(plan) ? cJSON_CreateString(plan->valuestring) : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "key_header", header ? cJSON_CreateString(header) : cJSON_CreateNull());
  cJSON *keys = cJSON_AddArrayToObject(o, "keys");
  const cJSON *k;
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "credentials"), "api_keys")) {
    const char *digest = key_digest(k);
    if (!digest) continue;
    cJSON *entry = cJSON_CreateObject();
    char kid[KEY_ID_HEX + 1];
    cJSON_AddStringToObject(entry, "id", key_id(kid, digest));
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(k, "expires");
    if (cJSON_IsString(expires)) cJSON_AddStringToObject(entry, "expires", expires->valuestring);
    cJSON_AddItemToArray(keys, entry);
  }
  cJSON *subs = cJSON_AddArrayToObject(o, "subscriptions");
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "subscriptions")) {
    cJSON *entry = cJSON_Duplicate(s, true);
    if (!cJSON_GetObjectItemCaseSensitive(entry, "version")) cJSON_AddStringToObject(entry, "version", "*");
    if (!cJSON_GetObjectItemCaseSensitive(entry, "state")) cJSON_AddStringToObject(entry, "state", "active");
    cJSON_AddItemToArray(subs, entry);
  }
  add_usage(p->gw, c ? c->string : NULL, o);
  answer_json(out, 200, o);
  cJSON_Delete(o);
}

static void about(portal *p, portal_answer *out) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "realm", p->realm ? cJSON_CreateString(p->realm) : cJSON_CreateNull());
  cJSON *doc = document(p);
  const char *header = doc ? key_header(doc) : NULL;
  cJSON_AddItemToObject(o, "key_header", header ? cJSON_CreateString(header) : cJSON_CreateNull());
  cJSON_Delete(doc);
  answer_json(out, 200, o);
  cJSON_Delete(o);
}

/* A fresh key: "ghk_" and 64 hex digits (256 random bits); its SHA-256 in hex. */
static bool make_key(char key[69], char digest_hex[65]) {
  unsigned char raw[32], digest[32];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) return false;
  memcpy(key, "ghk_", 4);
  hex(key + 4, raw, sizeof raw);
  explicit_bzero(raw, sizeof raw);
  if (mbedtls_sha256_ret((const unsigned char *)key, 68, digest, 0)) return false;
  hex(digest_hex, digest, sizeof digest);
  return true;
}

static void create_key(portal *p, cJSON *doc, const gh_identity *id, const cJSON *args, portal_answer *out) {
  const cJSON *plan = cJSON_GetObjectItemCaseSensitive(args, "plan");
  const cJSON *plans = cJSON_GetObjectItemCaseSensitive(doc, "plans");
  if (!cJSON_IsString(plan) || !cJSON_GetObjectItemCaseSensitive(plans, plan->valuestring)) {
    problem(out, 400, "name the key's plan: {\"plan\": NAME}, one of the plans the catalog lists (/portal/openapi.json)");
    return;
  }
  const char *header = key_header(doc);
  if (!header) {
    problem(out, 409, "no realm of this gateway accepts consumers' API keys (a provider with \"consumer_keys\": true)");
    return;
  }
  cJSON *ops = cJSON_CreateArray();
  char name[128], path[300];
  bool made;
  cJSON *c = own_consumer(doc, id, ops, name, sizeof name, &made);
  char key[69], digest[65];
  if (!make_key(key, digest)) {
    problem(out, 503, "no random bytes for a key; try again");
    cJSON_Delete(ops);
    return;
  }
  if (made) {
    cJSON_AddStringToObject(c, "plan", plan->valuestring);
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(c, "credentials"), "api_keys", cJSON_CreateArray());
  } else {
    /* a developer is one consumer with one plan: its keys share the plan's limits and quotas */
    pointer(path, sizeof path, "/consumers/", name, "/plan");
    op(ops, "add", path, cJSON_CreateString(plan->valuestring));
    if (!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "credentials"), "api_keys")) {
      pointer(path, sizeof path, "/consumers/", name, "/credentials/api_keys");
      op(ops, "add", path, cJSON_CreateArray());
    }
  }
  pointer(path, sizeof path, "/consumers/", name, "/credentials/api_keys/-");
  op(ops, "add", path, cJSON_CreateString(digest));
  if (apply(p, ops, out)) {
    cJSON *o = cJSON_CreateObject();
    char kid[KEY_ID_HEX + 1];
    cJSON_AddStringToObject(o, "id", key_id(kid, digest));
    cJSON_AddStringToObject(o, "key", key);
    cJSON_AddStringToObject(o, "header", header);
    cJSON_AddStringToObject(o, "consumer", name);
    cJSON_AddStringToObject(o, "plan", plan->valuestring);
    cJSON_AddStringToObject(o, "note", "shown once: the gateway keeps only its SHA-256");
    answer_json(out, 201, o);
    add_field(out, "Cache-Control: %s\r\n", "no-store");
    cJSON_Delete(o);
    keep(p, name);
  }
  explicit_bzero(key, sizeof key);
  cJSON_Delete(ops);
}

static void revoke_key(portal *p, cJSON *doc, const gh_identity *id, const char *kid, portal_answer *out) {
  cJSON *c = consumer_of(doc, gh_identity_subject(id));
  cJSON *keys = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "credentials"), "api_keys");
  int i = 0;
  cJSON *k;
  cJSON_ArrayForEach(k, keys) {
    const char *digest = key_digest(k);
    if (strlen(kid) == KEY_ID_HEX && digest && !strncasecmp(digest, kid, KEY_ID_HEX)) break;
    i++;
  }
  if (!k) {
    problem(out, 404, "you have no key with that id (GET /portal/api/me lists yours)");
    return;
  }
  cJSON *ops = cJSON_CreateArray();
  char path[300], index[48];
  snprintf(index, sizeof index, "/credentials/api_keys/%d", i);
  pointer(path, sizeof path, "/consumers/", c->string, index);
  op(ops, "test", path, cJSON_Duplicate(k, true)); /* RFC 6902 §4.6: the same key, though the list changed since */
  op(ops, "remove", path, NULL);
  if (apply(p, ops, out)) {
    out->status = 204;
    keep(p, c->string);
  }
  cJSON_Delete(ops);
}

/* Is API version in the published catalog (what the portal lists)? */
static bool listed(portal *p, const char *api, const char *version) {
  char *text = NULL;
  size_t len = 0;
  if (gh_gateway_openapi(p->gw, &text, &len)) return false;
  cJSON *doc = cJSON_ParseWithLength(text, len);
  gh_free(text);
  bool found = false;
  const cJSON *tag;
  cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(doc, "tags")) {
    const cJSON *life = cJSON_GetObjectItemCaseSensitive(tag, "x-gatehouse-lifecycle");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(life, "api"), *v = cJSON_GetObjectItemCaseSensitive(life, "version");
    if (cJSON_IsString(a) && cJSON_IsString(v) && !strcmp(a->valuestring, api) &&
        (!strcmp(version, "*") || !strcmp(v->valuestring, version)))
      found = true;
  }
  cJSON_Delete(doc);
  return found;
}

static const cJSON *subscription(const cJSON *c, const char *api, const char *version) {
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "subscriptions")) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, "api"), *v = cJSON_GetObjectItemCaseSensitive(s, "version");
    if (cJSON_IsString(a) && !strcmp(a->valuestring, api) && !strcmp(cJSON_IsString(v) ? v->valuestring : "*", version))
      return s;
  }
  return NULL;
}

static bool suspended(const cJSON *s) {
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(s, "state");
  return cJSON_IsString(state) && !strcmp(state->valuestring, "suspended");
}

static void subscribe(portal *p, cJSON *doc, const gh_identity *id, const char *api, const char *version,
                      bool remove, portal_answer *out) {
  if (!api || !*api || !version || !*version) {
    problem(out, 400, "name the API and its version: {\"api\": NAME, \"version\": VERSION} (or \"*\": every version)");
    return;
  }
  cJSON *ops = cJSON_CreateArray();
  char name[128];
  bool made = false;
  cJSON *c = remove ? consumer_of(doc, gh_identity_subject(id)) : own_consumer(doc, id, ops, name, sizeof name, &made);
  const cJSON *s = c ? subscription(c, api, version) : NULL;
  char errors[1024] = "";
  if (s && suspended(s)) {
    problem(out, 403, "this subscription is suspended by the gateway's operators; ask them to lift it");
  } else if (remove && !s) {
    problem(out, 404, "you have no subscription to that API version (GET /portal/api/me lists yours)");
  } else if (!remove && s) {
    problem(out, 409, "you are subscribed to that API version already");
  } else if (!remove && !listed(p, api, version)) {
    problem(out, 404, "the catalog publishes no such API version (/portal/openapi.json lists them)");
  } else if (made && !apply(p, ops, out)) {
    /* apply answered */
  } else {
    int rc = gh_gateway_subscribe(p->gw, remove ? c->string : name, api, version, remove ? NULL : "active", errors,
                                  sizeof errors);
    if (rc) {
      char detail[1200];
      snprintf(detail, sizeof detail, "the gateway refused the change (%s): %s", gh_err_name(rc),
               errors[0] ? errors : gh_strerror(rc));
      problem(out, rc == GH_ENOMEM ? 503 : 409, detail);
    } else if (remove) {
      out->status = 204;
      keep(p, c->string);
    } else {
      keep(p, name);
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "api", api);
      cJSON_AddStringToObject(o, "version", version);
      cJSON_AddStringToObject(o, "state", "active");
      cJSON_AddStringToObject(o, "consumer", name);
      answer_json(out, 201, o);
      cJSON_Delete(o);
    }
  }
  cJSON_Delete(ops);
}

/* A path segment, percent-decoded into out; false if malformed or too long. */
static bool segment(const char *p, size_t n, char *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned v = (unsigned char)p[i];
    if (v == '%') { /* RFC 3986 §2.1 */
      if (i + 2 >= n || !isxdigit((unsigned char)p[i + 1]) || !isxdigit((unsigned char)p[i + 2])) return false;
      char hex[3] = {p[i + 1], p[i + 2], 0};
      v = (unsigned)strtoul(hex, NULL, 16);
      i += 2;
    }
    if (!v || k + 1 >= cap) return false;
    out[k++] = (char)v;
  }
  out[k] = 0;
  return k > 0;
}

/* A member named twice anywhere: cJSON keeps the first, another reader the last; either way the
 * developer's meaning is unclear, so it is refused, as the library's own parser refuses it. */
static bool has_duplicate_member(const cJSON *node) {
  for (const cJSON *m = node ? node->child : NULL; m; m = m->next) {
    if (cJSON_IsObject(node))
      for (const cJSON *o = m->next; o; o = o->next)
        if (!strcmp(m->string, o->string)) return true;
    if (has_duplicate_member(m)) return true;
  }
  return false;
}

static cJSON *parse_args(const char *body, size_t len, portal_answer *out) {
  cJSON *args = len ? cJSON_ParseWithLength(body, len) : NULL;
  if (!cJSON_IsObject(args) || has_duplicate_member(args)) {
    problem(out, 400, args ? "the body names a member twice, or is not a JSON object"
                           : "the body must be a JSON object (Content-Type: application/json)");
    cJSON_Delete(args);
    return NULL;
  }
  return args;
}

static void self_service(portal *p, const gh_request *q, const char *rest, size_t rest_len, const char *body,
                         size_t body_len, int64_t now_ms, portal_answer *out) {
  bool get = q->method_len == 3 && !memcmp(q->method, "GET", 3);
  bool post = q->method_len == 4 && !memcmp(q->method, "POST", 4);
  bool del = q->method_len == 6 && !memcmp(q->method, "DELETE", 6);
  /* which call, before anyone signs in: an unknown one is 404 whoever asks */
  enum { ME, KEYS, KEY, SUBS, SUB, ABOUT } call;
  const char *arg = NULL;
  size_t arg_len = 0;
  if (rest_len == 2 && !memcmp(rest, "me", 2)) call = ME;
  else if (rest_len == 5 && !memcmp(rest, "about", 5)) call = ABOUT;
  else if (rest_len == 4 && !memcmp(rest, "keys", 4)) call = KEYS;
  else if (rest_len > 5 && !memcmp(rest, "keys/", 5)) call = KEY, arg = rest + 5, arg_len = rest_len - 5;
  else if (rest_len == 13 && !memcmp(rest, "subscriptions", 13)) call = SUBS;
  else if (rest_len > 14 && !memcmp(rest, "subscriptions/", 14)) call = SUB, arg = rest + 14, arg_len = rest_len - 14;
  else {
    problem(out, 404, "no such self-service call: /portal/api/about, /me, /keys, /keys/ID, /subscriptions, "
                      "/subscriptions/API/VERSION");
    return;
  }
  static const char *const allow[] = {"GET", "POST", "DELETE", "POST", "DELETE", "GET"};
  if (!(((call == ME || call == ABOUT) && get) || ((call == KEYS || call == SUBS) && post) || ((call == KEY || call == SUB) && del))) {
    problem(out, 405, "that method is not allowed here");
    add_field(out, "Allow: %s\r\n", allow[call]); /* RFC 9110 §15.5.6 */
    return;
  }
  add_field(out, "Cache-Control: %s\r\n", "no-store");
  if (call == ABOUT) {
    about(p, out);
    return;
  }
  gh_identity *id = sign_in(p, q, now_ms, out);
  if (!id) return;
  cJSON *args = NULL;
  if ((call == KEYS || call == SUBS) && !(args = parse_args(body, body_len, out))) {
    gh_identity_free(id);
    return;
  }
  pthread_mutex_lock(&p->lock); /* read, change, patch: one developer's change at a time */
  cJSON *doc = document(p);
  char a[256], v[256];
  const char *slash = arg ? memchr(arg, '/', arg_len) : NULL;
  if (!doc) {
    problem(out, 503, "the gateway's configuration cannot be read right now");
  } else if (call == ME) {
    me(p, doc, id, out);
  } else if (call == KEYS) {
    create_key(p, doc, id, args, out);
  } else if (call == KEY) {
    if (segment(arg, arg_len, a, sizeof a)) revoke_key(p, doc, id, a, out);
    else problem(out, 404, "you have no key with that id (GET /portal/api/me lists yours)");
  } else if (call == SUBS) {
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(args, "api"), *ver = cJSON_GetObjectItemCaseSensitive(args, "version");
    subscribe(p, doc, id, cJSON_IsString(api) ? api->valuestring : NULL,
              ver ? (cJSON_IsString(ver) ? ver->valuestring : NULL) : "*", false, out);
  } else if (slash && segment(arg, (size_t)(slash - arg), a, sizeof a) &&
             segment(slash + 1, arg_len - (size_t)(slash - arg) - 1, v, sizeof v)) {
    subscribe(p, doc, id, a, v, true, out);
  } else {
    problem(out, 404, "name the subscription as /portal/api/subscriptions/API/VERSION");
  }
  pthread_mutex_unlock(&p->lock);
  cJSON_Delete(doc);
  cJSON_Delete(args);
  gh_identity_free(id);
}

void portal_handle(portal *p, const gh_request *q, const char *body, size_t body_len, int64_t now_ms,
                   portal_answer *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->fields, sizeof out->fields, "%s", SECURITY_FIELDS);
  const char *path = q->path;
  size_t len = q->path_len;
  bool get = q->method_len == 3 && !memcmp(q->method, "GET", 3);
  bool head = q->method_len == 4 && !memcmp(q->method, "HEAD", 4);
  static const char api[] = "/portal/api/";
  if (len > sizeof api - 1 && !memcmp(path, api, sizeof api - 1)) {
    self_service(p, q, path + sizeof api - 1, len - (sizeof api - 1), body, body_len, now_ms, out);
    return;
  }
  if (!get && !head) {
    problem(out, 405, "the portal's pages are read with GET");
    add_field(out, "Allow: %s\r\n", "GET, HEAD");
    return;
  }
  if (len == 20 && !memcmp(path, "/portal/openapi.json", 20)) {
    serve_openapi(p, out); /* HEAD: the same answer, whose body the client leaves out */
    return;
  }
  serve_asset(path, len == 8 ? 7 : len, out); /* "/portal/" is "/portal" */
}
