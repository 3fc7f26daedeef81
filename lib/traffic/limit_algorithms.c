/* GCRA, token bucket, sliding and fixed windows, concurrency and calendar
 * quotas, exactly as issue 4 states them. Let T = period / limit.
 *   gcra:     allowed iff max(TAT, now) + c*T - now <= burst*T; then TAT = max(TAT, now) + c*T.
 *             Kept in units of (ms x limit), where T is exactly `period`.
 *   bucket:   capacity burst, refilled at limit/period; tokens kept x period.
 *   sliding:  rate = prev * (1 - elapsed/period) + curr, allowed iff rate + c <= limit; kept x period.
 *   fixed:    count + c <= limit in windows aligned to multiples of period since the epoch. */
#include "../core/date.h"
#include "limit_algorithms.h"

#include "gatehouse/ratelimit.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static void gcra(const gh__limit_params *p, const gh__limit_state *s, int64_t c, int64_t now, gh__limit_state *next,
                 gh__limit_outcome *o) {
  int64_t T = p->period_ms, now_u = now * p->limit, tat = s ? s->a : now_u, base = max64(tat, now_u);
  o->allowed = c <= p->burst && base + c * T - now_u <= p->burst * T;
  int64_t after = o->allowed ? base + c * T : base;
  *next = (gh__limit_state){o->allowed ? after : tat, 0};
  int64_t room = p->burst * T - (after - now_u);
  o->remaining = room > 0 ? room / T : 0;
  o->retry_after_ms = o->allowed ? 0 : c > p->burst ? -1 : ceil_div(base + c * T - p->burst * T - now_u, p->limit);
  o->reset_ms = ceil_div(after - now_u, p->limit);
}

static void bucket(const gh__limit_params *p, const gh__limit_state *s, int64_t c, int64_t now, gh__limit_state *next,
                   gh__limit_outcome *o) {
  int64_t cap = p->burst * p->period_ms, tokens = cap;
  if (s) {
    int64_t elapsed = now - s->b;
    tokens = elapsed >= ceil_div(cap - s->a, p->limit) ? cap : s->a + (elapsed > 0 ? elapsed * p->limit : 0);
  }
  int64_t need = c * p->period_ms;
  o->allowed = c <= p->burst && tokens >= need;
  if (o->allowed) tokens -= need;
  *next = (gh__limit_state){tokens, now};
  o->remaining = tokens / p->period_ms;
  o->retry_after_ms = o->allowed ? 0 : c > p->burst ? -1 : ceil_div(need - tokens, p->limit);
  o->reset_ms = ceil_div(cap - tokens, p->limit);
}

static void sliding(const gh__limit_params *p, const gh__limit_state *s, int64_t c, int64_t now, gh__limit_state *next,
                    gh__limit_outcome *o) {
  int64_t P = p->period_ms, w = floor_div(now, P), e = now - w * P, prev = 0, curr = 0;
  if (s && s->a == w) prev = s->b >> 32, curr = s->b & 0xFFFFFFFF;
  else if (s && s->a == w - 1) prev = s->b & 0xFFFFFFFF;
  int64_t rate = prev * (P - e) + curr * P; /* x period */
  o->allowed = rate + c * P <= p->limit * P;
  if (o->allowed) curr += c, rate += c * P;
  *next = (gh__limit_state){w, prev << 32 | curr}; /* both <= limit <= 2^20 */
  o->remaining = rate < p->limit * P ? (p->limit * P - rate) / P : 0;
  o->retry_after_ms = 0;
  if (!o->allowed) {
    if (c > p->limit) {
      o->retry_after_ms = -1;
    } else if (curr + c <= p->limit && prev > 0 && ceil_div(prev * P - (p->limit - c - curr) * P, prev) < P) {
      /* later in this window, as prev's weight fades */
      o->retry_after_ms = w * P + ceil_div(prev * P - (p->limit - c - curr) * P, prev) - now;
    } else {
      /* in the next window, where curr becomes prev */
      int64_t e2 = curr ? ceil_div(curr * P - (p->limit - c) * P, curr) : 0;
      o->retry_after_ms = (w + 1) * P + e2 - now;
    }
  }
  o->reset_ms = curr ? (w + 2) * P - now : prev ? (w + 1) * P - now : 0;
}

void gh__calendar_window(int algorithm, int64_t now_ms, int64_t *window, int64_t *end_ms) {
  const int64_t day = 86400000;
  int64_t days = floor_div(now_ms, day);
  if (algorithm == GH_LIMIT_QUOTA_DAY) {
    *window = days;
    *end_ms = (days + 1) * day;
    return;
  }
  int64_t y, m, d;
  gh__civil_from_days(days, &y, &m, &d);
  *window = y * 12 + (m - 1);
  *end_ms = gh__days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * day;
}

/* The end of a calendar window, from its id (a day, or year * 12 + month - 1). */
static int64_t window_end(int algorithm, int64_t window) {
  int64_t w, end, start = algorithm == GH_LIMIT_QUOTA_DAY ? window * 86400000 : 0;
  if (algorithm == GH_LIMIT_QUOTA_MONTH) {
    /* a time inside the month: the 15th */
    int64_t y = floor_div(window, 12), m = window - y * 12 + 1;
    start = gh__days_from_civil(y, m, 15) * 86400000;
  }
  gh__calendar_window(algorithm, start, &w, &end);
  return end;
}

void gh__limit_window(const gh__limit_params *p, int64_t now, int64_t *w, int64_t *end) {
  if (p->algorithm == GH_LIMIT_FIXED_WINDOW) *w = floor_div(now, p->period_ms), *end = (*w + 1) * p->period_ms;
  else gh__calendar_window(p->algorithm, now, w, end);
}

void gh__limit_step_synced(const gh__limit_params *p, const gh__limit_state *s, int64_t c, int64_t now,
                           gh__limit_state *next, gh__limit_outcome *o) {
  int64_t w, end;
  gh__limit_window(p, now, &w, &end);
  int64_t seen = s && s->a == w ? s->b >> 32 : 0, pending = s && s->a == w ? s->b & 0xFFFFFFFF : 0;
  o->allowed = seen + pending + c <= p->limit;
  if (o->allowed) pending += c;
  *next = (gh__limit_state){w, seen << 32 | pending};
  o->remaining = p->limit - seen - pending > 0 ? p->limit - seen - pending : 0;
  o->retry_after_ms = o->allowed ? 0 : c > p->limit ? -1 : end - now;
  o->reset_ms = seen + pending ? end - now : 0;
}

static void fixed(const gh__limit_params *p, const gh__limit_state *s, int64_t c, int64_t now, gh__limit_state *next,
                  gh__limit_outcome *o) {
  int64_t w, end;
  gh__limit_window(p, now, &w, &end);
  int64_t count = s && s->a == w ? s->b : 0;
  o->allowed = count + c <= p->limit;
  if (o->allowed) count += c;
  *next = (gh__limit_state){w, count};
  o->remaining = p->limit - count;
  o->retry_after_ms = o->allowed ? 0 : c > p->limit ? -1 : end - now;
  o->reset_ms = count ? end - now : 0;
}

static void concurrency(const gh__limit_params *p, const gh__limit_state *s, int64_t c, int64_t now,
                        gh__limit_state *next, gh__limit_outcome *o) {
  /* leaked slots (acquired, never released) expire timeout_ms after the last acquisition */
  int64_t count = s && now - s->b < p->timeout_ms ? s->a : 0;
  o->allowed = count + c <= p->limit;
  if (o->allowed) count += c;
  *next = (gh__limit_state){count, o->allowed ? now : s ? s->b : now};
  o->remaining = p->limit - count;
  o->retry_after_ms = o->allowed ? 0 : c > p->limit ? -1 : next->b + p->timeout_ms - now;
  o->reset_ms = count ? next->b + p->timeout_ms - now : 0;
}

void gh__limit_step(const gh__limit_params *p, const gh__limit_state *s, int64_t cost, int64_t now_ms,
                    gh__limit_state *next, gh__limit_outcome *out) {
  switch (p->algorithm) {
  case GH_LIMIT_GCRA: gcra(p, s, cost, now_ms, next, out); break;
  case GH_LIMIT_TOKEN_BUCKET: bucket(p, s, cost, now_ms, next, out); break;
  case GH_LIMIT_SLIDING_WINDOW: sliding(p, s, cost, now_ms, next, out); break;
  case GH_LIMIT_CONCURRENCY: concurrency(p, s, cost, now_ms, next, out); break;
  default: fixed(p, s, cost, now_ms, next, out); break;
  }
}

void gh__limit_release(const gh__limit_params *p, gh__limit_state *s, int64_t cost) {
  (void)p;
  s->a = s->a > cost ? s->a - cost : 0;
}

int64_t gh__limit_idle_at(const gh__limit_params *p, const gh__limit_state *s) {
  switch (p->algorithm) {
  case GH_LIMIT_GCRA: return ceil_div(s->a, p->limit); /* TAT <= now */
  case GH_LIMIT_TOKEN_BUCKET: return s->b + ceil_div(p->burst * p->period_ms - s->a, p->limit);
  case GH_LIMIT_SLIDING_WINDOW:
    return s->b & 0xFFFFFFFF ? (s->a + 2) * p->period_ms : s->b ? (s->a + 1) * p->period_ms : 0;
  case GH_LIMIT_CONCURRENCY: return s->a ? s->b + p->timeout_ms : 0;
  case GH_LIMIT_FIXED_WINDOW: return s->b ? (s->a + 1) * p->period_ms : 0;
  default: return s->b ? window_end(p->algorithm, s->a) : 0; /* quotas */
  }
}
