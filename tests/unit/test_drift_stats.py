"""The drift statistics, pure Python as the Lambda runs them, against scipy and numpy on the same
counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as scipy_stats

from foundation.lambda_code import drift

stats = drift.stats


@pytest.mark.parametrize("a", [0.5, 1.0, 1.5, 2.0, 4.5, 10.0, 49.5, 500.0, 4999.5])
def test_regularized_gamma_q_agrees_with_scipy(a: float) -> None:
    for x in [1e-6, 0.01, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 0.9 * a, a, 1.1 * a, 3 * a + 30]:
        expected = special.gammaincc(a, x)
        assert stats.gamma_q(a, x) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("dof", [1, 2, 3, 9, 100, 9999])
def test_chi2_survival_agrees_with_scipy(dof: int) -> None:
    for x in [0.0, 0.01, 0.5, dof * 0.5, dof, dof * 2.0, dof + 60.0]:
        assert stats.chi2_sf(x, dof) == pytest.approx(
            scipy_stats.chi2.sf(x, dof), rel=1e-9, abs=1e-300
        )


def test_kolmogorov_survival_agrees_with_scipy_over_its_range() -> None:
    for x in np.linspace(0.0, 4.0, 401):
        expected = scipy_stats.kstwobign.sf(x)
        assert stats.kolmogorov_sf(float(x)) == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_chi_square_is_scipys_contingency_test_without_correction() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        k = int(rng.integers(3, 12))
        expected = rng.integers(0, 400, k)
        actual = rng.integers(0, 400, k)
        expected[0] = actual[0] = 0  # a category neither sample holds is left out
        test = stats.chi_square(expected.tolist(), actual.tolist())
        table = np.array([expected[1:], actual[1:]])
        table = table[:, table.sum(axis=0) > 0]
        statistic, p_value, dof, _ = scipy_stats.chi2_contingency(table, correction=False)
        assert test is not None
        assert test.statistic == pytest.approx(statistic, rel=1e-12)
        assert test.p_value == pytest.approx(p_value, rel=1e-9, abs=1e-300)
        assert test.dof == dof


def test_binned_ks_is_scipys_statistic_when_every_value_lies_on_an_edge() -> None:
    # Given two samples of whole numbers, binned by edges at every whole number
    rng = np.random.default_rng(3)
    first, second = rng.poisson(4.0, 700), rng.poisson(4.6, 500)
    edges = np.arange(1, 16)
    expected = np.bincount(np.searchsorted(edges, first, side="right"), minlength=16)
    actual = np.bincount(np.searchsorted(edges, second, side="right"), minlength=16)
    # When the binned statistic is computed
    test = stats.ks_binned(expected.tolist(), actual.tolist())
    # Then it is scipy's two-sample statistic, and its p-value the asymptotic one
    assert test is not None
    assert test.statistic == pytest.approx(scipy_stats.ks_2samp(first, second).statistic, rel=1e-12)
    effective = len(first) * len(second) / (len(first) + len(second))
    assert test.p_value == pytest.approx(
        scipy_stats.kstwobign.sf(math.sqrt(effective) * test.statistic), rel=1e-10
    )


def test_psi_is_the_sum_over_shares_with_empty_bins_at_the_floor() -> None:
    expected, actual = [50, 30, 20, 0], [10, 30, 40, 20]
    e = np.maximum(np.array(expected) / 100, 1e-4)
    a = np.maximum(np.array(actual) / 100, 1e-4)
    assert stats.psi(expected, actual) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
    assert stats.psi(expected, expected) == 0.0


@pytest.mark.parametrize("test", [stats.ks_binned, stats.chi_square])
def test_a_test_of_an_empty_sample_is_none(test: object) -> None:
    assert test([0, 0, 0], [3, 1, 2]) is None  # type: ignore[operator]
    assert test([3, 1, 2], [0, 0, 0]) is None  # type: ignore[operator]


def test_the_lambdas_drift_code_needs_nothing_the_lambda_lacks() -> None:
    # chalicelib.drift imported alone, as the Lambda imports it (its requirements: pydantic, PyJWT)
    import subprocess
    import sys

    from foundation.paths import CHALICE_DIR

    probe = (
        "import sys; import chalicelib.drift; "
        "print(sorted(m for m in ('numpy', 'scipy', 'boto3', 'botocore', 'lambda_code', 'watch') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=CHALICE_DIR, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
