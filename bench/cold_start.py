"""Cold start: median import time of each handler module in a fresh process, divided by a bare
`import boto3` measured the same way in the same run. Goal: <= 1.5x.

The ratio is taken over the importing process's CPU time: an import is CPU-bound, and on a
shared two-core machine wall time also counts the time another process held the core, which
swung single ratios by +-0.4 between runs. Wall time is reported beside it. Handler and baseline
alternate, so both see the same load."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import BenchResult, Figure

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_COLD_START_RUNS", 9))

PROBE = """
import importlib.util, sys, time
start, start_cpu = time.perf_counter(), time.process_time()
{body}
print(time.perf_counter() - start, time.process_time() - start_cpu)
"""

HANDLER = """
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def _seconds(body: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one import in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-X", "frozen_modules=on", "-c", PROBE.format(body=body)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def _paired_medians(body: str, env: dict[str, str]) -> dict[str, float]:
    """Alternate the handler with the `import boto3` baseline, so both see the same machine load."""
    handler, baseline = [], []
    for _ in range(RUNS):
        baseline.append(_seconds("import boto3", env))
        handler.append(_seconds(body, env))
    return {
        "wall": statistics.median(w for w, _ in handler),
        "cpu": statistics.median(c for _, c in handler),
        "baseline_wall": statistics.median(w for w, _ in baseline),
        "baseline_cpu": statistics.median(c for _, c in baseline),
    }


def main() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "AWS_REGION": "ap-southeast-1",
        "POWERTOOLS_SERVICE_NAME": "privacydesk",
        "POWERTOOLS_METRICS_NAMESPACE": "PrivacyDesk",
    }
    result = BenchResult(
        "cold start (import time)",
        details={"runs_per_module": RUNS, "paired_baseline": True, "clock": "process CPU time"},
    )
    for handler in sorted((ROOT / "functions").glob("*/handler.py")):
        medians = _paired_medians(HANDLER.format(path=str(handler)), env)
        figure = Figure(
            f"{handler.parent.name}",
            medians["cpu"] * 1000,
            "ms CPU",
            baseline=medians["baseline_cpu"] * 1000,
            baseline_label="import boto3",
            goal="<= 1.5x",
            note=f"wall {medians['wall'] * 1000:.0f} ms vs {medians['baseline_wall'] * 1000:.0f} ms",
        )
        figure.ok = figure.ratio is not None and figure.ratio <= 1.5
        result.figures.append(figure)
    result.emit()


if __name__ == "__main__":
    main()
