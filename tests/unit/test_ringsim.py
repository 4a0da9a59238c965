"""The ring-sizing study's model (scripts/ringsim) against hand-computed cases
and the M/D/1/K formula. Run: python3 tests/unit/test_ringsim.py SRCDIR"""
import json
import math
import os
import sys
import tempfile
import unittest

import numpy as np

SRC = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SRC, "scripts"))
from ringsim import mdk, record, sim, whatif  # noqa: E402


class Simulation(unittest.TestCase):
    def test_arrival_finding_a_full_ring_is_dropped(self):
        # K=2, B=1: three packets at t=0; two fit, the third is dropped; 10 s each.
        r = sim.simulate([0, 0, 0], [10, 10, 10], K=2, B=1, empty_poll=1)
        self.assertEqual(r.dropped, 1)
        self.assertAlmostEqual(r.loss, 1 / 3)
        self.assertEqual(list(r.drop_mask), [False, False, True])
        self.assertEqual(list(r.sojourns), [0, 10])

    def test_a_poll_takes_at_most_a_burst_and_frees_its_slots_at_once(self):
        # K=4, B=2: five at 0 -> 4 in, 1 dropped; poll at 0 takes 2 (work 20), poll at 20
        # takes 2. A sixth packet at 5 finds 2 (the first poll freed two): it gets in.
        r = sim.simulate([0, 0, 0, 0, 0, 5], [10] * 6, K=4, B=2, empty_poll=1)
        self.assertEqual(r.dropped, 1)
        self.assertEqual(list(r.sojourns), [0, 0, 20, 20, 35])
        # Polls found 4 at t=0 (in the window), then 3 at t=20 (after it: not counted).
        self.assertEqual(r.occ_hist[4], 1)

    def test_batch_service_drops_less_than_one_at_a_time(self):
        arr = np.arange(64) * 0.5
        one = sim.simulate(arr, np.ones(64), K=8, B=1, empty_poll=0.01)
        batch = sim.simulate(arr, np.ones(64), K=8, B=32, empty_poll=0.01)
        self.assertGreater(one.dropped, 0)
        self.assertLessEqual(batch.dropped, one.dropped)

    def test_a_vacation_while_idle_delays_the_poll_only_if_the_packet_comes_in_it(self):
        # Service 1. Vacation [2, 8): the packet at 5 waits to 8; the one at 20 does not wait.
        r = sim.simulate([0, 5, 20], [1, 1, 1], K=10, B=1, empty_poll=0.001,
                         vac_start=[2], vac_end=[8])
        self.assertAlmostEqual(r.sojourns[0], 0)
        self.assertAlmostEqual(r.sojourns[1], 3)
        self.assertLess(r.sojourns[2], 0.01)

    def test_a_vacation_while_busy_stretches_the_work(self):
        # Work 10 from t=0, vacation [3, 7): done at 14; the packet at 1 is taken at 14.
        r = sim.simulate([0, 1], [10, 10], K=10, B=1, empty_poll=0.001,
                         vac_start=[3], vac_end=[7])
        self.assertAlmostEqual(r.sojourns[1], 13)

    def test_the_fixed_cost_of_a_poll_is_charged_once_per_batch(self):
        r = sim.simulate([0, 0, 0, 5], [1, 1, 1, 1], K=10, B=4, empty_poll=0.001, poll_cost=2)
        # Poll at 0 takes 3: 2 + 3 = 5; next poll at 5 takes the packet that came at 5.
        self.assertEqual(list(r.sojourns), [0, 0, 0, 0])

    def test_no_loss_when_service_keeps_up(self):
        arr = np.arange(1000) * 2.0
        r = sim.simulate(arr, np.ones(1000), K=4, B=32, empty_poll=0.01)
        self.assertEqual(r.dropped, 0)
        self.assertLess(max(r.sojourns), 0.02)

    def test_ks_distance(self):
        self.assertEqual(sim.ks_distance([1, 2, 3], [2, 4, 6]), 0.0)
        self.assertAlmostEqual(sim.ks_distance([1, 1], [2, 0]), 0.5)
        self.assertAlmostEqual(sim.ks_distance([1, 0, 0], [0, 0, 1]), 1.0)
        # Skipping empty polls: only the polls that found something count.
        self.assertAlmostEqual(sim.ks_distance([100, 1, 1], [1, 1, 1], skip_empty=True), 0.0)

    def test_percentiles(self):
        self.assertEqual(sim.percentile(list(range(1, 101)), 0.99), 99)
        self.assertEqual(sim.hist_quantile([0, 5, 5], 0.5), 1)
        self.assertEqual(sim.hist_quantile([0, 5, 5], 0.51), 2)


class MD1K(unittest.TestCase):
    def test_one_place_is_erlang_loss(self):
        for rho in (0.1, 0.5, 1.0, 3.0):
            self.assertAlmostEqual(mdk.mdk_loss(rho, 1), rho / (1 + rho), places=12)

    def test_two_places_by_hand(self):
        # pi_1 = pi_0 (1 - e^-rho) / e^-rho, so pi_0 = e^-rho and P_2 = 1 - 1/(e^-rho + rho).
        for rho in (0.5, 1.0, 2.0):
            self.assertAlmostEqual(mdk.mdk_loss(rho, 2), 1 - 1 / (math.exp(-rho) + rho),
                                   places=12)

    def test_overload_loses_the_excess(self):
        self.assertAlmostEqual(mdk.mdk_loss(1.25, 4096), 1 - 1 / 1.25, places=9)

    def test_loss_falls_with_k_and_is_tiny_for_big_rings(self):
        losses = [mdk.mdk_loss(0.9, k) for k in (1, 2, 4, 8, 16, 64)]
        self.assertTrue(all(a > b for a, b in zip(losses, losses[1:])))
        self.assertLess(mdk.mdk_loss(0.9, 8192), 1e-12)

    def test_simulation_of_poisson_one_at_a_time_matches_md1k(self):
        # B=1, polls at no cost: a ring of K plus the one in service is M/D/1/(K+1).
        rng = np.random.default_rng(7)
        for rho, K in ((0.9, 3), (0.7, 2), (1.2, 5)):
            n = 200000
            arr = np.cumsum(rng.exponential(1.0 / rho, n))
            r = sim.simulate(arr, np.ones(n), K=K, B=1, empty_poll=1e-6)
            want = mdk.mdk_loss(rho, K + 1)
            self.assertAlmostEqual(r.loss, want, delta=max(0.05 * want, 0.003),
                                   msg=f"rho {rho} K {K}: sim {r.loss} M/D/1/K {want}")


class Record(unittest.TestCase):
    def write(self, arrays, **hdr):
        header = {"format": "dpprobe-ring-record", "version": 1, "tsc_hz": 1000000000,
                  "ring_size": 8, "window_start": 0, "window_end": 0, "truncated": False,
                  "empty_polls": 10, "empty_cycles": 500, "offered": 0, "ring_full": 0,
                  "pool_empty": 0, "arrays": []}
        header.update(hdr)
        body = b""
        for name, dtype, values in arrays:
            a = np.asarray(values, dtype="<" + dtype)
            header["arrays"].append([name, dtype, len(a)])
            body += a.tobytes()
        f = tempfile.NamedTemporaryFile(delete=False, suffix=".rec")
        f.write(json.dumps(header).encode() + b"\n" + body)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def arrays(self, poll_svc):
        # 1 GHz TSC: cycles are ns. Three packets at 1000, 1100, 1200; polls at 1000 (1
        # packet) and 1300 (2 packets).
        return [("arr_tsc", "u8", [1000, 1100, 1200]), ("arr_fate", "u1", [0, 0, 0]),
                ("poll_tsc", "u8", [1000, 1300]), ("poll_n", "u4", [1, 2]),
                ("poll_occ", "u4", [1, 2]), ("poll_svc", "u4", poll_svc),
                ("vac_start", "u8", []), ("vac_end", "u8", []), ("vac_kind", "u1", [])]

    def test_reads_times_from_the_first_arrival_in_seconds(self):
        r = record.read(self.write(self.arrays([300, 0])))
        self.assertEqual(list(r.arrivals), [0, 100e-9, 200e-9])
        self.assertAlmostEqual(r.empty_poll_s, 50e-9)
        self.assertEqual(list(r.measured_sojourns()), [0, 200e-9, 100e-9])

    def test_the_open_last_poll_gets_the_median_cost(self):
        r = record.read(self.write(self.arrays([300, 0])))
        svc = r.service_per_packet()
        self.assertEqual(len(svc), 3)
        self.assertAlmostEqual(svc[0], 300e-9)
        self.assertAlmostEqual(svc[1], 300e-9)

    def test_rejects_other_files(self):
        path = self.write(self.arrays([300, 0]), format="something-else")
        with self.assertRaises(ValueError):
            record.read(path)


class WhatIf(unittest.TestCase):
    def capture(self, times_us):
        import struct
        f = tempfile.NamedTemporaryFile(delete=False, suffix=".pcap")
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for us in times_us:
            f.write(struct.pack("<IIII", 1700000000 + us // 1000000, us % 1000000, 60, 60))
            f.write(bytes(60))
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_capture_times_are_the_arrivals(self):
        t = whatif.pcap_times(self.capture([0, 5, 1000005]))
        self.assertEqual(len(t), 3)
        self.assertAlmostEqual(t[2], 1.000005)

    def test_a_burst_needs_a_ring_that_holds_it(self):
        # 300 packets 1 us apart, served at 2 us each: about half pile up.
        path = self.capture(list(range(300)))
        out = path + ".json"
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        with open(os.devnull, "w") as null:
            old, sys.stdout = sys.stdout, null
            try:
                rc = whatif.main([path, "--service-ns", "2000", "--sizes", "64,256",
                                  "--speeds", "1,4", "--json", out])
            finally:
                sys.stdout = old
        self.assertEqual(rc, 0)
        rep = json.load(open(out))
        loss = {(q["ring_size"], q["speed"]): q["loss"] for q in rep["points"]}
        self.assertGreater(loss[(64, 1.0)], 0.2)
        self.assertEqual(loss[(256, 1.0)], 0.0)
        self.assertEqual(loss[(64, 4.0)], 0.0)
        self.assertEqual(rep["smallest_lossless_ring"]["1"], 256)


if __name__ == "__main__":
    unittest.main(verbosity=2)
