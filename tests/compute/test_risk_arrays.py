"""The risk kernel written against the array API (risk_block_xp.run_block_xp): with numpy it gives the
CPU path's bits, wide GPU-style passes draw the same numbers, precision "float64" agrees with
float32 to float32's rounding, a bad precision is refused, and on a GPU CuPy agrees with numpy."""
from __future__ import annotations

import types

import numpy as np
import pytest

from genesis_desktop.compute import arrays
from genesis_desktop.compute.kernel import SpecError
from genesis_desktop.compute.kernels import risk_block, risk_block_xp
from genesis_desktop.compute.kernels.risk import RISK
from genesis_desktop.compute.kernels.risk_model import Model

HEADLINE = ("expected_value", "expected_cost", "p_within_all_budgets", "value_at_risk", "conditional_value_at_risk")


def make_params(proposals: int = 24, **over) -> dict:
    """Three fiscal years with budgets near the expected spending (so every budget probability is
    strictly between 0 and 1), a yen partner, 20,000 scenarios in blocks of 8192: the last block,
    3616 scenarios, ends in a short chunk."""
    props = [{"code": f"P-{i:03d}", "cost": {2026: 100_000.0 * (1 + i % 4), 2027: 250_000.0 + 10_000 * i,
                                             2028: 50_000.0 * (i % 3)},
              "value": 1_000_000.0 + 50_000 * i, "delivery_probability": 0.5 + 0.02 * i} for i in range(proposals)]
    props[0]["overrun_sigma"] = 0.6
    props[1]["cancel_probability"] = 0.3
    params = {"currency": "USD", "proposals": props,
              "budgets": {2026: 5_600_000.0, 2027: 8_500_000.0, 2028: 1_100_000.0},
              "partners": [{"code": "JP-1", "currency": "JPY", "amounts": {2026: 30_000_000.0, 2028: 10_000_000.0}}],
              "fx": {"JPY": {"rate": 150.0, "sigma": 0.1}}, "scenarios": 20_000, "block_size": 8192}
    params.update(over)
    return RISK.prepare(params)


def all_blocks(params: dict) -> list[dict]:
    return [RISK.run_block(params, 7, b) for b in range(RISK.block_count(params))]


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


@pytest.fixture(scope="module")
def float32_run():
    params = make_params()
    partials = all_blocks(params)
    return params, partials, RISK.combine(params, partials)


def test_the_default_precision_is_float32_and_prepare_stays_idempotent(float32_run):
    params, _, result = float32_run
    assert params["precision"] == "float32"
    assert RISK.prepare(params) == params
    assert RISK.prepare({**params, "precision": "float64"})["precision"] == "float64"
    assert 0.05 < result["p_within_all_budgets"]["estimate"] < 0.95  # the comparisons below have work to do


@pytest.mark.parametrize("value", ["double", "FLOAT64", 64, None, ["float32"]])
def test_a_bad_precision_is_refused_naming_the_choices(value):
    with pytest.raises(SpecError) as err:
        make_params(precision=value)
    assert str(err.value).startswith(f"precision: {value!r} must be \"float32\"")
    assert "\"float64\"" in str(err.value)


def test_passes_draw_what_chunks_draw():
    m = Model.of(make_params())
    block = 2  # 3616 scenarios: one whole chunk and a short one
    u, z, fx = drawn_by_chunks(m, block)
    for per_pass in (1, 3):
        got = [(first, u.copy(), z.copy(), fx) for first, u, z, fx in risk_block_xp.passes(m, 7, block, per_pass)]
        assert [g[0] for g in got] == [0, risk_block.CHUNK]  # the short chunk always comes alone
        assert np.array_equal(np.concatenate([risk_block_xp.side_by_side(g[1]) for g in got], axis=1), u)
        assert np.array_equal(np.concatenate([risk_block_xp.side_by_side(g[2]) for g in got], axis=1), z)
        assert np.array_equal(np.concatenate([g[3] for g in got]), fx)
    wide = next(risk_block_xp.passes(m, 7, 0, 3))  # 8192 scenarios: three whole chunks, then one
    assert wide[1].shape == (3, 24, risk_block.CHUNK)
    assert np.array_equal(risk_block_xp.side_by_side(wide[1]), drawn_by_chunks(m, 0)[0][:, :3 * risk_block.CHUNK])


def drawn_by_chunks(m: Model, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U, Z (p, scenarios) and the fx normals (scenarios, currencies) of a block, as chunks() draws them."""
    drawn = [(u.copy(), z.copy(), fx) for _, u, z, fx in risk_block.chunks(m, 7, block)]  # chunks() reuses its arrays
    return (np.concatenate([d[0] for d in drawn], axis=1), np.concatenate([d[1] for d in drawn], axis=1),
            np.concatenate([d[2] for d in drawn]))


def test_the_array_path_with_numpy_gives_the_cpu_paths_bits(float32_run):
    params, partials, _ = float32_run
    m = Model.of(params)
    for block, expected in enumerate(partials):
        got = risk_block_xp.run_block_xp(m, 7, block, np)
        assert got.keys() == expected.keys()
        for name in expected:
            assert got[name].dtype == expected[name].dtype, name
            assert np.array_equal(got[name], expected[name]), name


def test_wide_passes_give_the_same_scenarios_and_tail(float32_run):
    """A GPU takes many chunks a pass: the same scenarios' totals, counts and tail rows; only sums
    over more scenarios at once may round differently."""
    params, partials, _ = float32_run
    m = Model.of(params)
    for block, expected in enumerate(partials):
        got = risk_block_xp.run_block_xp(m, 7, block, np, per_pass=3)
        for name in ("total_cost", "delivered", "within_year", "within_all", "tail_total", "tail_index",
                     "tail_multiplier"):
            assert np.array_equal(got[name], expected[name]), name
        for name in ("year_cost_sum", "year_cost_sumsq", "partner_money_sum"):
            np.testing.assert_allclose(got[name], expected[name], rtol=1e-12, err_msg=name)


class NumpyUnderAnotherName(types.ModuleType):
    """numpy's functions in a module that is not numpy: what a GPU thread's CuPy looks like to the kernel."""

    def __getattr__(self, name):
        return getattr(np, name)


def test_the_kernel_takes_the_array_path_for_float64_and_for_another_module(float32_run, monkeypatch):
    params, partials, _ = float32_run
    seen = []
    real = risk_block_xp.run_block_xp
    monkeypatch.setattr(risk_block_xp, "run_block_xp", lambda *a, **k: seen.append(a[3]) or real(*a, **k))
    assert np.array_equal(RISK.run_block(params, 7, 0)["total_cost"], partials[0]["total_cost"])
    assert seen == []  # numpy at float32: the numexpr path
    wide = RISK.run_block(make_params(precision="float64"), 7, 0)
    assert seen == [np] and wide["tail_multiplier"].dtype == np.float64
    other = NumpyUnderAnotherName("other")
    arrays.use(other)
    try:
        got = RISK.run_block(params, 7, 0)  # the whole block in one GPU-style pass
    finally:
        arrays.use(np)
    assert seen[-1] is other
    assert np.array_equal(got["total_cost"], partials[0]["total_cost"])
    assert np.array_equal(got["tail_multiplier"], partials[0]["tail_multiplier"])


def test_float64_agrees_with_float32_to_float32_rounding(float32_run):
    params, partials32, result32 = float32_run
    wide = make_params(precision="float64")
    partials64 = all_blocks(wide)
    result64 = RISK.combine(wide, partials64)
    totals32 = np.concatenate([p["total_cost"] for p in partials32])
    totals64 = np.concatenate([p["total_cost"] for p in partials64])
    assert not np.array_equal(totals32, totals64)  # the arithmetic really is another precision
    np.testing.assert_allclose(totals64, totals32, rtol=1e-5)
    n = result32["scenarios"]
    for name in HEADLINE:
        a, b = result32[name]["estimate"], result64[name]["estimate"]
        if name.startswith("p_"):
            assert abs(a - b) * n <= 5, name  # a few scenarios within float32 rounding of a budget
        else:
            assert relative(a, b) <= 1e-5, name
    for code, share in result32["tail_contributions"].items():
        assert relative(share, result64["tail_contributions"][code]) <= 1e-4, code


def gpu():
    """CuPy with a visible device, or a skip that says so."""
    try:
        module, _ = arrays.choose("cupy")
    except Exception as err:
        pytest.skip(f"needs a GPU with CuPy ({type(err).__name__}: {err})")
    return module


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_cupy_agrees_with_numpy(precision):
    """float64: every estimate to 1e-12 relative. float32: CUDA's exp and sums round differently
    from numpy's, to about 1e-6."""
    module = gpu()
    params = make_params(precision=precision)
    on_cpu = all_blocks(params)
    arrays.use(module)
    try:
        on_gpu = all_blocks(params)
    finally:
        arrays.use(np)
    assert all(isinstance(v, np.ndarray) for p in on_gpu for v in p.values())
    for cpu, dev in zip(on_cpu, on_gpu):
        assert np.array_equal(cpu["delivered"], dev["delivered"])  # comparisons of the same draws
    tolerance = 1e-12 if precision == "float64" else 1e-5
    cpu, dev = RISK.combine(params, on_cpu), RISK.combine(params, on_gpu)
    n = cpu["scenarios"]
    for name in HEADLINE:
        a, b = cpu[name]["estimate"], dev[name]["estimate"]
        if name.startswith("p_") and precision == "float32":
            assert abs(a - b) * n <= 5, name
        else:
            assert relative(a, b) <= tolerance, (name, a, b)
    for year, figure in cpu["expected_cost_by_year"].items():
        assert relative(figure["estimate"], dev["expected_cost_by_year"][year]["estimate"]) <= tolerance, year
