"""95% intervals of the 12-week report (clinical-reference §5), as small pure functions of aggregates.

scipy is imported inside the functions: loading it costs every process a second, and only the report
needs it.
"""

import math

CONFIDENCE = 0.95
Z95 = 1.959963984540054  # the standard normal's 97.5th percentile (two-sided 95%)
MIN_N = 2  # clinical-reference §5: intervals are null where n < 2


def wilson(successes: int, n: int) -> list[float] | None:
    """Wilson score interval of the share successes / n (Wilson, JASA 1927)."""
    if n < MIN_N:
        return None
    z = Z95
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return [max(0.0, centre - half), min(1.0, centre + half)]


def t_interval(mean: float | None, sd: float | None, n: int) -> list[float] | None:
    """Student t interval of a mean, n − 1 degrees of freedom."""
    if n < MIN_N or mean is None or sd is None:
        return None
    from scipy import stats

    half = float(stats.t.ppf(1 - (1 - CONFIDENCE) / 2, n - 1)) * sd / math.sqrt(n)
    return [mean - half, mean + half]


def median_ranks(n: int) -> tuple[int, int] | None:
    """The ranks (j, k), 1-based, of the order statistics x(j) ≤ x(k) that bound a distribution-free
    95% interval of the median: the symmetric pair k = n + 1 − j with the smallest span whose coverage
    P(j ≤ B < k), B ~ Binomial(n, ½), is at least 95% (Conover, Practical Nonparametric Statistics,
    3rd ed. §3.2; Hahn & Meeker 1991). Coverage 1 − 2·P(B ≤ j − 1) falls as j grows, so j is the
    largest rank with P(B ≤ j − 1) ≤ 2.5%. None when even (x(1), x(n)) covers less (n ≤ 5)."""
    if n < MIN_N:
        return None
    from scipy import stats

    tail = (1 - CONFIDENCE) / 2
    j = int(stats.binom.ppf(tail, n, 0.5)) + 1  # P(B ≤ j − 1) ≥ tail here; step down until ≤ tail
    while j >= 1 and stats.binom.cdf(j - 1, n, 0.5) > tail:
        j -= 1
    if j < 1:
        return None
    return j, n + 1 - j
