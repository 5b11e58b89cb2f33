"""A Markdown table of a launch's results: `python -m gan_ddp.table OUTCOME.json ...` (the launcher's stdout), one
row per strategy and world size; for the README and for checking by eye before the report does it properly."""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any


def verdicts(cell: dict[str, Any]) -> str:
    eq = cell.get("equivalence")
    if not eq:
        return ""
    probe = eq.get("sgdProbe") or {}
    described = []
    for name, n in eq["networks"].items():
        if n["verdict"] != "equal":
            described.append(f"{name} {n['verdict']} ({eq['optimizer']}: {n['vsWorld1']:.1e})")
        elif name in probe and probe[name]["verdict"] != "equal":
            described.append(f"{name} equal, SGD probe {probe[name]['verdict']} ({probe[name]['vsWorld1']:.1e})")
    return ", ".join(described) or "equal"


def rows(outcome: dict[str, Any]) -> list[str]:
    out = []
    for strategy, cells in outcome["results"].items():
        cell = cells[0]
        world = cell["world_size"]
        if cell["status"] != "ok":
            out.append(f"| {strategy} | {world} | raised | | | | | {cell['error']['type']}: "
                       f"{cell['error']['message'].splitlines()[0][:90]} |")
            continue
        t = cell["timing"]
        steady = t["steady"]
        by = steady["allreduce_by_network"]
        if set(by) == {"flat"}:
            size = 4 if steady["allreduce_sizes"] and steady["allreduce_bytes"] == 4 * sum(steady["allreduce_sizes"]) else 8
            split = " + ".join(f"1x{n * size:,}" for n in steady["allreduce_sizes"])
        else:
            split = " + ".join(f"{k} {v['calls']}x{v['bytes'] // max(v['calls'], 1):,}" for k, v in sorted(by.items()))
        comm = statistics.median(s["comm_ms_max"] for s in t["samples"])
        out.append(f"| {strategy} | {world} | ok | {steady['allreduce_calls']} | {steady['allreduce_bytes']:,}"
                   f"{' (' + split + ')' if split else ''} | {statistics.median(t['step_ms']):.2f} | {comm:.2f} | "
                   f"{verdicts(cell)} |")
    return out


def main() -> int:
    print("| strategy | world size | status | all-reduce calls / step | bytes / step (per network: calls x bytes) | "
          "median ms / step (slowest rank) | median ms in all-reduce (slowest rank) | vs world size 1 |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for path in sys.argv[1:]:
        with open(path) as f:
            for row in rows(json.load(f)):
                print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
