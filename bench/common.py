"""What every benchmark shares: the result line `run_all.py` collects, and a small table printer.

Each figure is a ratio against a baseline measured in the same run (these machines are noisy),
plus counts that do not depend on the machine.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_PREFIX = "BENCH_RESULT "


@dataclass
class Figure:
    metric: str
    value: float
    unit: str = ""
    baseline: float | None = None
    baseline_label: str = ""
    goal: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


@dataclass
class BenchResult:
    name: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def emit(self) -> None:
        width = max((len(f.metric) for f in self.figures), default=10)
        print(f"\n== {self.name}")
        for f in self.figures:
            ratio = f"  ratio {f.ratio:.3f} vs {f.baseline_label}" if f.ratio is not None else ""
            verdict = "" if f.ok is None else ("  OK" if f.ok else "  MISSED")
            print(f"  {f.metric:<{width}}  {f.value:,.3f} {f.unit}{ratio}  goal {f.goal or '-'}{verdict}")
        payload = {
            "name": self.name,
            "figures": [{**asdict(f), "ratio": f.ratio} for f in self.figures],
            "details": self.details,
        }
        print(RESULT_PREFIX + json.dumps(payload, default=str))
        sys.stdout.flush()
