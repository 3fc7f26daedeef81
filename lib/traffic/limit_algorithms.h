/* The rate-limit algorithms as pure functions of (parameters, state, cost,
 * now): exact integer arithmetic, scaled so the formulas of issue 4 hold
 * without rounding. */
#ifndef GH_LIMIT_ALGORITHMS_H
#define GH_LIMIT_ALGORITHMS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gh__limit_params {
  int algorithm; /* GH_LIMIT_* */
  int64_t limit, period_ms, burst, timeout_ms;
} gh__limit_params;

/* 16 bytes of per-key state; its meaning depends on the algorithm:
 * gcra (TAT, -), bucket (tokens, last), sliding (window, prev << 32 | curr),
 * fixed and quotas (window, count), concurrency (count, last). */
typedef struct gh__limit_state {
  int64_t a, b;
} gh__limit_state;

typedef struct gh__limit_outcome {
  bool allowed;
  int64_t remaining;      /* requests of cost 1 still allowed now */
  int64_t retry_after_ms; /* denied: when the same request would first pass; -1: never */
  int64_t reset_ms;       /* until the key is back to a fresh key's state */
} gh__limit_outcome;

/* Largest limit/burst, so that scaled times fit in 63 bits until 2109. */
#define GH__LIMIT_MAX 1048576

/* The decision for `cost` at now_ms. `state` is NULL for a key never seen;
 * *next is the state afterwards (a denial consumes nothing). */
void gh__limit_step(const gh__limit_params *p, const gh__limit_state *state, int64_t cost, int64_t now_ms,
                    gh__limit_state *next, gh__limit_outcome *out);
/* Synced windows (fixed windows, daily quotas): state (window, seen << 32 | pending),
 * allowed iff seen + pending + cost <= limit. */
void gh__limit_step_synced(const gh__limit_params *p, const gh__limit_state *state, int64_t cost, int64_t now_ms,
                           gh__limit_state *next, gh__limit_outcome *out);
/* The window of now (fixed windows and quotas) and its end. */
void gh__limit_window(const gh__limit_params *p, int64_t now_ms, int64_t *window, int64_t *end_ms);

/* Concurrency: gives back `cost` slots. */
void gh__limit_release(const gh__limit_params *p, gh__limit_state *s, int64_t cost);
/* When the state becomes equal to a fresh key's (<= now_ms: idle now). */
int64_t gh__limit_idle_at(const gh__limit_params *p, const gh__limit_state *s);
/* UTC calendar windows for quotas: the window containing now and its end. */
void gh__calendar_window(int algorithm, int64_t now_ms, int64_t *window, int64_t *end_ms);

#endif
