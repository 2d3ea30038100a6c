"""The report's interval helpers against published values (clinical-reference §5)."""

import pytest

from outcomes import intervals


@pytest.mark.parametrize(("successes", "n", "expected"), [
    (0, 10, [0.0, 0.2775]), (5, 10, [0.2366, 0.7634]), (10, 10, [0.7225, 1.0]),  # Newcombe, Stat Med 1998
    (81, 263, [0.2553, 0.3662]),  # Newcombe's example 1
])
def test_wilson(successes, n, expected):
    assert intervals.wilson(successes, n) == pytest.approx(expected, abs=1e-4)


def test_t_interval_uses_n_minus_1_degrees_of_freedom():
    low, high = intervals.t_interval(10.0, 2.0, 5)
    assert (high - low) / 2 == pytest.approx(2.776445 * 2.0 / 5 ** 0.5, abs=1e-5)  # t(0.975, 4)


@pytest.mark.parametrize(("n", "ranks"), [
    (5, None), (6, (1, 6)), (10, (2, 9)), (20, (6, 15)), (100, (40, 61)),  # Conover, table A3 / §3.2
])
def test_median_order_statistics(n, ranks):
    assert intervals.median_ranks(n) == ranks


def test_no_interval_under_two():
    assert intervals.wilson(1, 1) is None and intervals.t_interval(3.0, None, 1) is None
    assert intervals.median_ranks(1) is None
