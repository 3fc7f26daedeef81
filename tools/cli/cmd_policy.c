/* gatehouse policy check|explain: authorization decisions from the command line. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

#define LINE_MAX_BYTES (1024 * 1024)

/* {"claims": {...}, "ip": "...", "headers": {"name": "value"}, "time": unix_seconds} */
static int apply_context(gh_policy_request *r, const cJSON *ctx, const char **why) {
  if (!ctx) return 0;
  if (!cJSON_IsObject(ctx)) return *why = "context must be an object", -1;
  for (const cJSON *m = ctx->child; m; m = m->next) {
    int rc = 0;
    if (!strcmp(m->string, "claims")) {
      char *text = cJSON_PrintUnformatted(m);
      rc = text ? gh_policy_request_set_claims(r, text, strlen(text)) : -1;
      free(text);
      if (rc) *why = "context.claims must be a JSON object";
    } else if (!strcmp(m->string, "ip") && cJSON_IsString(m)) {
      if ((rc = gh_policy_request_set_client_ip(r, m->valuestring, strlen(m->valuestring)))) *why = "context.ip is not an IP address";
    } else if (!strcmp(m->string, "headers") && cJSON_IsObject(m)) {
      for (const cJSON *h = m->child; h && !rc; h = h->next) {
        if (!cJSON_IsString(h)) rc = -1, *why = "context.headers values must be strings";
        else rc = gh_policy_request_add_header(r, h->string, strlen(h->string), h->valuestring, strlen(h->valuestring));
      }
    } else if (!strcmp(m->string, "time") && cJSON_IsNumber(m)) {
      if (!(m->valuedouble >= 0 && m->valuedouble <= (double)(GH_TIME_MAX_MS / 1000))) /* no cast out of range */
        return *why = "context.time is Unix seconds from 0 to 253402300799", -1;
      rc = gh_policy_request_set_time(r, llround(m->valuedouble * 1000));
    } else {
      rc = -1;
      *why = "context members are claims, ip, headers, time";
    }
    if (rc) return -1;
  }
  return 0;
}

/* Sets the resource, or says why the path is refused (why points into reason). */
static int set_resource(gh_policy_request *r, const char *path, char *reason, size_t cap, const char **why) {
  int rc = gh_policy_request_set_resource(r, path, strlen(path));
  if (rc == GH_OK) return 0;
  char canon[GH_PATH_MAX + 1], msg[160] = "";
  if (gh_path_canonicalize(path, strlen(path), 0, canon, sizeof canon, NULL, msg, sizeof msg) == GH_OK)
    snprintf(msg, sizeof msg, "%s", gh_strerror(rc));
  snprintf(reason, cap, "resource \"%.200s\" is refused: %s (see docs/security.md, Paths)", path, msg);
  *why = reason;
  return -1;
}

/* Adds every string of a JSON array (roles or scopes); anything else is refused, as the policy format does. */
static int add_strings(gh_policy_request *r, const cJSON *list, int (*add)(gh_policy_request *, const char *, size_t),
                       char *reason, size_t cap, const char **why) {
  if (!list) return 0;
  const cJSON *e;
  if (cJSON_IsArray(list)) {
    cJSON_ArrayForEach(e, list) {
      if (!cJSON_IsString(e)) break;
      if (add(r, e->valuestring, strlen(e->valuestring))) return *why = "out of memory", -1;
    }
    if (!e) return 0;
  }
  snprintf(reason, cap, "\"%s\" must be an array of strings", list->string);
  return *why = reason, -1;
}

/* One request as a JSON line: {"subject", "roles", "scopes", "action", "resource", "context"};
 * any other member is refused by name, so that a misspelt "role" is not silently no role. */
static int request_from_json(gh_policy_request *r, const cJSON *j, char *reason, size_t cap, const char **why) {
  static const char *const members[] = {"subject", "roles", "scopes", "action", "resource", "context"};
  for (const cJSON *m = j->child; m; m = m->next) {
    size_t k = 0;
    while (k < sizeof members / sizeof members[0] && strcmp(m->string, members[k])) k++;
    if (k == sizeof members / sizeof members[0]) {
      snprintf(reason, cap, "unknown member \"%.100s\" (members are subject, roles, scopes, action, resource, context)",
               m->string);
      return *why = reason, -1;
    }
  }
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive(j, "subject"), *act = cJSON_GetObjectItemCaseSensitive(j, "action"),
              *res = cJSON_GetObjectItemCaseSensitive(j, "resource");
  if (!cJSON_IsString(act) || !cJSON_IsString(res)) return *why = "\"action\" and \"resource\" are required strings", -1;
  if (sub && !cJSON_IsString(sub)) return *why = "\"subject\" must be a string", -1;
  gh_policy_request_set_action(r, act->valuestring, strlen(act->valuestring));
  if (set_resource(r, res->valuestring, reason, cap, why)) return -1;
  if (sub) gh_policy_request_set_subject(r, sub->valuestring, strlen(sub->valuestring));
  if (add_strings(r, cJSON_GetObjectItemCaseSensitive(j, "roles"), gh_policy_request_add_role, reason, cap, why) ||
      add_strings(r, cJSON_GetObjectItemCaseSensitive(j, "scopes"), gh_policy_request_add_scope, reason, cap, why))
    return -1;
  return apply_context(r, cJSON_GetObjectItemCaseSensitive(j, "context"), why);
}

/* The library's strict JSON (duplicate names, depth, UTF-8) checks a
 * context before cJSON, which keeps the first of two names, reads it. */
static bool strict_json(const char *text) {
  gh_policy_request *scratch;
  if (gh_policy_request_new(&scratch)) return false;
  bool ok = gh_policy_request_set_claims(scratch, text, strlen(text)) == GH_OK; /* any JSON object parses there */
  gh_policy_request_free(scratch);
  return ok;
}

/* One request per line on stdin. check prints one verdict line per request; explain prints
 * each request's trace followed by an empty line. A refused line prints `error` and its reason
 * on stderr, and the run goes on. */
static int batch(const gh_policy *p, bool explain) {
  gh_policy_request *r;
  if (gh_policy_request_new(&r)) return EXIT_USAGE;
  char *line = malloc(LINE_MAX_BYTES);
  int status = EXIT_VALID;
  long n = 0;
  while (line && fgets(line, LINE_MAX_BYTES, stdin)) {
    n++;
    size_t len = strlen(line);
    cli_trim(line, &len);
    if (!len) continue;
    cJSON *j = strict_json(line) ? cJSON_ParseWithLength(line, len) : NULL;
    const char *why = "not a strict JSON object (a name given twice?)";
    char reason[512];
    gh_policy_request_reset(r);
    int decision;
    const char *rule;
    char *trace = NULL;
    if (!cJSON_IsObject(j) || request_from_json(r, j, reason, sizeof reason, &why) ||
        (explain ? gh_policy_explain(p, r, &decision, &rule, &trace, NULL) : gh_policy_decide(p, r, &decision, &rule))) {
      fprintf(stderr, "error: line %ld: %s\n", n, why);
      printf(explain ? "error\n\n" : "error\n");
      status = EXIT_USAGE;
    } else if (trace) {
      printf("%s\n", trace);
    } else {
      printf("%s %s\n", decision == GH_POLICY_ALLOW ? "allow" : "deny", rule ? rule : "no-rule");
    }
    gh_free(trace);
    cJSON_Delete(j);
  }
  free(line);
  gh_policy_request_free(r);
  return status;
}

int cmd_policy(int argc, char **argv) {
  if (argc < 1) return cli_usage("policy", NULL, "which policy command?");
  if (strcmp(argv[0], "check") && strcmp(argv[0], "explain"))
    return cli_usage("policy", NULL, "unknown policy command '%s'", argv[0]);
  bool explain = argv[0][0] == 'e', is_batch = false;
  const char *policy_path = NULL, *context = NULL;
  gh_policy_request *r;
  if (gh_policy_request_new(&r)) return EXIT_USAGE;
  int status = EXIT_USAGE;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    static const char *const takes_value[] = {"--policy", "--subject", "--role", "--scope", "--action", "--resource", "--context"};
    bool known = false;
    for (size_t k = 0; k < sizeof takes_value / sizeof takes_value[0]; k++) known |= !strcmp(a, takes_value[k]);
    if (!strcmp(a, "--batch")) is_batch = true;
    else if (!known) {
      cli_usage("policy", argv[0], "unknown option '%s'", a);
      goto out;
    } else if (!v) {
      cli_usage("policy", argv[0], "%s needs a value", a);
      goto out;
    } else if (!strcmp(a, "--policy")) policy_path = v, i++;
    else if (!strcmp(a, "--subject")) gh_policy_request_set_subject(r, v, strlen(v)), i++;
    else if (!strcmp(a, "--role")) gh_policy_request_add_role(r, v, strlen(v)), i++;
    else if (!strcmp(a, "--scope")) gh_policy_request_add_scope(r, v, strlen(v)), i++;
    else if (!strcmp(a, "--action")) gh_policy_request_set_action(r, v, strlen(v)), i++;
    else if (!strcmp(a, "--resource")) {
      char reason[512];
      const char *why;
      if (set_resource(r, v, reason, sizeof reason, &why)) {
        fprintf(stderr, "error: --resource: %s\n", why);
        goto out;
      }
      i++;
    }
    else if (!strcmp(a, "--context")) context = v, i++;
    else {
      cli_usage("policy", argv[0], "unknown option '%s'", a);
      goto out;
    }
  }
  if (!policy_path) {
    cli_usage("policy", argv[0], "--policy FILE is required (a policy document, docs/authorization.md)");
    goto out;
  }
  size_t len;
  char *text = cli_read_file(policy_path, 64 * 1024 * 1024, &len);
  if (!text) goto out;
  char msg[512] = "";
  gh_policy *p;
  int rc = gh_policy_parse(&p, text, len, msg, sizeof msg);
  if (rc) cli_document_error("--policy", policy_path, text, len, rc, msg);
  free(text);
  if (rc) goto out;
  if (is_batch) {
    status = batch(p, explain);
  } else {
    const char *why = NULL;
    cJSON *ctx = context && strict_json(context) ? cJSON_Parse(context) : NULL;
    int decision;
    const char *rule;
    char *trace = NULL;
    if (context && (!ctx || apply_context(r, ctx, &why))) {
      fprintf(stderr, "error: --context: %s\n", why ? why : "not a strict JSON object (a name given twice?)");
    } else if ((rc = explain ? gh_policy_explain(p, r, &decision, &rule, &trace, NULL)
                             : gh_policy_decide(p, r, &decision, &rule))) {
      fprintf(stderr, "error: --action and --resource (a path starting with /) are required\n");
    } else {
      if (trace) fputs(trace, stdout);
      else printf("%s %s\n", decision == GH_POLICY_ALLOW ? "allow" : "deny", rule ? rule : "no-rule");
      status = decision == GH_POLICY_ALLOW ? EXIT_VALID : EXIT_REJECTED;
    }
    gh_free(trace);
    cJSON_Delete(ctx);
  }
  gh_policy_free(p);
out:
  gh_policy_request_free(r);
  return status;
}
