"""M/D/1/K: Poisson arrivals, deterministic service, K places in all (the one
in service included). Loss from the embedded chain at departures.

a_k = P(k arrivals in one service time) = e^-rho rho^k / k!.  With pi the
departure-epoch distribution on 0..K-1 (solved with up-crossing balance
equations, all terms positive, so it is stable for large K):
    pi_{j+1} a_0 = pi_0 A_{j+1} + sum_{i=1..j} pi_i A_{j-i+2},  A_k = P(>= k arrivals),
and the blocking probability (PASTA) is P_K = 1 - 1 / (pi_0 + rho).
"""
import math

import numpy as np


def arrivals_pmf(rho, kmax):
    a = np.empty(kmax + 1)
    a[0] = math.exp(-rho)
    for k in range(1, kmax + 1):
        a[k] = a[k - 1] * rho / k
    return a


def mdk_loss(rho, K):
    """Loss probability of an M/D/1/K queue with load rho (K >= 1)."""
    if K < 1:
        raise ValueError("K must be at least 1")
    if rho <= 0:
        return 0.0
    a = arrivals_pmf(rho, K + 1)
    tail = np.maximum(1.0 - np.concatenate(([0.0], np.cumsum(a)))[: K + 2], 0.0)  # tail[k] = P(>=k)
    pi = np.zeros(K)
    pi[0] = 1.0
    for j in range(0, K - 1):
        s = pi[0] * tail[j + 1]
        if j >= 1:
            # sum_{i=1..j} pi_i tail[j-i+2]
            s += float(np.dot(pi[1:j + 1], tail[j + 1:1:-1]))
        pi[j + 1] = s / a[0]
        if pi[j + 1] > 1e250:
            pi[: j + 2] /= pi[j + 1]
    pi /= pi.sum()
    return max(0.0, 1.0 - 1.0 / (pi[0] + rho))
