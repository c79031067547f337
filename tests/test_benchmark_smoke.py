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
def test_benchmark_quick_run_writes_all_fields_and_a_pyperf_suite(tmp_path, capsys):
    import pyperf

    bench = load_bench()
    out, suite = tmp_path / "results.json", tmp_path / "suite.json"
    argv = ["--quick", "--workloads", "course", "large", "--dtypes", "float32", "--sweeps", "same_64"]
    bench.main(argv + ["--out", str(out), "--pyperf", str(suite)])
    results = json.loads(out.read_text())
    assert results["quick"] is True and results["backend"] and len(results["start"]["load_avg"]) == 3
    assert [workload["workload"] for workload in results["workloads"]] == ["course", "large"]
    for row in results["workloads"]:
        assert row["numpy"]["median"] > 0 and row["numpy_tuned"]["median"] > 0
        paths = row["by_dtype"]["float32"]["paths"]
        for path in ("manual", "reference", "per_step"):
            assert {"compile_s", "run_s", "us_per_iter", "speedup_vs_numpy", "speedup_vs_tuned_numpy"} <= paths[
                path
            ].keys()
    assert "train" in results["workloads"][0]["by_dtype"]["float32"]["paths"]  # as `shallownet train` runs it
    (sweep,) = results["sweeps"]
    assert sweep["sweep"] == "same_64" and sweep["networks"] == 8
    assert sweep["all_at_once_s"] > 0 and sweep["all_at_once_compile_s"] > 0
    names = {benchmark.get_name() for benchmark in pyperf.BenchmarkSuite.load(str(suite)).get_benchmarks()}
    assert {"course/numpy", "course/float32/manual", "sweep same_64/all_at_once"} <= names
    printed = capsys.readouterr().out
    assert bench.table(results).splitlines()[0] == printed.splitlines()[0]


def test_numpy_baseline_matches_the_manual_path_costs():
    """The numpy loop is the same algorithm: its costs equal the one engine's float64 costs (a stack of one)."""
    import numpy as np

    from shallownet import train

    bench = load_bench()
    X, Y, params = bench.make_problem(400, 2, 4)
    costs_np = bench.numpy_course_loop(X, Y, *(params[name] for name in ("W1", "b1", "W2", "b2")), 1.2, 50)
    _, costs = train.train(params, X, Y, lr=1.2, iterations=50, dtype="float64")
    assert costs.dtype == np.float64 and costs.shape == (50,)
    np.testing.assert_allclose(costs, costs_np, rtol=1e-12)


def test_repeats_alternate_between_contenders():
    bench = load_bench()
    order = []
    times = bench.alternate({name: (lambda name=name: order.append(name) or 1.0) for name in "abc"}, 3)
    assert order == list("abcbcacab")  # each repeat runs every contender once; the order rotates
    assert times == {"a": [1.0] * 3, "b": [1.0] * 3, "c": [1.0] * 3}


def test_a_contenders_repeats_are_a_pyperf_benchmark():
    bench = load_bench()
    summary = bench.summary(bench.benchmark("course/numpy", [3.0, 1.0, 2.0]))
    assert summary["median"] == 2.0 and (summary["min"], summary["max"]) == (1.0, 3.0) and summary["stdev"] == 1.0


def test_numpy_worker_answers_each_run_request(tmp_path):
    bench = load_bench()
    X, Y, params = bench.make_problem(400, 2, 4)
    problem = tmp_path / "p.npz"
    bench.save_problem(problem, X, Y, [params, params], 1.2, 30)
    worker = bench.NumpyWorker(problem, {})
    try:
        assert worker.run() > 0 and worker.run() > 0
        expected = bench.numpy_course_loop(X, Y, *(params[name] for name in ("W1", "b1", "W2", "b2")), 1.2, 30)[-1]
        assert worker.final_costs == [expected, expected]
    finally:
        worker.close()
    assert worker.proc.returncode == 0


def test_the_row_groups_follow_one_rule():
    bench = load_bench()
    every = (list(bench.WORKLOADS), list(bench.SWEEPS))
    assert bench.selected(None, None) == every  # no group flag: everything
    assert bench.selected(None, ["same_64"]) == ([], ["same_64"])  # names: only those, only that group
    assert bench.selected(None, []) == ([], every[1])  # a flag alone: all of its group
    assert bench.selected(["large"], []) == (["large"], every[1])


def test_the_skip_costs_benchmark_prints_its_table(monkeypatch, capsys):
    """benchmarks/bench_skip_costs.py --quick, on one small stack: both steps train, and fit's settings come back."""
    from shallownet import fit

    spec = importlib.util.spec_from_file_location("bench_skip_costs", BENCH.parent / "bench_skip_costs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "SHAPES", [("2 x n_h 3, float64", (3,), 2, 0, "float64")])
    monkeypatch.setattr("sys.argv", ["bench_skip_costs.py", "--quick"])
    settings = (fit.SKIP_COSTS_FROM, fit.SKIP_COSTS_NETWORKS)
    module.main()
    assert settings == (fit.SKIP_COSTS_FROM, fit.SKIP_COSTS_NETWORKS)
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 2 x n_h 3")]
    assert len(rows) == 1 and rows[0].startswith("| 2 x n_h 3, float64 | 500 |")
