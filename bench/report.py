"""The benchmark report as a markdown table."""

from __future__ import annotations

from typing import Any


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Benchmarks ({report['mode']}, {report['machine']['cpus']} CPUs, Python {report['machine']['python']})",
        "",
        "| case | backend | ledger | baseline | ratio median (min-max) | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for figure in report["figures"]:
        lines.append(_row(figure))
    for name, value in report["extras"].items():
        lines.append(f"\n{name}: {_extra(value)}")
    return "\n".join(lines)


def _row(figure: dict[str, Any]) -> str:
    ledger = _mean(figure["ledger"])
    baseline = _mean(figure["baseline"])
    ratio = (
        "n/a"
        if figure["median"] is None
        else f"{figure['median']:.2f} ({figure['min']:.2f}-{figure['max']:.2f})"
    )
    comparison = ">=" if figure["higher_is_better"] else "<="
    target = "" if figure["target"] is None else f"{comparison} {figure['target']}"
    met = {True: "yes", False: "NO", None: ""}[figure["met"]]
    note = f" {figure['note']}" if figure["note"] else ""
    return (
        f"| {figure['case']}{note} | {figure['backend']} | {ledger:,.1f} {figure['unit']} | "
        f"{baseline:,.1f} | {ratio} | {target} | {met} |"
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _extra(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items()
        )
    return str(value)
