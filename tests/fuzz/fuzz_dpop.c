/* Fuzzes DPoP proof verification (header, embedded jwk, claims, htu
 * normalisation): no crash, no leak, a decision with a known reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

static gh_dpop_verifier *v;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (gh_dpop_verifier_new(&v) || gh_dpop_verifier_set_replay_capacity(v, 4096) || gh_dpop_verifier_build(v)) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *htu = "https://api.example.com/orders", *at = "access-token";
  char jkt[GH_DPOP_JKT_LEN + 1];
  int reason = -1;
  int rc = gh_dpop_verify(v, (const char *)data, size, "GET", 3, htu, strlen(htu), at, strlen(at), NULL, 0,
                          1700000000000LL, jkt, &reason, NULL, 0);
  if (rc == GH_OK ? reason != GH_DPOP_OK : rc != GH_EDENIED || !strcmp(gh_dpop_reason_name(reason), "UNKNOWN")) abort();
  return 0;
}
