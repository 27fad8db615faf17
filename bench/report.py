"""RESULTS.md and results.json from the figures of one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .stats import Figure, spread

FORMATS = {"ms": "{:.2f}", "s/letter": "{:.3f}", "letters/s": "{:.2f}", "files/s": "{:.2f}", "MB": "{:.0f}"}


def _fmt(unit: str) -> str:
    return FORMATS.get(unit, "{:.3g}")


def _met(f: Figure) -> str:
    return "—" if f.met is None else ("**yes**" if f.met else "**NO**")


def table(figures: list[Figure]) -> str:
    rows = ["| Figure | Naskah (median) | Peer (median) | Ratio | Target | Met | Spread: Naskah; peer |",
            "|---|---|---|---|---|---|---|"]
    for f in figures:
        fmt = _fmt(f.unit)
        rows.append(
            f"| {f.group}: {f.name} | {fmt.format(f.naskah.median)} {f.unit} | {fmt.format(f.peer.median)} {f.unit} "
            f"({f.peer_name}) | {f.ratio_text} | {f.target} | {_met(f)} | "
            f"{spread(f.naskah, fmt)}; {spread(f.peer, fmt)} |")
    return "\n".join(rows)


def markdown(figures: list[Figure], meta: dict[str, Any], analysis: list[str]) -> str:
    head = [
        "# Naskah benchmarks",
        "",
        f"Written by `{meta['command']}` on {meta['finished']} ({meta['mode']} run, {meta['duration_s']:.0f} s). "
        "Every figure is measured side by side with its peer, in this run, on this machine; medians with the "
        "interquartile range and the range over the repetitions (n). Definitions of each peer: `bench/README.md` "
        "and the docstring of each `bench/*.py`.",
        "",
        f"Machine: {meta['cpus']} CPUs ({meta['cpu_model']}), {meta['memory_gb']:.0f} GB RAM; Python {meta['python']}, "
        f"LibreOffice {meta['libreoffice']}, SQLite {meta['sqlite']}, pyHanko {meta['pyhanko']}. "
        f"Load average (1/5/15 min) at the start {meta['load_start']}, at the end {meta['load_end']}; "
        f"highest 1-minute load seen between sections {meta['load_max']:.2f}. "
        "The machine was shared with other work: a load well above 2 on 2 cores inflates every time here, "
        "Naskah's and the peer's alike (they run interleaved).",
        "",
        table(figures),
        "",
    ]
    missed = [f for f in figures if f.met is False]
    body = ["## Notes", ""]
    for f in figures:
        if f.notes:
            body.append(f"- **{f.group}: {f.name}.** {f.notes}")
    body.append("")
    body.append("## Targets missed, and what would fix them")
    body.append("")
    if not missed:
        body.append("None.")
    else:
        body.append("Missed: " + "; ".join(f"{f.group}: {f.name} ({f.ratio_text}; target {f.target})" for f in missed) + ".")
        body.append("")
        body.extend(analysis)
    return "\n".join(head + body) + "\n"


def write(out_md: Path, out_json: Path, figures: list[Figure], meta: dict[str, Any], raw: dict[str, Any],
          analysis: list[str]) -> None:
    out_md.write_text(markdown(figures, meta, analysis), encoding="utf-8")
    out_json.write_text(json.dumps({"meta": meta, "figures": [f.to_dict() for f in figures], "raw": raw},
                                   indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def figures_of(data: dict[str, Any]) -> list[Figure]:
    """The figures of a results.json, as the run made them."""
    from .stats import Summary

    return [Figure(**{**f, "naskah": Summary(**f["naskah"]), "peer": Summary(**f["peer"])}) for f in data["figures"]]


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.report [results.json [RESULTS.md]]``: write the Markdown again from the
    JSON of a run (after a change to the texts), without measuring anything again."""
    import sys

    from . import analysis

    args = sys.argv[1:] if argv is None else argv
    src = Path(args[0]) if args else Path(__file__).with_name("results.json")
    dst = Path(args[1]) if len(args) > 1 else src.with_name("RESULTS.md" if src.name == "results.json" else "RESULTS-quick.md")
    data = json.loads(src.read_text(encoding="utf-8"))
    figures = figures_of(data)
    dst.write_text(markdown(figures, data["meta"], analysis.explain(figures, data["raw"])), encoding="utf-8")
    print(f"written {dst} from {src}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
