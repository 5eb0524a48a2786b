#!/usr/bin/env python3
"""Draws the figures of a Guichet benchmark run (results.json) as SVG files beside it.

Usage: bench-plot.py RESULTS_DIR
Every figure of results.json["figures"] becomes RESULTS_DIR/<id>.svg; the log-log slope of each
size curve is shown in its legend. Also draws policy.svg (decision latency per profile)."""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(folder: Path) -> None:
    results = json.loads((folder / "results.json").read_text())
    drawn = 0
    for fig in results.get("figures", []):
        series = [s for s in fig["series"] if s["points"]]
        if not series:
            continue
        f, ax = plt.subplots(figsize=(7, 4.2))
        for s in series:
            xs = [p[0] for p in s["points"]]
            ys = [p[1] for p in s["points"]]
            label = s["label"]
            if s.get("slope") is not None:
                label += f" (slope {s['slope']:.2f})"
            ax.plot(xs, ys, marker="o", label=label)
        if fig["logX"]:
            ax.set_xscale("log")
        if fig["logY"]:
            ax.set_yscale("log")
        ax.set_title(fig["title"], fontsize=10)
        ax.set_xlabel(fig["xLabel"])
        ax.set_ylabel(fig["yLabel"])
        if fig["expected"] != "none":
            ax.text(0.01, 0.01, f"expected: {fig['expected']}", transform=ax.transAxes, fontsize=8, color="grey")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        f.tight_layout()
        f.savefig(folder / f"{fig['id']}.svg")
        plt.close(f)
        drawn += 1
    policy = results.get("policy") or []
    if policy:
        f, ax = plt.subplots(figsize=(9, 4.2))
        names = [f'{p["profile"]}\n{p.get("mix", "random")}' for p in policy]
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], [p["medianNanos"] / 1000 for p in policy], width=0.4, label="median")
        ax.bar([x + 0.2 for x in xs], [p["p99Nanos"] / 1000 for p in policy], width=0.4, label="p99")
        ax.axhline(1, color="red", linestyle="--", linewidth=1, label="target (realistic mix): median < 1 µs")
        ax.axhline(5, color="orange", linestyle=":", linewidth=1, label="target (realistic mix): p99 < 5 µs")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names)
        ax.set_ylabel("µs per decision")
        ax.set_title("Policy decision latency per profile", fontsize=10)
        ax.legend(fontsize=8)
        f.tight_layout()
        f.savefig(folder / "policy.svg")
        plt.close(f)
        drawn += 1
    print(f"bench-plot: {drawn} figures in {folder}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench-plot.py RESULTS_DIR")
    main(Path(sys.argv[1]))
