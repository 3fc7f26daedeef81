/* Fuzzes the policy parser and compiler; a policy that compiles is asked a
 * few questions, and the indexed decision must equal the linear one (explain). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_policy *p = NULL;
  char msg[256];
  int rc = gh_policy_parse(&p, (const char *)data, size, msg, sizeof msg);
  if (rc != GH_OK) {
    if (p || (rc != GH_EPARSE && rc != GH_ETOOBIG && rc != GH_ENOMEM)) abort();
    return 0;
  }
  static const char *const paths[] = {"/", "/orders/7", "/tenants/acme/orders/7", "/a/b/c/d", "/orders/"};
  static const char *const actions[] = {"GET", "DELETE", "PUT"};
  gh_policy_request *r;
  if (gh_policy_request_new(&r)) abort();
  for (int i = 0; i < 5; i++) {
    gh_policy_request_reset(r);
    gh_policy_request_set_subject(r, "alice", 5);
    gh_policy_request_add_role(r, "admin", 5);
    gh_policy_request_set_action(r, actions[i % 3], strlen(actions[i % 3]));
    gh_policy_request_set_resource(r, paths[i], strlen(paths[i]));
    gh_policy_request_set_client_ip(r, "10.1.2.3", 8);
    gh_policy_request_set_claims(r, "{\"tenant_id\":\"acme\",\"sub\":\"alice\"}", 35);
    gh_policy_request_set_time(r, 1700000000000LL);
    int d1, d2;
    const char *r1, *r2;
    char *trace;
    if (gh_policy_decide(p, r, &d1, &r1) || gh_policy_explain(p, r, &d2, &r2, &trace, NULL)) abort();
    if (d1 != d2 || (r1 != r2 && (!r1 || !r2 || strcmp(r1, r2)))) abort();
    gh_free(trace);
  }
  gh_policy_request_free(r);
  gh_policy_free(p);
  return 0;
}
