"""Flow diagrams of an SOP, to hold against the paper SOP: Mermaid text and a Graphviz SVG.

Solid arrows are the normal flow, labelled arrows the answers of a decision,
dashed red arrows the return of a draft ("tidak setuju").
"""

from __future__ import annotations

import shutil

from .errors import InvalidInput
from .sop import END, Sop, Step

_PALETTE = ["#dbeafe", "#dcfce7", "#fef9c3", "#fce7f3", "#ede9fe", "#ffedd5", "#e0f2fe", "#f1f5f9"]


def _label(sop: Sop, step: Step) -> str:
    limit = f" ({step.time_limit})" if step.time_limit else ""
    doc = f"\n[{sop.documents[step.document].title}]" if step.document else ""
    return f"{step.id}. {step.name}\n{sop.actors[step.actor].name}{limit}{doc}"


def _edges(step: Step) -> list[tuple[str, str, str]]:
    """(target, label, kind) with kind one of next, decision, return."""
    edges: list[tuple[str, str, str]] = []
    if step.next is not None:
        edges.append((step.next, "setuju" if step.returns_to else "", "next"))
    if step.decision is not None:
        edges.extend((target, option, "decision") for option, target in step.decision.options.items())
    if step.returns_to is not None:
        edges.append((step.returns_to, "tidak setuju", "return"))
    return edges


def _node(step_id: str) -> str:
    return "selesai" if step_id == END else "s_" + "".join(c if c.isalnum() else "_" for c in step_id)


def mermaid(sop: Sop) -> str:
    """A Mermaid flowchart (``graph TD``) of the SOP."""
    lines = ["graph TD", "  mulai((Mulai))", f"  mulai --> {_node(sop.first.id)}"]
    for step in sop.steps:
        text = _label(sop, step).replace('"', "'").replace("\n", "<br/>")
        shape = ('{"', '"}') if step.decision else ('["', '"]')
        lines.append(f"  {_node(step.id)}{shape[0]}{text}{shape[1]}")
    lines.append("  selesai((Selesai))")
    for step in sop.steps:
        for target, label, kind in _edges(step):
            arrow = "-.->" if kind == "return" else "-->"
            lines.append(f"  {_node(step.id)} {arrow}{f'|{label}|' if label else ''} {_node(target)}")
    return "\n".join(lines) + "\n"


def dot(sop: Sop) -> str:
    """The same flow in Graphviz DOT, steps coloured by actor."""
    colours = {actor: _PALETTE[i % len(_PALETTE)] for i, actor in enumerate(sop.actors)}

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    out = [
        "digraph sop {",
        f"  label={q(f'{sop.code} — {sop.title}'.strip(' —'))}; labelloc=t; fontname=Helvetica;",
        '  node [fontname=Helvetica, fontsize=10, style="rounded,filled", shape=box];',
        "  edge [fontname=Helvetica, fontsize=9];",
        '  mulai [label="Mulai", shape=circle, fillcolor="#ffffff"];',
        '  selesai [label="Selesai", shape=doublecircle, fillcolor="#ffffff"];',
        f"  mulai -> {_node(sop.first.id)};",
    ]
    for step in sop.steps:
        shape = ", shape=diamond" if step.decision else ""
        out.append(f"  {_node(step.id)} [label={q(_label(sop, step))}, fillcolor={q(colours[step.actor])}{shape}];")
    for step in sop.steps:
        for target, label, kind in _edges(step):
            style = ', style=dashed, color="#b91c1c", fontcolor="#b91c1c", constraint=false' if kind == "return" else ""
            out.append(f"  {_node(step.id)} -> {_node(target)} [label={q(label)}{style}];")
    legend = "\\l".join(f"{sop.actors[a].name}" for a in sop.actors) + "\\l"
    out.append(f'  legenda [shape=note, style=filled, fillcolor="#ffffff", label="Pelaksana:\\l{legend}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def svg(sop: Sop) -> bytes:
    """The diagram as SVG, drawn by Graphviz's ``dot``."""
    if shutil.which("dot") is None:
        raise InvalidInput("Graphviz is not installed: apt-get install graphviz (or run 'make demo')")
    import graphviz

    return graphviz.Source(dot(sop)).pipe(format="svg")
