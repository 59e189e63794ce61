#!/usr/bin/env python3
"""Unit test of bench/e2e's statistics (run by ctest as bench_e2e_stats): percentiles on known
data, completeness accounting, the farm record's parser, the link -> entry mapping, and the
old-vs-new comparison (steady p99, medians over runs, ratios)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_stats as st  # noqa: E402
import posts  # noqa: E402


class Percentiles(unittest.TestCase):
    def test_nearest_rank_on_1_to_100(self):
        values = list(range(100, 0, -1))  # 100 .. 1, unsorted on purpose
        self.assertEqual(st.percentile(values, 50), 50)
        self.assertEqual(st.percentile(values, 99), 99)
        self.assertEqual(st.percentile(values, 100), 100)
        self.assertEqual(st.percentile(values, 1), 1)

    def test_small_sets(self):
        self.assertEqual(st.percentile([7.5], 99), 7.5)
        self.assertEqual(st.percentile([3, 1, 2], 50), 2)
        self.assertEqual(st.percentile([1, 2, 3, 4], 50), 2)  # rank ceil(2.0) = 2
        self.assertEqual(st.percentile([1, 2, 3, 4], 99), 4)
        self.assertIsNone(st.percentile([], 50))
        with self.assertRaises(ValueError):
            st.percentile([1], 0)

    def test_summary_of_a_tail(self):
        # 990 items at 10 ms, 10 at 500 ms: p99 is still 10 (rank 990), max 500
        s = st.summary([10.0] * 990 + [500.0] * 10)
        self.assertEqual(s, {"n": 1000, "p50": 10.0, "p99": 10.0, "max": 500.0})
        s = st.summary([10.0] * 989 + [500.0] * 11)
        self.assertEqual(s["p99"], 500.0)
        self.assertEqual(st.summary([])["p50"], None)

    def test_windows(self):
        pts = [(1000.0, 5.0), (1500.0, 7.0), (6000.0, 40.0), (6100.0, 60.0)]
        w = st.windows(pts, 5000)
        self.assertEqual(w, [{"start_s": 0.0, "n": 2, "p50": 5.0, "p99": 7.0},
                             {"start_s": 5.0, "n": 2, "p50": 40.0, "p99": 60.0}])


class Accounting(unittest.TestCase):
    def test_completeness(self):
        entries = {0: 100.0, 1: 0.0, 2: 120.0, 3: 130.0, 4: 0.0}
        stored = {0: (), 2: (), 4: ()}  # 4 stored though the farm saw no fetch: counted stored
        c = st.completeness(entries, stored)
        self.assertEqual(c, {"produced": 5, "fetched": 3, "stored": 3, "missing": 2,
                             "missing_never_fetched": 1, "missing_after_fetch": 1})

    def test_farm_record(self):
        got = st.parse_farm_tsv(["0\t1000.5\t1200.25\n", "1\t1001.5\t0.000\n", "\n"])
        self.assertEqual(got, {0: (1000.5, 1200.25), 1: (1001.5, 0.0)})
        for bad in (["0\t1\n"], ["x\t1\t2\n"], ["0\t1\t2\n", "0\t1\t2\n"], ["-1\t1\t2\n"]):
            with self.assertRaises(ValueError):
                st.parse_farm_tsv(bad)

    def test_entry_of_url(self):
        self.assertEqual(st.entry_of_url("http://127.0.1.3:4000/a/17/12345.html"), 12345)
        for bad in ("http://x/a/17/abc.html", "http://x/b/1/2.html", "http://x/a/1/2.htm",
                    "http://x/a/2.html", ""):
            self.assertIsNone(st.entry_of_url(bad), bad)


class Posts(unittest.TestCase):
    PLACES = ("安康", "汉滨", "汉阴", "石泉", "宁陕", "紫阳", "岚皋", "平利", "镇坪", "旬阳", "白河",
              "恒口", "瀛湖")

    def test_deterministic_and_local(self):
        self.assertEqual(posts.post(7, 123), posts.post(7, 123))
        self.assertNotEqual(posts.post(7, 123), posts.post(7, 124))
        levels = set()
        for k in range(2000):
            title, text, level = posts.post(7, k)
            levels.add(level)
            self.assertTrue(any(p in title + text for p in self.PLACES), (k, title, text))
            for banned in ("招聘", "广告", "演练", "科普", "整改完成", "验收合格"):
                self.assertNotIn(banned, title + text)
        self.assertEqual(levels, {"II", "III"})


class Compare(unittest.TestCase):
    @staticmethod
    def run_of(p50, p99, windows_p99, cpu_matcher, other):
        return {"latency_ms": {s: {"n": 10, "p50": p50, "p99": p99, "max": p99}
                               for s in ("fetch_to_store", "fetch_to_match", "match_to_store")},
                "fetch_to_store_p99_per_5s": [{"start_s": 5 * i, "n": 1, "p50": v, "p99": v}
                                              for i, v in enumerate(windows_p99)],
                "completeness": {"stored": 1000, "fetched": 1000, "missing": 0},
                "cpu_s": {"matcher": cpu_matcher}, "machine": {"other_cpu_s": other}}

    def test_steady_skips_the_first_window(self):
        w = [{"p99": 1900}, {"p99": 90}, {"p99": 80}, {"p99": 100}]
        self.assertEqual(st.steady(w), {"min": 80, "median": 90, "max": 100})
        self.assertEqual(st.steady(w[:1])["median"], None)

    def test_median(self):
        self.assertEqual(st.median([3, 1, 2]), 2)
        self.assertEqual(st.median([4, 1, 2, 3]), 2.5)
        self.assertIsNone(st.median([None]))

    def test_medians_and_ratios(self):
        old = [self.run_of(40, 100, [900, 80, 90], 0.2, 3),
               self.run_of(60, 300, [900, 100, 80], 0.4, 5)]
        new = [self.run_of(20, 50, [100, 40, 40], 0.1, 9)]
        rows = {r[0]: r[1:] for r in st.compare(old, new)}
        self.assertEqual(rows["fetch_to_store p50 (ms)"], (50, 20, 0.4))
        self.assertEqual(rows["fetch_to_store p99 (ms)"], (200, 50, 0.25))
        self.assertEqual(rows["fetch_to_store steady p99 (ms)"], (87.5, 40, 0.457))
        a, b, ratio = rows["cpu ms/item matcher"]
        self.assertAlmostEqual(a, 0.3)
        self.assertEqual((b, ratio), (0.1, 0.333))
        self.assertEqual(rows["missing"], (0, 0, None))


if __name__ == "__main__":
    unittest.main()
