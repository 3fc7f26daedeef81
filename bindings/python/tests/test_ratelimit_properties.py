"""Property tests for issue 4: random arrivals through the C limiter, against
a direct transcription of the issue's formulas in exact rational arithmetic
(fractions.Fraction), written independently of the C code's scaled integers.

    T = period / limit, burst defaults to limit.
    gcra:    allowed iff max(TAT, now) + c*T - now <= burst*T; then TAT = max(TAT, now) + c*T.
    bucket:  capacity burst, refilled continuously at limit/period, starting full; takes c or none.
    sliding: rate = prev * (1 - elapsed/period) + curr; allowed iff rate + c <= limit;
             windows aligned to multiples of period since the Unix epoch.
    fixed:   count + c <= limit per window aligned to multiples of period.
"""
import math
import random
import unittest
from fractions import Fraction as F

import gatehouse


class Gcra:
    def __init__(self, limit, period, burst):
        self.T, self.burst, self.tat = F(period, limit), burst, None

    def take(self, now, c):
        tat = now if self.tat is None else self.tat
        base = max(tat, now)
        if base + c * self.T - now <= self.burst * self.T:
            self.tat = base + c * self.T
            return True
        return False


class Bucket:
    def __init__(self, limit, period, burst):
        self.rate, self.cap, self.tokens, self.last = F(limit, period), burst, F(burst), None

    def take(self, now, c):
        if self.last is not None:
            self.tokens = min(F(self.cap), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= c:
            self.tokens -= c
            return True
        return False


class Sliding:
    def __init__(self, limit, period, burst):
        self.limit, self.period, self.counts = limit, period, {}

    def take(self, now, c):
        w = now // self.period
        elapsed = now - w * self.period
        rate = self.counts.get(w - 1, 0) * (1 - F(elapsed, self.period)) + self.counts.get(w, 0)
        if rate + c <= self.limit:
            self.counts[w] = self.counts.get(w, 0) + c
            return True
        return False


class Fixed:
    def __init__(self, limit, period, burst):
        self.limit, self.period, self.counts = limit, period, {}

    def take(self, now, c):
        w = now // self.period
        if self.counts.get(w, 0) + c <= self.limit:
            self.counts[w] = self.counts.get(w, 0) + c
            return True
        return False


MODELS = {"gcra": Gcra, "token-bucket": Bucket, "sliding-window": Sliding, "fixed-window": Fixed}


class Properties(unittest.TestCase):
    def run_model(self, algorithm, seed):
        rnd = random.Random(seed)
        limit = rnd.choice([1, 2, 3, 7, 10, 100])
        period = rnd.choice([1, 7, 100, 1000, 3000, 60000])
        burst = rnd.choice([0, limit, limit * 2, max(1, limit // 2)]) if algorithm in ("gcra", "token-bucket") else 0
        model = MODELS[algorithm](limit, period, burst or limit)
        c_limiter = gatehouse.Limiter(algorithm, limit, period, burst)
        now = rnd.randrange(10**12, 2 * 10**12)
        for i in range(400):
            now += rnd.choice([0, 0, 1, rnd.randrange(period // 4 + 1), rnd.randrange(2 * period + 1)])
            cost = rnd.choice([1, 1, 1, 2, 3])
            expected = model.take(now, cost)
            allowed, remaining, retry = c_limiter.take("k", cost, now)
            self.assertEqual(allowed, expected, f"{algorithm} seed {seed} step {i}: limit {limit} period {period} "
                                                f"burst {burst} now {now} cost {cost}")

    def test_gcra(self):
        for seed in range(40):
            self.run_model("gcra", seed)

    def test_token_bucket(self):
        for seed in range(40):
            self.run_model("token-bucket", seed)

    def test_sliding_window(self):
        for seed in range(40):
            self.run_model("sliding-window", seed)

    def test_fixed_window(self):
        for seed in range(40):
            self.run_model("fixed-window", seed)

    def test_retry_after_is_exact(self):
        """A denied request is allowed exactly retry_after ms later, and not 1 ms sooner."""
        rnd = random.Random(7)
        for algorithm in ("gcra", "token-bucket", "sliding-window", "fixed-window"):
            for seed in range(40):
                limit, period = rnd.choice([2, 5, 10]), rnd.choice([100, 1000, 7000])
                history, now = [], 10**12 + rnd.randrange(period)
                first = gatehouse.Limiter(algorithm, limit, period)
                while True:
                    allowed, _, retry = first.take("k", 1, now)
                    if not allowed:
                        break
                    history.append(now)
                    now += rnd.randrange(3)
                self.assertGreater(retry, 0)
                # two limiters with the same history, probed either side of the answer
                early, exact = gatehouse.Limiter(algorithm, limit, period), gatehouse.Limiter(algorithm, limit, period)
                for lim in (early, exact):
                    for t in history:
                        self.assertTrue(lim.take("k", 1, t)[0])
                self.assertFalse(early.take("k", 1, now + retry - 1)[0], f"{algorithm}: allowed before retry_after")
                self.assertTrue(exact.take("k", 1, now + retry)[0], f"{algorithm}: not allowed at retry_after")


if __name__ == "__main__":
    unittest.main()
