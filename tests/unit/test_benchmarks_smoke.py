"""Every benchmark still runs, at the smoke-check sizes of ``benchmarks/run_all.py``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def _load_run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", BENCHMARKS / "run_all.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("run_all", module)
    spec.loader.exec_module(module)
    return module


run_all = _load_run_all()


@pytest.fixture(scope="module")
def smoke_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Each present benchmark run once in its smoke mode, all in parallel (about 5 s)."""
    running = {}
    for bench in run_all.BENCHMARKS:
        if not (BENCHMARKS / bench.script).exists():
            continue
        (command,) = run_all.commands(bench, full=False)
        running[bench.name] = (
            command,
            subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
    done = {}
    for name, (command, process) in running.items():
        stdout, stderr = process.communicate(timeout=120)
        done[name] = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return done


def _run(smoke_runs: dict[str, subprocess.CompletedProcess[str]], name: str) -> str:
    if name not in smoke_runs:
        pytest.skip(f"benchmarks/{name} is not there yet")
    result = smoke_runs[name]
    assert result.returncode == 0, f"{' '.join(result.args)} failed:\n{result.stderr[-2000:]}"
    return result.stdout


def test_every_benchmark_script_is_listed() -> None:
    """run_all.py and benchmarks/README.md know every bench_*.py, so none escapes the smoke run."""
    scripts = {path.name for path in BENCHMARKS.glob("bench_*.py")}
    assert scripts <= {bench.script for bench in run_all.BENCHMARKS}
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{bench.script}`" in readme for bench in run_all.BENCHMARKS)


@pytest.mark.slow
def test_parse_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_parse.py measures every wire format against its baseline and streams the report."""
    out = _run(smoke_runs, "parse")
    rows = [json.loads(line) for line in out.splitlines() if '"format"' in line]
    assert {row["format"] for row in rows} == {
        "mws",
        "spapi-v0",
        "spapi-2026",
        "notification",
        "report",
    }
    assert all(row["items_per_cpu_s"] > 0 and row["ratio"] > 0 for row in rows)
    assert '"rows": 2000' in out


@pytest.mark.slow
def test_pacing_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_pacing.py shows the paced client never refused, at the ideal clock time."""
    rows = [json.loads(line) for line in _run(smoke_runs, "pacing").splitlines()]
    paced = [row for row in rows if row["client"] == "amzcancel"]
    assert paced
    assert all(row["throttled_429"] == 0 for row in paced)
    assert all(abs(row["deviation_percent"]) < 2 for row in paced)


@pytest.mark.slow
def test_client_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_client.py measures the client and a bare httpx client, and reports their ratio."""
    out = _run(smoke_runs, "client")
    assert {"bare httpx", "AsyncSpApiClient", "+ parsing"} <= {
        line[:18].strip() for line in out.splitlines()
    }
    assert "ratio AsyncSpApiClient / bare httpx: " in out
    assert "'retries': 0" in out


@pytest.mark.slow
def test_sync_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_sync.py syncs both APIs against the served sandbox and finds every buyer request."""
    out = _run(smoke_runs, "sync")
    runs = [line.split() for line in out.splitlines() if line.startswith("spapi-")]
    assert {run[0] for run in runs} == {"spapi-v0", "spapi-2026"}
    assert all(run[-1] == "True" for run in runs)


@pytest.mark.slow
def test_store_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_store.py measures the four write paths and the events they append."""
    rows = [line.split() for line in _run(smoke_runs, "store").splitlines()[1:]]
    paths = {row[1]: row for row in rows if row[0] == "sqlite"}
    assert set(paths) == {"insert", "update-changed", "update-unchanged", "update-every-column"}
    assert paths["insert"][-1] == "100"  # half the new orders arrive requested
    assert paths["update-changed"][-1] == "100"  # the other half requested now
    assert paths["update-unchanged"][-1] == "0"
    assert paths["update-every-column"][-1] == "200"  # every request withdrawn


@pytest.mark.slow
def test_multipath_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_multipath.py completes a multi-path sync of a small backlog, and the after-v0
    comparison with notified ids finds every request both ways."""
    out = _run(smoke_runs, "multipath")
    later = [line for line in out.splitlines() if line.startswith("searchOrders ")]
    assert len(later) == 2
    assert all("found True" in line for line in later)


@pytest.mark.slow
def test_pending_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_pending.py runs both output forms over an empty and a full store, with their memory."""
    runs = [json.loads(line) for line in _run(smoke_runs, "pending").splitlines()]
    assert {(run["form"], run["requests"]) for run in runs} == {
        ("json", 0),
        ("json", 300),
        ("table", 0),
        ("table", 300),
    }
    assert all(run["peak_mib"] > 0 and run["seconds"] > 0 for run in runs)


def test_run_all_full_mode_uses_the_published_sizes() -> None:
    """--full runs each script with its defaults (the docs' figures), and pacing's 1000-call row."""
    full = {bench.name: run_all.commands(bench, full=True) for bench in run_all.BENCHMARKS}
    assert [command[2:] for command in full["pacing"]] == [
        [],
        ["--calls", "1000", "--concurrency", "16"],
    ]
    assert all(command[2:] == [] for command in full["sync"] + full["parse"] + full["client"])


@pytest.mark.slow
def test_latency_benchmark_runs(smoke_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """bench_latency.py measures every variant: full recall, no duplicate event, and push
    faster than polling."""
    rows = {
        row["variant"]: row for row in map(json.loads, _run(smoke_runs, "latency").split("\n")[:-1])
    }
    assert len(rows) == 5
    assert all(row["recall"] == 1.0 and row["duplicates"] == 0 for row in rows.values())
    push, polling = rows["push + polling"], rows["polling alone, every 60 s"]
    assert push["p95"] < polling["p50"]
