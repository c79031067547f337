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
@pytest.mark.filterwarnings("ignore:the machine was loaded")
def test_benchmark_quick_run_writes_all_fields(tmp_path, capsys):
    bench = load_bench()
    out = tmp_path / "results.json"
    bench.main(
        [
            "--quick",
            "--workloads",
            "course",
            "large",
            "--dtypes",
            "float32",
            "--sweeps",
            "same_64",
            "--commands",
            "course_table",
            "--gpu",
            "--out",
            str(out),
        ]
    )
    results = json.loads(out.read_text())

    assert results["quick"] is True
    assert {"cpu", "cores", "jax", "backend", "device"} <= results["machine"].keys()
    assert [workload["workload"] for workload in results["workloads"]] == ["course", "large"]
    for row in results["workloads"]:
        assert row["numpy_f64_s"] > 0 and row["numpy_tuned_f64_s"] > 0
        float32 = row["by_dtype"]["float32"]
        assert float32["autodiff_over_manual"] > 0
        for path in ("manual", "reference", "manual_every_cost", "per_step"):
            timing = float32["paths"][path]
            assert {"compile_s", "run_s", "us_per_iter", "speedup_vs_numpy", "speedup_vs_tuned_numpy"} <= timing.keys()
        assert float32["blocks_speedup"] > 0 and float32["cost_stride"] >= 1
    large = results["workloads"][1]["by_dtype"]["float32"]
    assert {
        "matmul_gflops_square",
        "matmul_gflops_workload",
        "elementwise_floor_s_per_iter",
        "floor_s_per_iter",
    } <= large.keys()
    assert "times_floor" in large["paths"]["manual"]
    assert "train" in results["workloads"][0]["by_dtype"]["float32"]
    roof = large["roofline"]
    assert roof["bound_s"] == max(roof["compute_bound_s"], roof["memory_bound_s"]) > 0
    assert roof["achieved_over_bound"] == pytest.approx(roof["achieved_s"] / roof["bound_s"])
    assert roof["gemm_gflops"] > 0 and roof["bandwidth_gbs"] > 0

    # Every contender has its spread, numpy included (it ran alternating with the others).
    course = results["workloads"][0]["by_dtype"]["float32"]
    for spread in (course["numpy"], course["numpy_tuned"], course["paths"]["manual"]["spread"]):
        assert spread["min"] <= spread["q1"] <= spread["median"] <= spread["q3"] <= spread["max"]
    for row in results["workloads"] + results["sweeps"] + results["commands"]:
        state = row["machine_state"]
        assert {"load_avg_before", "load_avg_after", "others_cpu_cores", "loaded", "loaded_because"} <= state.keys()
        assert state["loaded"] == bool(state["loaded_because"])

    (sweep,) = results["sweeps"]
    assert sweep["sweep"] == "same_64" and sweep["networks"] == 8
    for contender in ("numpy", "one_at_a_time", "all_at_once"):
        assert sweep[f"{contender}_s"] > 0 and sweep[f"{contender}_us_per_network_iter"] > 0
    assert sweep["all_at_once_vs_numpy"] == pytest.approx(sweep["numpy_s"] / sweep["all_at_once_s"])
    (command,) = results["commands"]
    assert command["command"] == "course_table" and command["argv"][:2] == ["shallownet", "sweep"]
    for contender in ("numpy_script", "cold", "warm"):
        assert command["times"][contender]["median"] > 0
    assert command["warm_vs_numpy"] == pytest.approx(command["numpy_script_s"] / command["warm_s"])
    assert {"compile_s", "train_s", "baseline_s"} <= command["warm_in_process_s"].keys()
    import jax

    if jax.default_backend() == "cpu":
        assert "no GPU" in results["gpu"]["skipped"]

    printed = capsys.readouterr().out
    assert "| course" in printed and "| large" in printed and "| same_64" in printed and "| roofline" in printed
    assert "| whole command" in printed and "| target (issue 11)" in printed
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


def test_the_machine_watch_marks_a_loaded_run(monkeypatch):
    """Should pass and should fail side by side: a quiet load average, then a busy one."""
    bench = load_bench()
    monkeypatch.setattr(bench, "load_avg", lambda: [0.05, 0.05, 0.05])
    monkeypatch.setattr(bench, "_busy_ticks", lambda: 0)
    quiet = bench.MachineWatch().stop()
    assert not quiet["loaded"] and quiet["loaded_because"] == []
    monkeypatch.setattr(bench, "load_avg", lambda: [2.5, 1.0, 0.5])
    busy = bench.MachineWatch().stop()
    assert busy["loaded"] and "1-min load average 2.50" in busy["loaded_because"][0]


def test_the_benchmark_judges_the_load_average_at_the_start_and_others_cpu_time_throughout(monkeypatch):
    # Once it runs, the load average counts the benchmark's own processes: a quiet start stays quiet.
    bench = load_bench()
    assert bench.assess([0.05, 0.5, 1.0], 0.02) == (False, [])
    loaded, because = bench.assess([0.9, 0.5, 1.0], 0.02)
    assert loaded and because == ["1-min load average 0.90 when the run started (> 0.3)"]
    loaded, because = bench.assess([0.05, 0.5, 1.0], 0.5)
    assert loaded and because == ["other processes used 0.50 cores (> 0.1)"]
    monkeypatch.setitem(bench.RUN, "start_load", [0.05, 0.05, 0.05])
    monkeypatch.setattr(bench, "load_avg", lambda: [1.7, 1.0, 0.5])  # the benchmark's own load
    monkeypatch.setattr(bench, "_busy_ticks", lambda: 0)
    assert not bench.MachineWatch().stop()["loaded"]


def test_repeats_alternate_between_contenders():
    bench = load_bench()
    order = []
    times = bench.alternate({name: (lambda name=name: order.append(name) or 1.0) for name in "abc"}, 3)
    assert order == list("abcabcabc")
    assert times["a"]["median"] == times["a"]["min"] == times["a"]["max"] == 1.0


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


def test_the_numpy_script_trains_what_the_sweep_trains(tmp_path, capsys):
    """The whole-command baseline is the course's loop over the same inits: its accuracies are the sweep's."""
    import numpy as np

    from shallownet import data, sweep

    bench = load_bench()
    spec = {"sizes": [2, 4], "seeds": None, "iterations": 300, "dtype": "float64"}
    X, Y = data.flower()
    problem = tmp_path / "p.npz"
    bench.save_problem(problem, X, Y.astype(np.float64), bench.sweep_networks(spec), 1.2, 300)
    bench.numpy_script(problem)
    printed = capsys.readouterr().out.splitlines()
    result = sweep.run(X, Y, baseline=False, **bench.sweep_kwargs(spec))
    assert printed == [
        f"n_h = {network.configuration.hidden_units}: {network.train_accuracy:.2f} %" for network in result.networks
    ]


def test_the_row_groups_follow_one_rule():
    bench = load_bench()
    every = (list(bench.WORKLOADS), list(bench.SWEEPS), list(bench.COMMANDS))
    assert bench.selected(None, None, None) == every  # no group flag: everything
    assert bench.selected(None, ["same_64"], None) == ([], ["same_64"], [])  # names: only those, only that group
    assert bench.selected(None, None, []) == ([], [], every[2])  # a flag alone: all of its group
    assert bench.selected(["large"], [], None) == (["large"], every[1], [])
