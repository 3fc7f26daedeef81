/* gatehouse ratelimit simulate: one key's decisions for arrivals on stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

static const char *const ALGORITHMS[] = {"gcra", "token-bucket", "sliding-window", "fixed-window", "concurrency",
                                         "quota-day", "quota-month"};

int cmd_ratelimit(int argc, char **argv) {
  const char *usage = "usage: gatehouse ratelimit simulate --algorithm gcra|token-bucket|sliding-window|fixed-window "
                      "--limit N --period SECONDS [--burst B]   (arrivals on stdin: <unix-ms> [cost])\n";
  if (argc < 1 || strcmp(argv[0], "simulate") != 0) return fputs(usage, stderr), EXIT_USAGE;
  int algorithm = -1;
  long long limit = 0, burst = 0;
  double period = 0;
  for (int i = 1; i < argc; i += 2) { /* every option takes a value */
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (!v) return fprintf(stderr, "error: %s needs a value\n", a), EXIT_USAGE;
    if (!strcmp(a, "--algorithm")) {
      for (int k = 0; k < 7; k++)
        if (!strcmp(v, ALGORITHMS[k])) algorithm = k;
    } else if (!strcmp(a, "--limit")) limit = strtoll(v, &end, 10);
    else if (!strcmp(a, "--burst")) burst = strtoll(v, &end, 10);
    else if (!strcmp(a, "--period")) period = strtod(v, &end);
    else return fprintf(stderr, "error: unknown option '%s'\n%s", a, usage), EXIT_USAGE;
    if (end && *end) return fprintf(stderr, "error: %s: not a number: %s\n", a, v), EXIT_USAGE;
  }
  gh_limiter *l;
  if (algorithm < 0 || limit <= 0 || burst < 0 ||
      gh_limiter_new(&l, "simulate", algorithm, (uint64_t)limit, (int64_t)(period * 1000.0 + 0.5), (uint64_t)burst,
                     1 << 20) != GH_OK)
    return fprintf(stderr, "error: invalid or missing --algorithm, --limit, --period or --burst\n%s", usage), EXIT_USAGE;
  char line[256];
  int status = EXIT_VALID;
  for (long n = 1; fgets(line, sizeof line, stdin); n++) {
    char *end;
    long long at = strtoll(line, &end, 10), cost = 1;
    if (end == line) {
      if (strspn(line, " \t\r\n") == strlen(line)) continue;
      fprintf(stderr, "error: line %ld: expected <unix-ms> [cost]\n", n);
      status = EXIT_USAGE;
      continue;
    }
    char *rest = end;
    if (strspn(rest, " \t\r\n") != strlen(rest)) cost = strtoll(rest, &end, 10);
    int allowed;
    uint64_t remaining;
    int64_t retry;
    if (cost < 0 || gh_limiter_take(l, "k", 1, (uint64_t)cost, at, &allowed, &remaining, &retry)) {
      fprintf(stderr, "error: line %ld: bad cost\n", n);
      status = EXIT_USAGE;
      continue;
    }
    printf("%s %llu %lld\n", allowed ? "allow" : "deny", (unsigned long long)remaining, (long long)(allowed ? 0 : retry));
  }
  gh_limiter_free(l);
  return status;
}
