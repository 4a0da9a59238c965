"""Read a dpprobe --load-record file: one JSON header line, then raw arrays.

The header lists the arrays in order as [name, dtype, count] ("u8" is a
little-endian uint64, "u4" uint32, "u1" uint8), so nothing here depends on
a C struct layout.
"""
import json

import numpy as np


class Record:
    """Arrivals, busy polls and vacations of one run, times in seconds from the first arrival."""

    def __init__(self, header, arrays):
        self.header = header
        hz = float(header["tsc_hz"])
        self.tsc_hz = hz
        self.ring_size = int(header["ring_size"])
        self.truncated = bool(header["truncated"])
        arr = arrays["arr_tsc"]
        self.t0 = int(arr[0]) if len(arr) else 0
        rel = lambda a: (a.astype(np.int64) - self.t0).astype(np.float64) / hz
        self.arrivals = rel(arr)
        self.fate = arrays["arr_fate"]
        self.poll_t = rel(arrays["poll_tsc"])
        self.poll_n = arrays["poll_n"].astype(np.int64)
        self.poll_occ = arrays["poll_occ"].astype(np.int64)
        self.poll_svc = arrays["poll_svc"].astype(np.float64) / hz
        self.vac_start = rel(arrays["vac_start"])
        self.vac_end = rel(arrays["vac_end"])
        self.vac_kind = arrays["vac_kind"]
        ep = int(header["empty_polls"])
        self.empty_poll_s = (float(header["empty_cycles"]) / ep / hz) if ep else 50e-9
        self._split_busy_preemptions()
        self._merge_vacations()
        self.poll_overhead = self._fit_poll_overhead()
        # A poll reads the ring's count this long before its dequeue (its timestamp).
        self.count_lag = float(header.get("count_lag_cycles", 0.0)) / hz
        self.visible_lag = self._fit_visible_lag()

    def _fit_visible_lag(self):
        """A packet stamped at a is in the ring from a + visible_lag (the enqueue comes
        after the stamp): the value (0 to 400 ns) for which the arrivals reproduce
        the most polls' occupancy, read count_lag before each poll's dequeue."""
        acc = self.arrivals[self.fate == 0]
        if len(acc) == 0 or len(self.poll_n) < 10:
            return 0.0
        before = np.concatenate(([0], np.cumsum(self.poll_n)[:-1]))
        ok = before + self.poll_n <= len(acc)
        t, occ, before = self.poll_t[ok] - self.count_lag, self.poll_occ[ok], before[ok]
        grid = np.arange(0, 401e-9, 10e-9)
        err = [np.mean(np.searchsorted(acc, t - v, side="right") - before != occ) for v in grid]
        return float(grid[int(np.argmin(err))])

    def _fit_poll_overhead(self):
        """Fixed cost of a busy poll (rx_burst, the table's burst passes, a cold
        cache after idling), from a line through the median service time of each
        batch size: service(n) = c0 + n c1. The model charges c0 once per batch
        it takes, so a batch it splits differently from the real one costs what
        a real batch of its size would."""
        ok = self.poll_svc > 0
        ns, meds, ws = [], [], []
        for n in np.unique(self.poll_n[ok]):
            sel = ok & (self.poll_n == n)
            if sel.sum() >= 5:
                ns.append(float(n))
                meds.append(float(np.median(self.poll_svc[sel])))
                ws.append(float(np.sqrt(sel.sum())))
        if len(ns) < 2:
            return 0.0
        c1, c0 = np.polyfit(ns, meds, 1, w=ws)
        low = float(np.min(self.poll_svc[ok]))
        return float(min(max(c0, 0.0), low))

    def _merge_vacations(self):
        """Vacations in time order, overlapping ones merged (the worker notes a gap
        inside a poll before the idle gap around it; a stall lies inside the idle gap
        it caused). A merged one keeps the kind of its first part."""
        if len(self.vac_start) == 0:
            return
        order = np.argsort(self.vac_start, kind="stable")
        vs, ve, vk = self.vac_start[order], self.vac_end[order], self.vac_kind[order]
        out_s, out_e, out_k = [vs[0]], [ve[0]], [vk[0]]
        for a, b, k in zip(vs[1:], ve[1:], vk[1:]):
            if a <= out_e[-1]:
                out_e[-1] = max(out_e[-1], b)
            else:
                out_s.append(a)
                out_e.append(b)
                out_k.append(k)
        self.vac_start = np.array(out_s)
        self.vac_end = np.array(out_e)
        self.vac_kind = np.array(out_k, dtype=self.vac_kind.dtype)

    def _split_busy_preemptions(self):
        """Take the OS's preemptions out of busy polls' service times.

        The worker records the gaps it sees while idle or in the --work-ns spin as
        vacations, but a preemption while it parses or tracks lands in that poll's
        service time. A busy poll far slower than its packets' usual cost (more
        than 8 times the median per packet plus 20 us) was preempted: its packets
        keep the usual cost and the rest becomes a vacation at the end of the poll,
        at the real time it happened, which is where the model must see it.
        """
        self.busy_preemptions = 0
        ok = self.poll_svc > 0
        if not ok.any():
            return
        med = float(np.median(self.poll_svc[ok] / self.poll_n[ok]))
        usual = self.poll_n * med
        slow = ok & (self.poll_svc > 8 * usual + 20e-6)
        if not slow.any():
            return
        self.busy_preemptions = int(slow.sum())
        start = self.poll_t[slow] + usual[slow]
        end = self.poll_t[slow] + self.poll_svc[slow]
        self.poll_svc = np.where(slow, usual, self.poll_svc)
        vs = np.concatenate((self.vac_start, start))
        ve = np.concatenate((self.vac_end, end))
        vk = np.concatenate((self.vac_kind, np.full(len(start), 3, dtype=self.vac_kind.dtype)))
        order = np.argsort(vs, kind="stable")
        self.vac_start, self.vac_end, self.vac_kind = vs[order], ve[order], vk[order]

    def service_per_packet(self):
        """Each dequeued packet's service time, in dequeue order: its poll's time, less
        the poll's fixed cost (poll_overhead), over its count.

        The last busy poll was never closed by a next poll (0): it gets the median.
        """
        svc = self.poll_svc.copy()
        open_polls = svc <= 0
        if open_polls.any() and (~open_polls).any():
            svc[open_polls] = np.median(svc[~open_polls] / self.poll_n[~open_polls]) * \
                self.poll_n[open_polls]
        c0 = getattr(self, "poll_overhead", 0.0)
        return np.repeat(np.maximum(svc - c0, 0.0) / np.maximum(self.poll_n, 1), self.poll_n)

    def measured_sojourns(self):
        """Sojourn of every dequeued packet from the record (FIFO: accepted arrivals in order)."""
        acc = self.arrivals[self.fate == 0]
        deq = np.repeat(self.poll_t, self.poll_n)
        m = min(len(acc), len(deq))
        return deq[:m] - acc[:m]


def read(path):
    with open(path, "rb") as f:
        header = json.loads(f.readline())
        if header.get("format") != "dpprobe-ring-record":
            raise ValueError(f"{path}: not a dpprobe ring record")
        arrays = {}
        for name, dtype, count in header["arrays"]:
            size = int(dtype[1:])
            buf = f.read(size * count)
            if len(buf) != size * count:
                raise ValueError(f"{path}: {name} cut short")
            arrays[name] = np.frombuffer(buf, dtype="<" + dtype, count=count)
    return Record(header, arrays)
