#include "catalog.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../core/date.h"
#include "gatehouse/error.h"

static const char *const STATES[] = {"draft", "published", "deprecated", "retired"};

int gh__api_state_parse(const char *s) {
  for (int i = 0; i < 4; i++)
    if (strcmp(s, STATES[i]) == 0) return i;
  return -1;
}

const char *gh__api_state_name(int state) { return state >= 0 && state < 4 ? STATES[state] : "unknown"; }

int gh__api_version_render(gh__api_version *v) {
  char buf[64];
  if (v->state == GH__API_DEPRECATED || v->deprecated_s != GH__NO_DATE) {
    /* RFC 9745 §2.1: an sf-date, "@" and Unix seconds; a deprecated version
     * without a date was deprecated from the start (@0 would mislead). */
    if (v->deprecated_s != GH__NO_DATE) {
      snprintf(buf, sizeof buf, "@%" PRId64, v->deprecated_s);
      if (!(v->deprecation_value = gh__strndup(buf, strlen(buf)))) return GH_ENOMEM;
    }
  }
  if (v->sunset_s != GH__NO_DATE) {
    gh__http_date(v->sunset_s, buf); /* RFC 8594 §3: an HTTP-date */
    if (!(v->sunset_value = gh__strndup(buf, strlen(buf)))) return GH_ENOMEM;
  }
  gh__buf link = {0};
  if (v->successor_url) {
    gh__buf_puts(&link, "<");
    gh__buf_puts(&link, v->successor_url);
    gh__buf_puts(&link, ">; rel=\"successor-version\""); /* RFC 5829 */
  }
  if (v->deprecation_url) {
    if (link.len) gh__buf_puts(&link, ", ");
    gh__buf_puts(&link, "<");
    gh__buf_puts(&link, v->deprecation_url);
    gh__buf_puts(&link, ">; rel=\"deprecation\"; type=\"text/html\""); /* RFC 9745 §3 */
  }
  if (link.len || link.failed) {
    if (gh__buf_finish(&link)) return GH_ENOMEM;
    v->link_value = link.p;
  }
  return GH_OK;
}

void gh__api_version_clear(gh__api_version *v) {
  gh__free(v->api), gh__free(v->version), gh__free(v->title), gh__free(v->successor), gh__free(v->successor_url);
  gh__free(v->deprecation_url), gh__free(v->base_path);
  for (size_t i = 0; i < v->n_draft_roles; i++) gh__free(v->draft_roles[i]);
  gh__free(v->draft_roles);
  gh__free(v->deprecation_value), gh__free(v->sunset_value), gh__free(v->link_value);
  memset(v, 0, sizeof *v);
}

bool gh__api_version_retired_at(const gh__api_version *v, int64_t now_ms) {
  return v->state == GH__API_RETIRED || (v->sunset_s != GH__NO_DATE && now_ms / 1000 >= v->sunset_s);
}

int gh__api_version_gone(const gh__api_version *v, char **out, size_t *len) {
  cJSON *p = cJSON_CreateObject();
  char detail[512];
  if (v->successor)
    snprintf(detail, sizeof detail, "version %s of the API %s is retired; use version %s", v->version, v->api,
             v->successor);
  else
    snprintf(detail, sizeof detail, "version %s of the API %s is retired", v->version, v->api);
  bool ok = p && cJSON_AddStringToObject(p, "type", "about:blank") && cJSON_AddStringToObject(p, "title", "Gone") &&
            cJSON_AddNumberToObject(p, "status", 410) && cJSON_AddStringToObject(p, "detail", detail) &&
            cJSON_AddStringToObject(p, "api", v->api) && cJSON_AddStringToObject(p, "version", v->version);
  if (ok && v->successor) ok = cJSON_AddStringToObject(p, "successor", v->successor) != NULL;
  if (ok && v->successor_url) ok = cJSON_AddStringToObject(p, "successor_url", v->successor_url) != NULL;
  if (ok && v->sunset_s != GH__NO_DATE) ok = cJSON_AddStringToObject(p, "sunset", v->sunset_value) != NULL;
  char *text = ok ? cJSON_PrintUnformatted(p) : NULL;
  cJSON_Delete(p);
  if (!text) return GH_ENOMEM;
  *len = strlen(text);
  *out = gh__strndup(text, *len);
  cJSON_free(text);
  return *out ? GH_OK : GH_ENOMEM;
}
