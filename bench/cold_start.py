"""Cold start: median import time of each handler module in a fresh process, divided by a bare
`import boto3` measured the same way in the same run. Goal: within 0.10 of the libraries-only floor
(boto3, pynamodb, pydantic, Powertools imported and nothing of ours), measured in the same run.

This is Lambda's init phase. A handler's domain loads with its first event (the API routers per
path, the other functions' entry adapters and bootstrap's factories), so init holds only the config
check and observability; first_response.py measures the whole cold start, init plus first event.

Handlers import from the layer as `sam build` makes it (layers/shared/Makefile, built here for
this machine's platform), with bytecode writes off as on Lambda's read-only /opt. One more
figure shows a handler without bytecode, as SAM's python3.12 builder used to ship the layer.

The ratio is taken over the importing process's CPU time: an import is CPU-bound, and on a
shared two-core machine wall time also counts the time another process held the core, which
swung single ratios by +-0.4 between runs. Wall time is reported beside it. Handler and baseline
alternate, so both see the same load."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import BenchResult, Figure
from local.provision import unprovisioned_stack
from local.sam_template import functions, load

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_COLD_START_RUNS", 9))
LAYER_BUILD = ROOT / "bench" / ".cache" / "layer"
WITHOUT_BYTECODE = "notice_sender"
# What a handler that touches DynamoDB through our models cannot avoid importing: the libraries alone.
LIBRARY_FLOOR = (
    "import boto3, pynamodb.models, pynamodb.attributes\n"
    "from pydantic import BaseModel, ConfigDict, Field\n"
    "from aws_lambda_powertools import Logger, Metrics\n"
)

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


def _seconds(body: str, env: dict[str, str], flags: tuple[str, ...] = ()) -> tuple[float, float]:
    """(wall, cpu) seconds of one import in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-X", "frozen_modules=on", *flags, "-c", PROBE.format(body=body)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def _paired_medians(body: str, env: dict[str, str], flags: tuple[str, ...] = ()) -> dict[str, float]:
    """Alternate the handler with the `import boto3` baseline, so both see the same machine load."""
    handler, baseline = [], []
    for _ in range(RUNS):
        baseline.append(_seconds("import boto3", env))
        handler.append(_seconds(body, env, flags))
    return {
        "wall": statistics.median(w for w, _ in handler),
        "cpu": statistics.median(c for _, c in handler),
        "baseline_wall": statistics.median(w for w, _ in baseline),
        "baseline_cpu": statistics.median(c for _, c in baseline),
    }


def _template_constants() -> dict[str, str]:
    """The literal environment the template gives every function (POWERTOOLS_*, PYDANTIC_*)."""
    variables = load()["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def _build_layer() -> Path:
    """The layer as `sam build` makes it, for this machine's platform; boto3 comes from the venv,
    as on Lambda it comes from the runtime."""
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "layers" / "shared"), "build-SharedLayer"],
        env={**os.environ, "ARTIFACTS_DIR": str(LAYER_BUILD), "PLATFORM": "", "PYTHON": sys.executable},
        check=True,
        capture_output=True,
    )
    return LAYER_BUILD / "python"


FLOOR_MARGIN = 0.10  # how far above the libraries-only floor a handler's import may be


def _figure(name: str, medians: dict[str, float], floor: float | None = None) -> Figure:
    """A handler's figure, judged against the floor's ratio (or the floor itself, with no goal)."""
    figure = Figure(
        name,
        medians["cpu"] * 1000,
        "ms CPU",
        baseline=medians["baseline_cpu"] * 1000,
        baseline_label="import boto3",
        goal="info" if floor is None else f"<= floor + {FLOOR_MARGIN:.2f} = {floor + FLOOR_MARGIN:.2f}x",
        note=f"wall {medians['wall'] * 1000:.0f} ms vs {medians['baseline_wall'] * 1000:.0f} ms",
    )
    if floor is not None:
        figure.ok = figure.ratio is not None and figure.ratio <= floor + FLOOR_MARGIN
    return figure


def main() -> None:
    env = {
        **os.environ,
        **_template_constants(),
        "PYTHONPATH": str(_build_layer()),
        "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's /opt is read-only
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "AWS_REGION": "ap-southeast-1",
    }
    result = BenchResult(
        "cold start (import time)",
        details={
            "runs_per_module": RUNS,
            "paired_baseline": True,
            "clock": "process CPU time",
            "layer": "built by layers/shared/Makefile, hash-checked bytecode",
            "explanation": (
                "Each handler is imported from the layer as `sam build` makes it, in a fresh process, "
                "alternating with a bare `import boto3`; the ratio is of process CPU time (wall time in the "
                "note), median of the runs. This is Lambda's init phase: the handler's config check and "
                "observability. Its domain loads with its first event (the API routers per path, the entry "
                "adapters and bootstrap's factories), so a handler may import less than the libraries-only "
                "row (boto3, pynamodb, pydantic, Powertools), the goal's floor. first_response.py measures "
                "the whole cold start (init plus the first event) of the APIs, the deadline monitor and "
                "email intake. The no-bytecode row is what every cold start cost when the layer shipped "
                "without bytecode."
            ),
        },
    )
    floor = _figure("libraries only: boto3 + pynamodb + pydantic + Powertools", _paired_medians(LIBRARY_FLOOR, env))
    floor.goal = "info: the floor, measured first; each handler's goal is this ratio + 0.10"
    # Each handler validates its own configuration at import: it gets its function's variables.
    stack = unprovisioned_stack()
    logical_id_of = {spec.code_dir.name: logical_id for logical_id, spec in functions().items()}
    environment_of = {folder: stack.function_environment(logical_id) for folder, logical_id in logical_id_of.items()}
    for handler in sorted((ROOT / "functions").glob("*/handler.py")):
        handler_env = {**env, **environment_of[handler.parent.name]}
        medians = _paired_medians(HANDLER.format(path=str(handler)), handler_env)
        result.figures.append(_figure(handler.parent.name, medians, floor=floor.ratio))
    result.figures.append(floor)
    with tempfile.TemporaryDirectory() as no_bytecode:
        # Every module compiled on import, as from a layer that ships no bytecode.
        handler = ROOT / "functions" / WITHOUT_BYTECODE / "handler.py"
        medians = _paired_medians(
            HANDLER.format(path=str(handler)),
            {**env, **environment_of[WITHOUT_BYTECODE]},
            ("-X", f"pycache_prefix={no_bytecode}"),
        )
        figure = _figure(f"{WITHOUT_BYTECODE}, layer without bytecode", medians)
        figure.goal = "info: no bytecode anywhere, boto3 included"
        result.figures.append(figure)
    result.emit()


if __name__ == "__main__":
    main()
