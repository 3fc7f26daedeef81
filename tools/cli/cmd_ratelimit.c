/* gatehouse ratelimit simulate: one key's decisions for arrivals on stdin. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

static const char *const ALGORITHMS[] = {"gcra", "token-bucket", "sliding-window", "fixed-window", "concurrency",
                                         "quota-day", "quota-month"};

int cmd_ratelimit(int argc, char **argv) {
  if (argc < 1) return cli_usage("ratelimit", NULL, "which ratelimit command?");
  if (strcmp(argv[0], "simulate")) return cli_usage("ratelimit", NULL, "unknown ratelimit command '%s'", argv[0]);
  int algorithm = -1;
  int64_t limit = 0, burst = 0;
  double period = 0;
  for (int i = 1; i < argc; i += 2) { /* every option takes a value */
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL, *want = NULL;
    if (strcmp(a, "--algorithm") && strcmp(a, "--limit") && strcmp(a, "--burst") && strcmp(a, "--period"))
      return cli_usage("ratelimit", "simulate", "unknown option '%s'", a);
    if (!v) return cli_usage("ratelimit", "simulate", "%s needs a value", a);
    if (!strcmp(a, "--algorithm")) {
      for (int k = 0; k < 7; k++)
        if (!strcmp(v, ALGORITHMS[k])) algorithm = k;
      if (algorithm < 0) want = "gcra, token-bucket, sliding-window, fixed-window, concurrency, quota-day or quota-month";
    } else if (!strcmp(a, "--limit")) {
      if (cli_parse_int(v, 1, 1048576, &limit)) want = "a whole number from 1 to 1048576";
    } else if (!strcmp(a, "--burst")) {
      if (cli_parse_int(v, 1, 1048576, &burst)) want = "a whole number from 1 to 1048576";
    } else if (!strcmp(a, "--period")) {
      if (cli_parse_decimal(v, 0.001, 1e9, &period)) want = "seconds from 0.001 to 1000000000, like 1 or 0.5";
    } else {
      return cli_usage("ratelimit", "simulate", "unknown option '%s'", a);
    }
    if (want) return cli_usage("ratelimit", "simulate", "%s %s: expected %s", a, v, want);
  }
  bool calendar = algorithm == GH_LIMIT_QUOTA_DAY || algorithm == GH_LIMIT_QUOTA_MONTH;
  if (algorithm < 0 || !limit || (!period && !calendar && algorithm != GH_LIMIT_CONCURRENCY))
    return cli_usage("ratelimit", "simulate", "--algorithm, --limit and --period are required");
  gh_limiter *l;
  int rc = gh_limiter_new(&l, "simulate", algorithm, (uint64_t)limit, llround(period * 1000.0), (uint64_t)burst, 1 << 20);
  if (rc) return cli_library_error(rc, "the limit cannot be made from these values");
  gh_limiter_build(l);
  char line[256];
  int status = EXIT_VALID;
  for (long n = 1; fgets(line, sizeof line, stdin); n++) {
    /* "<unix-ms> [cost]": plain whole numbers, nothing else on the line */
    char *at_text = strtok(line, " \t\r\n"), *cost_text = at_text ? strtok(NULL, " \t\r\n") : NULL;
    if (!at_text) continue; /* a blank line */
    int64_t at, cost = 1;
    if (cli_parse_int(at_text, 0, GH_TIME_MAX_MS, &at) || (cost_text && cli_parse_int(cost_text, 0, 1048576, &cost)) ||
        strtok(NULL, " \t\r\n")) {
      fprintf(stderr, "error: line %ld: expected <unix-ms> [cost], whole numbers (unix-ms up to %lld, cost up to 1048576)\n",
              n, (long long)GH_TIME_MAX_MS);
      status = EXIT_USAGE;
      continue;
    }
    int allowed;
    uint64_t remaining;
    int64_t retry;
    if ((rc = gh_limiter_take(l, "k", 1, (uint64_t)cost, at, &allowed, &remaining, &retry))) {
      fprintf(stderr, "error: line %ld: %s\n", n, gh_strerror(rc));
      status = EXIT_USAGE;
      continue;
    }
    printf("%s %llu %lld\n", allowed ? "allow" : "deny", (unsigned long long)remaining, (long long)(allowed ? 0 : retry));
  }
  gh_limiter_free(l);
  return status;
}
