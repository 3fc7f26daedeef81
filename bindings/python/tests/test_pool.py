"""Upstream pools through the Python binding: weights, Maglev's stickiness,
outlier ejection and the circuit breaker."""
import unittest

import gatehouse


class Pools(unittest.TestCase):
    def test_round_robin_by_weight(self):
        pool = gatehouse.Pool("round-robin", ["a:80", "b:80"], weights=[3, 1])
        seen = {"a:80": 0, "b:80": 0}
        for _ in range(400):
            index, target = pool.pick()
            seen[target] += 1
            pool.release(index)
        self.assertEqual(seen, {"a:80": 300, "b:80": 100})

    def test_maglev_keeps_a_key_and_ejection_moves_it(self):
        pool = gatehouse.Pool("maglev", ["a:80", "b:80", "c:80"],
                              outlier={"failures": 2, "base_ms": 10000, "max_ms": 60000, "max_percent": 50})
        index, _ = pool.pick("user-42")
        pool.release(index)
        for _ in range(10):
            again, _ = pool.pick("user-42")
            pool.release(again)
            self.assertEqual(again, index)
        now = 1700000000000
        pool.report(index, False, now)
        pool.report(index, False, now)
        self.assertFalse(pool.healthy(index, now))
        self.assertTrue(pool.healthy(index, now + 10000))

    def test_breaker_and_errors(self):
        pool = gatehouse.Pool("least-request", ["a:80"], max_requests=1)
        first = pool.pick()
        self.assertIsNotNone(first)
        self.assertIsNone(pool.pick())  # refused: one in flight already
        pool.release(first[0])
        self.assertIsNotNone(pool.pick())
        with self.assertRaises(gatehouse.Error):
            gatehouse.Pool("round-robin", [])


if __name__ == "__main__":
    unittest.main()
