"""A discrete-event simulation of a finite FIFO with batch service.

The ring holds at most K packets. The server polls: a poll at time t takes
min(queue, B) packets at once (they leave the ring then), works through
them (each its own service time) and polls again; an empty poll costs
`empty_poll` seconds. Vacations are intervals in which the server does
nothing (an injected stall, the OS running something else): work pauses
and no poll starts inside one. An arrival that finds K packets in the ring
is dropped. This is how a DPDK worker drains an RX ring with rx_burst.
"""
import math

import numpy as np


class Result:
    def __init__(self, offered, dropped, sojourns, occ_hist, drop_mask):
        self.offered = offered
        self.dropped = dropped
        self.loss = dropped / offered if offered else 0.0
        self.sojourns = sojourns
        self.occ_hist = occ_hist
        self.drop_mask = drop_mask


def simulate(arrivals, service, K, B, empty_poll, vac_start=(), vac_end=(), window=None,
             trace=None, poll_cost=0.0, count_lag=0.0, wake=None):
    """Run the model.

    arrivals: sorted arrival times (s); service: service time of the 1st, 2nd, ...
    packet dequeued (s; past its end the mean is used); K: ring slots; B: burst;
    empty_poll: cost of a poll that finds nothing (s); vac_start/vac_end: vacations,
    sorted; window: (t0, t1) in which polls are counted in occ_hist (default: the
    arrivals' span); poll_cost: fixed cost of each busy poll (s), on top of its packets'; count_lag: a poll
    dequeues at t but read the occupancy count_lag before, so what came in between is
    taken but not in its occupancy;
    wake: sorted times of the real server's busy polls: an idle server's first poll after
    an arrival is the real one's if it came within 2 us (the phase of the poll loop
    against the arrivals is part of the record, like the vacations); trace: a list to append (t, queue, taken) of every busy poll to. Returns a Result with occ_hist[i] = polls that found i packets.
    """
    arrivals = np.asarray(arrivals, dtype=np.float64)
    service = np.asarray(service, dtype=np.float64)
    n = len(arrivals)
    if n == 0:
        return Result(0, 0, np.zeros(0), np.zeros(K + 1), np.zeros(0, bool))
    mean_svc = float(service.mean()) if len(service) else 0.0
    # Service of the packets past the recorded ones: the mean.
    extra = max(0, n - len(service))
    svc_cum = np.concatenate(([0.0], np.cumsum(np.concatenate((service, np.full(extra, mean_svc))))))
    vs = list(map(float, vac_start))
    ve = list(map(float, vac_end))
    nv = len(vs)
    w0, w1 = window if window is not None else (float(arrivals[0]), float(arrivals[-1]))
    e = max(float(empty_poll), 1e-12)

    occ_hist = np.zeros(K + 1, dtype=np.float64)
    drop = np.zeros(n, dtype=bool)
    acc_t = np.empty(n, dtype=np.float64)  # accepted arrivals, in order
    soj = np.empty(n, dtype=np.float64)
    n_acc = head = n_deq = 0
    i = 0
    v = 0
    t = float(arrivals[0])
    arr = arrivals.tolist()

    def out_of_vacation(x):
        nonlocal v
        while v < nv and ve[v] <= x:
            v += 1
        if v < nv and vs[v] <= x:
            x = ve[v]
            v += 1
        return x

    def advance(x, work):
        """x + work of available time, skipping vacations."""
        nonlocal v
        while v < nv and ve[v] <= x:
            v += 1
        while v < nv and vs[v] < x + work:
            if vs[v] > x:
                work -= vs[v] - x
            x = max(x, ve[v])
            v += 1
        return x + work

    while True:
        # Arrivals up to this poll's count, each finding the ring as the last poll left it.
        q = n_acc - head
        while i < n and arr[i] <= t - count_lag:
            if q >= K:
                drop[i] = True
            else:
                acc_t[n_acc] = arr[i]
                n_acc += 1
                q += 1
            i += 1
        if w0 <= t <= w1:
            occ_hist[min(q, K)] += 1
        # ...and those that come before it dequeues.
        while i < n and arr[i] <= t:
            if q >= K:
                drop[i] = True
            else:
                acc_t[n_acc] = arr[i]
                n_acc += 1
                q += 1
            i += 1
        m = min(q, B)
        if m > 0:
            if trace is not None:
                trace.append((t, q, m))
            soj[n_deq:n_deq + m] = t - acc_t[head:head + m]
            head += m
            work = poll_cost + svc_cum[n_deq + m] - svc_cum[n_deq]
            n_deq += m
            t = out_of_vacation(advance(t, work))
            continue
        if i >= n:
            break
        # Idle: the server polls every e until the next arrival is there.
        nxt = arr[i]
        start = t
        # Waiting is not work: a vacation while idle delays the next poll only
        # if the arrival comes during it.
        t_new = t + e * math.ceil((max(nxt, t + e) - t) / e)
        if wake is not None:
            k = int(np.searchsorted(wake, nxt))
            if k < len(wake) and wake[k] - nxt <= 2e-6 and wake[k] >= t:
                t_new = float(wake[k])
        t_new = out_of_vacation(t_new)
        # Empty polls in between (after this one), inside the window, and not
        # while the server was away.
        lo, hi = max(start + e, w0), min(t_new, w1)
        if hi > lo:
            away = 0.0
            j = v - 1 if v > 0 else 0
            while j < nv and vs[j] < hi:
                away += max(0.0, min(ve[j], hi) - max(vs[j], lo))
                j += 1
            occ_hist[0] += max(0, math.floor((hi - lo - away) / e))
        t = t_new
    return Result(n, int(drop.sum()), soj[:n_deq], occ_hist, drop)


def ks_distance(hist_a, hist_b, skip_empty=False):
    """Kolmogorov-Smirnov distance of two occupancy distributions given as histograms;
    skip_empty: of the polls that found at least one packet."""
    a = np.asarray(hist_a, dtype=np.float64)
    b = np.asarray(hist_b, dtype=np.float64)
    if skip_empty:
        a, b = a[1:], b[1:]
    size = max(len(a), len(b))
    a = np.pad(a, (0, size - len(a)))
    b = np.pad(b, (0, size - len(b)))
    if a.sum() == 0 or b.sum() == 0:
        return 1.0 if a.sum() != b.sum() else 0.0
    return float(np.max(np.abs(np.cumsum(a) / a.sum() - np.cumsum(b) / b.sum())))


def percentile(values, q):
    """The q-quantile (0..1) of values: the smallest value with at least q of them at or below."""
    if len(values) == 0:
        return 0.0
    s = np.sort(values)
    k = max(0, int(math.ceil(q * len(s))) - 1)
    return float(s[k])


def hist_quantile(hist, q):
    """Smallest index with at least q of the histogram's mass at or below it."""
    h = np.asarray(hist, dtype=np.float64)
    c = np.cumsum(h)
    if c[-1] == 0:
        return 0
    return int(np.searchsorted(c, q * c[-1] - 1e-9))


def simulate_record(rec, burst, quiet=False):
    """The model on a recorded run: its arrivals, its per-packet service, its vacations.

    quiet: without the vacations the OS imposed (preemptions), only the injected
    stalls: what the same probe would have done on a core of its own.
    """
    if quiet:
        keep = rec.vac_kind == 0
        return simulate(rec.arrivals + rec.visible_lag, rec.service_per_packet(),
                        rec.ring_size, burst, rec.empty_poll_s, rec.vac_start[keep],
                        rec.vac_end[keep], poll_cost=rec.poll_overhead,
                        count_lag=rec.count_lag)
    # Packets enter the ring visible_lag after their stamp: that is the arrival the
    # ring sees, against the real poll times the model wakes at and the vacations.
    return simulate(rec.arrivals + rec.visible_lag, rec.service_per_packet(), rec.ring_size, burst,
                    rec.empty_poll_s, rec.vac_start, rec.vac_end,
                    window=(rec.visible_lag, float(rec.arrivals[-1]) + rec.visible_lag)
                    if len(rec.arrivals) else None,
                    poll_cost=rec.poll_overhead, count_lag=rec.count_lag, wake=rec.poll_t)


def largest_lossless_burst(K, B, service, empty_poll, line_gap, upper=1 << 20):
    """RFC 9004's back-to-back idea on the model: the largest burst of packets spaced
    line_gap apart that an empty ring of K slots takes without a drop, given the
    measured service times."""
    def lossless(b):
        arr = np.arange(b) * line_gap
        return simulate(arr, service[:b] if len(service) >= b else service, K, B,
                        empty_poll).dropped == 0
    lo, hi = K, K
    if not lossless(lo):
        return K  # the ring itself always takes K (it is empty before the burst)
    while hi < upper and lossless(hi * 2):
        hi *= 2
    hi = min(hi * 2, upper)
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if lossless(mid):
            lo = mid
        else:
            hi = mid
    return lo
