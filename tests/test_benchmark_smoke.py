"""The benchmark script runs end to end and writes every field the README table needs.

Speed is never asserted here (timings belong to benchmarks/results.json);
this only proves that `python benchmarks/bench.py --quick` works.
"""
import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_benchmark_quick_run_writes_all_fields(tmp_path, capsys):
    bench = load_bench()
    out = tmp_path / "results.json"
    bench.main(["--quick", "--workloads", "course", "large", "--dtypes", "float32", "--out", str(out)])
    results = json.loads(out.read_text())

    assert results["quick"] is True
    assert {"cpu", "cores", "jax", "backend", "device"} <= results["machine"].keys()
    assert [w["workload"] for w in results["workloads"]] == ["course", "large"]
    for row in results["workloads"]:
        assert row["numpy_f64_s"] > 0 and row["numpy_tuned_f64_s"] > 0
        d = row["by_dtype"]["float32"]
        assert d["autodiff_over_manual"] > 0
        for path in ("manual", "reference", "per_step"):
            r = d["paths"][path]
            assert {"compile_s", "run_s", "us_per_iter", "speedup_vs_numpy", "speedup_vs_tuned_numpy"} <= r.keys()
    large = results["workloads"][1]["by_dtype"]["float32"]
    assert {"matmul_gflops_square", "matmul_gflops_workload", "elementwise_floor_s_per_iter",
            "floor_s_per_iter"} <= large.keys()
    assert "times_floor" in large["paths"]["manual"]
    assert "train" in results["workloads"][0]["by_dtype"]["float32"]

    printed = capsys.readouterr().out
    assert "| course" in printed and "| large" in printed
    assert bench.table(results).splitlines()[0] == printed.splitlines()[0]


def test_numpy_baseline_matches_the_manual_path_costs():
    """The numpy loop is the same algorithm: its costs equal run_chunk's float64 costs."""
    import jax.numpy as jnp
    import numpy as np

    from shallownet.loop import run_chunk

    bench = load_bench()
    X, Y, params = bench.make_problem(400, 2, 4)
    costs_np = bench.numpy_course_loop(X, Y, *(params[k] for k in ("W1", "b1", "W2", "b2")), 1.2, 50)
    p = {k: jnp.asarray(v) for k, v in params.items()}
    _, costs, steps, ok = run_chunk(p, jnp.asarray(X), jnp.asarray(Y), np.float64(1.2), np.int32(50),
                                    activation="tanh", output="sigmoid", gradients="manual", capacity=50)
    assert bool(ok) and int(steps) == 50 and costs.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(costs), costs_np, rtol=1e-12)
