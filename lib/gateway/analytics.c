/* API management around the pipeline: each completed decision recorded in
 * the metrics, the consumer's usage and the access log; and reading them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "../apim/metrics.h"
#include "../apim/usage.h"
#include "../core/json.h"
#include "access_log.h"
#include "decision.h"
#include "pipeline.h"

static const char *after_colon(const char *reason) {
  const char *c = strchr(reason, ':');
  return c ? c + 1 : reason;
}

static void count_outcomes(gh__metrics *m, gh_decision *d, int status) {
  if (d->verdict == GH_VERDICT_RESPOND && d->stage == GH_STAGE_AUTHENTICATE && d->route && d->route->realm &&
      !strncmp(d->reason, "authenticate:", 13))
    gh__metrics_count(m, GH__COUNT_AUTH_FAILURE, d->route->realm->name, after_colon(d->reason), NULL, NULL);
  if (d->verdict == GH_VERDICT_RESPOND && d->stage == GH_STAGE_LIMIT && d->status == 429)
    gh__metrics_count(m, GH__COUNT_LIMIT_DENIAL, after_colon(d->reason), NULL, NULL, NULL);
  if (d->picked && d->route && d->route->pool) {
    const char *outcome = status <= 0 ? "unreachable" : status >= 500 ? "error" : "success";
    gh__metrics_count(m, GH__COUNT_UPSTREAM, d->route->pool->name, gh_decision_target(d), outcome, &d->metrics_cache);
  }
}

void gh__gateway_account(gh_gateway *gw, gh_decision *d, int status, int64_t upstream_ms, uint64_t bytes_in,
                         uint64_t bytes_out) {
  const gh__snapshot *s = d->snap;
  const gh__api_version *v = d->route ? d->route->version : NULL;
  int64_t part_ns[GH__METRIC_PARTS], gateway_ns = 0;
  double ns_per_tick = d->timed ? gh__ns_per_tick() : 0;
  for (int p = 0; p < 4; p++) {
    part_ns[p] = d->timed && d->part_ticks[p] >= 0 ? (int64_t)((double)d->part_ticks[p] * ns_per_tick) : -1;
    gateway_ns += part_ns[p] > 0 ? part_ns[p] : 0;
  }
  part_ns[GH_METRIC_UPSTREAM] = upstream_ms >= 0 && d->picked ? upstream_ms * 1000000 : -1;
  if (s->metrics && d->timed) {
    gh__metrics_sample sample = {v ? v->api : NULL,
                                 v ? v->version : NULL,
                                 d->route ? d->route->name : NULL,
                                 d->consumer ? d->consumer->name : NULL,
                                 status,
                                 {0},
                                 bytes_in,
                                 bytes_out};
    memcpy(sample.part_ns, part_ns, sizeof part_ns);
    gh__metrics_record(s->metrics->object, &sample, &d->metrics_cache);
    count_outcomes(s->metrics->object, d, status);
  }
  if (s->usage && d->consumer)
    gh__usage_record(s->usage->object, d->consumer->name, d->consumer->plan ? d->consumer->plan->name : NULL,
                     v ? v->api : NULL, v ? v->version : NULL, d->verdict == GH_VERDICT_FORWARD, d->quota_taken,
                     bytes_in, bytes_out);
  const gh__hooks *hooks = gh__gateway_hooks(gw);
  if (hooks->access_log && d->timed) {
    gh__access_log_line(d, status, gateway_ns, upstream_ms, bytes_in, bytes_out, &d->log_line);
    if (!d->log_line.failed) hooks->access_log(hooks->access_log_ud, d->log_line.p, d->log_line.len);
  }
}

/* ---- reading ---- */

static int finish(gh__buf *b, char **out, size_t *len) {
  if (gh__buf_finish(b)) return GH_ENOMEM;
  *out = b->p;
  *len = b->len;
  return GH_OK;
}

int gh_metrics_write(gh_gateway *gw, char **out, size_t *len) {
  if (!gw || !out || !len) return GH_EINVAL;
  if (!gh__gateway_loaded(gw)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  int rc = GH_EMISUSE;
  gh__buf b = {0};
  if (s->metrics) {
    gh__metrics_write(s->metrics->object, &b);
    rc = finish(&b, out, len);
  }
  gh__gateway_release(gw, s);
  return rc;
}

int gh_metrics_quantile(gh_gateway *gw, const char *api, const char *version, const char *route, const char *consumer,
                        int part, double q, double *ms) {
  if (!gw || !ms) return GH_EINVAL;
  if (!gh__gateway_loaded(gw)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  int rc =
      s->metrics ? gh__metrics_quantile(s->metrics->object, api, version, route, consumer, part, q, ms) : GH_EMISUSE;
  gh__gateway_release(gw, s);
  return rc;
}

int gh_usage_get(gh_gateway *gw, const char *consumer, const char *api, const char *version, gh_usage *out) {
  if (!gw || !out) return GH_EINVAL;
  if (!gh__gateway_loaded(gw)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  gh__usage_totals t;
  gh__usage_sum(s->usage->object, consumer, api, version, &t);
  gh__gateway_release(gw, s);
  *out = (gh_usage){t.requests, t.forwarded, t.denied, t.quota_units, t.bytes_in, t.bytes_out};
  return GH_OK;
}

int gh_usage_write(gh_gateway *gw, char **out, size_t *len) {
  if (!gw || !out || !len) return GH_EINVAL;
  if (!gh__gateway_loaded(gw)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  gh__buf b = {0};
  gh__usage_write(s->usage->object, &b);
  gh__gateway_release(gw, s);
  return finish(&b, out, len);
}

/* ---- subscriptions at runtime ---- */

/* (name) as an RFC 6901 reference token: '~' → "~0", '/' → "~1". */
static void put_pointer_token(gh__buf *b, const char *name) {
  for (const char *p = name; *p; p++) {
    if (*p == '~')
      gh__buf_put(b, "~0", 2);
    else if (*p == '/')
      gh__buf_put(b, "~1", 2);
    else
      gh__buf_put(b, p, 1);
  }
}

/* The consumer's new definition: its subscriptions with (api, version) set to state, or without it. */
static int resubscribe(cJSON *consumer, const char *api, const char *version, const char *state) {
  cJSON *subs = cJSON_GetObjectItemCaseSensitive(consumer, "subscriptions");
  if (!subs) {
    if (!state) return GH_ENOTFOUND;
    if (!(subs = cJSON_AddArrayToObject(consumer, "subscriptions"))) return GH_ENOMEM;
  }
  if (!cJSON_IsArray(subs)) return GH_EPARSE;
  bool any = !strcmp(version, "*");
  int at = 0;
  for (cJSON *e = subs->child; e; e = e->next, at++) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "api"), *v = cJSON_GetObjectItemCaseSensitive(e, "version");
    bool e_any = !cJSON_IsString(v) || !strcmp(v->valuestring, "*");
    if (!cJSON_IsString(a) || strcmp(a->valuestring, api) || e_any != any || (!any && strcmp(v->valuestring, version)))
      continue;
    if (!state) {
      cJSON_DeleteItemFromArray(subs, at);
      return GH_OK;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(e, "state");
    return cJSON_AddStringToObject(e, "state", state) ? GH_OK : GH_ENOMEM;
  }
  if (!state) return GH_ENOTFOUND;
  cJSON *e = cJSON_CreateObject();
  if (!e || !cJSON_AddStringToObject(e, "api", api) || !cJSON_AddStringToObject(e, "version", version) ||
      !cJSON_AddStringToObject(e, "state", state) || !cJSON_AddItemToArray(subs, e)) {
    cJSON_Delete(e);
    return GH_ENOMEM;
  }
  return GH_OK;
}

int gh_gateway_subscribe(gh_gateway *gw, const char *consumer, const char *api, const char *version, const char *state,
                         char *errors, size_t errors_cap) {
  if (errors && errors_cap) errors[0] = 0;
  if (!gw || !consumer || !api || !version) return GH_EINVAL;
  if (state && strcmp(state, "active") && strcmp(state, "suspended")) {
    gh__set_msg(errors, errors_cap, "state must be \"active\", \"suspended\" or NULL (remove)");
    return GH_EINVAL;
  }
  char *doc = NULL;
  size_t len = 0;
  int rc = gh_gateway_document(gw, &doc, &len);
  if (rc) return rc;
  cJSON *root = cJSON_ParseWithLength(doc, len);
  gh__free_secret(doc, len);
  cJSON *consumers = root ? cJSON_GetObjectItemCaseSensitive(root, "consumers") : NULL;
  cJSON *c = consumers ? cJSON_GetObjectItemCaseSensitive(consumers, consumer) : NULL;
  if (!root) {
    rc = GH_ENOMEM;
  } else if (!cJSON_IsObject(c)) {
    gh__set_msg(errors, errors_cap, "no consumer named \"%s\" (add it under \"consumers\")", consumer);
    rc = GH_ENOTFOUND;
  } else {
    /* test, then replace: a change made meanwhile by someone else fails the test instead of being lost */
    cJSON *before = cJSON_Duplicate(c, 1);
    rc = before ? resubscribe(c, api, version, state) : GH_ENOMEM;
    if (rc == GH_ENOTFOUND)
      gh__set_msg(errors, errors_cap, "consumer \"%s\" has no subscription to API \"%s\" version \"%s\"", consumer, api,
                  version);
    gh__buf patch = {0};
    if (!rc) {
      char *old_text = cJSON_PrintUnformatted(before), *new_text = cJSON_PrintUnformatted(c);
      gh__buf_puts(&patch, "[{\"op\":\"test\",\"path\":\"/consumers/");
      put_pointer_token(&patch, consumer);
      gh__buf_puts(&patch, "\",\"value\":");
      gh__buf_puts(&patch, old_text ? old_text : "null");
      gh__buf_puts(&patch, "},{\"op\":\"replace\",\"path\":\"/consumers/");
      put_pointer_token(&patch, consumer);
      gh__buf_puts(&patch, "\",\"value\":");
      gh__buf_puts(&patch, new_text ? new_text : "null");
      gh__buf_puts(&patch, "}]");
      if (!old_text || !new_text) patch.failed = true;
      cJSON_free(old_text), cJSON_free(new_text);
      rc = gh__buf_finish(&patch);
      if (!rc) rc = gh_gateway_patch(gw, patch.p, patch.len, errors, errors_cap);
    }
    gh__buf_free(&patch);
    cJSON_Delete(before);
  }
  cJSON_Delete(root);
  return rc;
}
