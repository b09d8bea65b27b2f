"""The drift statistics, from counts alone and in pure Python (the Lambda ships no numpy or
scipy): the population stability index, the two-sample Kolmogorov-Smirnov statistic on binned
distributions with its asymptotic p-value, and Pearson's chi-square test of homogeneity.

Each agrees with scipy.stats on the same counts (tests/unit/test_drift_stats.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A share below this counts as this in the PSI: an empty bin on either side would make its log
# infinite. 1e-4 (0.01 %) is the floor most PSI write-ups use; it caps one empty bin's term at
# about share x 9.2.
PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class Test:
    """A two-sample test's outcome: its statistic and p-value (and degrees of freedom, for
    chi-square)."""

    name: str
    statistic: float
    p_value: float
    dof: int | None = None


def shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [count / total for count in counts] if total else [0.0] * len(counts)


def psi(expected: Sequence[int], actual: Sequence[int], epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of ``actual`` against ``expected``, bin for bin:
    sum((a - e) * ln(a / e)) over the two count vectors' shares, each share below ``epsilon``
    counted as ``epsilon``."""
    if len(expected) != len(actual):
        raise ValueError(f"{len(expected)} expected bins, {len(actual)} actual")
    total = 0.0
    for e, a in zip(shares(expected), shares(actual), strict=True):
        e, a = max(e, epsilon), max(a, epsilon)
        total += (a - e) * math.log(a / e)
    return total


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for Kolmogorov's limiting distribution (scipy.stats.kstwobign.sf): the
    alternating series 2 sum (-1)^(k-1) exp(-2 k^2 x^2) for x >= 1, where it converges in a few
    terms, and 1 minus Jacobi's dual series sqrt(2 pi) / x sum exp(-(2k-1)^2 pi^2 / (8 x^2))
    below, where the first converges slowly."""
    if x <= 0.0:
        return 1.0
    if x < 1.0:
        factor = -(math.pi**2) / (8.0 * x * x)
        cdf = 0.0
        k = 1
        while True:
            term = math.exp(factor * (2 * k - 1) ** 2)
            cdf += term
            if term < 1e-17 * cdf or k > 100:
                break
            k += 1
        return max(0.0, 1.0 - math.sqrt(2.0 * math.pi) / x * cdf)
    total = 0.0
    k = 1
    while True:
        term = math.exp(-2.0 * k * k * x * x)
        total += term if k % 2 else -term
        if term < 1e-17 or k > 100:
            break
        k += 1
    return min(1.0, max(0.0, 2.0 * total))


def ks_binned(expected: Sequence[int], actual: Sequence[int]) -> Test | None:
    """The two-sample Kolmogorov-Smirnov statistic on two samples binned alike: the largest gap
    between their cumulative shares at the bins' upper edges. It is the exact KS statistic when
    every value lies on a bin's edge, and a lower bound of it otherwise (the bins are the
    baseline's, so within a bin the two samples are not told apart). The p-value is the
    asymptotic one, P(K > sqrt(n m / (n + m)) D) (scipy.stats.ks_2samp's method="asymp").
    None when either sample is empty."""
    n, m = sum(expected), sum(actual)
    if not n or not m:
        return None
    gap = 0.0
    cum_e = cum_a = 0
    for e, a in zip(expected, actual, strict=True):
        cum_e += e
        cum_a += a
        gap = max(gap, abs(cum_e / n - cum_a / m))
    effective = n * m / (n + m)
    return Test("ks", gap, kolmogorov_sf(math.sqrt(effective) * gap))


def chi_square(expected: Sequence[int], actual: Sequence[int]) -> Test | None:
    """Pearson's chi-square test that two samples of categories come from one distribution:
    the 2 x k table of counts, categories neither sample holds left out, without Yates'
    correction (scipy.stats.chi2_contingency(correction=False)). None when either sample is
    empty or fewer than two categories occur."""
    n, m = sum(expected), sum(actual)
    columns = [(e, a) for e, a in zip(expected, actual, strict=True) if e + a]
    if not n or not m or len(columns) < 2:
        return None
    total = n + m
    statistic = 0.0
    for e, a in columns:
        column = e + a
        for observed, row in ((e, n), (a, m)):
            fitted = row * column / total
            statistic += (observed - fitted) ** 2 / fitted
    dof = len(columns) - 1
    return Test("chi2", statistic, chi2_sf(statistic, dof), dof)


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for chi-square with ``dof`` degrees of freedom: Q(dof / 2, x / 2)."""
    if x <= 0.0:
        return 1.0
    return gamma_q(dof / 2.0, x / 2.0)


def gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(a, x) (scipy.special.gammaincc): the
    series for P(a, x) below x = a + 1, the continued fraction for Q above (modified Lentz),
    as in Numerical Recipes' gser and gcf."""
    if a <= 0.0:
        raise ValueError("a must be positive")
    if x <= 0.0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        denominator = a
        for _ in range(100_000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return min(1.0, math.exp(log_prefix) * h)
