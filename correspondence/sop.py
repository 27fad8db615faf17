"""SOP as data: actors, steps, transitions, documents and their paraf/TTE routes.

``load_sop`` validates the structure (pydantic) and then the flow (``check_sop``):
unknown actors, unreachable steps, dead ends, cycles without exit, routes that do
not match the steps, durations without unit. The format is documented in
``docs/sop-format.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .config import Frozen, load_model, read_yaml
from .errors import ConfigError

END = "selesai"

Unit = Literal["menit", "jam", "hari", "hari_kerja"]
_UNITS = {"menit": "menit", "jam": "jam", "hari": "hari", "hari kerja": "hari_kerja", "hari_kerja": "hari_kerja"}
_DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z_ ]+?)\s*$")

Action = Literal["register", "document", "record", "draft", "paraf", "sign", "deliver"]

CHANNELS: dict[str, str] = {
    "kotak_pengaduan": "Kotak Pengaduan",
    "email": "Email",
    "lapor": "LAPOR!",
    "whatsapp": "WhatsApp / Call Center",
    "telepon": "Telepon",
    "sms": "SMS",
    "website": "Website",
    "datang_langsung": "Datang Langsung",
    "surat": "Surat",
    "formulir": "Formulir Pengaduan",
}


def known_channels(value: tuple[str, ...]) -> tuple[str, ...]:
    """``value`` if every channel in it is one Naskah knows (a validator's check)."""
    unknown = [c for c in value if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s) {unknown}; known: {', '.join(CHANNELS)}")
    return value


def _as_str(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Duration(Frozen):
    """A time limit with its unit: menit, jam (office hours), hari, hari_kerja."""

    value: float = Field(gt=0)
    unit: Unit

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            raise ValueError(
                f"duration {data} has no unit; write e.g. '{data} hari kerja' (units: menit, jam, hari, hari kerja)"
            )
        if isinstance(data, str):
            match = _DURATION.match(data.lower())
            if not match or match.group(2) not in _UNITS:
                raise ValueError(
                    f"'{data}' is not a duration; write a number and a unit: menit, jam, hari or hari kerja"
                )
            return {"value": float(match.group(1).replace(",", ".")), "unit": _UNITS[match.group(2)]}
        return data

    def __str__(self) -> str:
        value = int(self.value) if self.value == int(self.value) else self.value
        return f"{value} {self.unit.replace('_', ' ')}"


class Actor(Frozen):
    name: str
    description: str = ""
    external: bool = False  # outside the office (the complainant): no official fills it


class RouteEntry(Frozen):
    actor: str
    action: Literal["paraf", "tte"]


class DocumentSpec(Frozen):
    """An output document: its template and, for outgoing letters, its route."""

    title: str
    template: str
    kka: str = ""
    hal: str = ""
    numbered: bool = False
    signer: str = ""  # actor whose signature block the document carries (default: the step's actor)
    route: tuple[RouteEntry, ...] = ()

    @field_validator("kka", mode="before")
    @classmethod
    def _kka(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f'write the KKA in quotes, e.g. kka: "{value}" (unquoted, YAML reads it as a number and drops zeros)')
        return value


class Decision(Frozen):
    """A branch taken by the step's actor: each option leads to a step (or 'selesai')."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    question: str
    options: dict[str, str]

    @field_validator("options", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k).lower() if isinstance(k, bool) else str(k): _as_str(v) for k, v in value.items()}
        return value


class Step(Frozen):
    id: str
    name: str
    description: str = ""
    actor: str
    action: Action
    input: str = ""
    output: str = ""
    document: str | None = None
    time_limit: Duration | None = None
    next: str | None = None
    decision: Decision | None = None
    returns_to: str | None = None

    @field_validator("id", "next", "returns_to", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return _as_str(value)


class OverallLimit(Frozen):
    name: str
    limit: Duration
    channels: tuple[str, ...] = ()  # empty: every channel


class Sop(Frozen):
    schema_: Literal["naskah/sop/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    code: str = ""
    title: str
    office: str = ""
    channels: tuple[str, ...]
    actors: dict[str, Actor]
    documents: dict[str, DocumentSpec] = {}
    steps: tuple[Step, ...]
    limits: tuple[OverallLimit, ...] = ()
    obligations: tuple[str, ...] = ()
    source: Path | None = None

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return known_channels(value)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @property
    def first(self) -> Step:
        return self.steps[0]

    def successors(self, step: Step) -> list[str]:
        """Every step id (or END) the flow may go to from ``step``, returns included."""
        targets: list[str] = []
        if step.next is not None:
            targets.append(step.next)
        if step.decision is not None:
            targets.extend(step.decision.options.values())
        if step.returns_to is not None:
            targets.append(step.returns_to)
        return targets


@dataclass(frozen=True)
class Problem:
    """One fault of an SOP file, with where it is and how to fix it."""

    location: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


def check_sop(sop: Sop, *, roles: set[str] | None = None, template_exists=None) -> list[Problem]:
    """Every flow-level fault of ``sop``; empty when it is valid.

    ``roles``: the roles of the office that runs it (each actor must be filled);
    ``template_exists``: a predicate on template names, when templates can be checked.
    """
    problems: list[Problem] = []
    ids = [s.id for s in sop.steps]
    known = set(ids)
    for index, step in enumerate(sop.steps):
        where = f"steps[{index}] (id {step.id})"
        if ids.count(step.id) > 1:
            problems.append(Problem(where, f"step id '{step.id}' is used more than once", "give each step its own id"))
        if step.actor not in sop.actors:
            problems.append(
                Problem(f"{where}.actor", f"unknown actor '{step.actor}'", f"declare it under actors: {sorted(sop.actors)}")
            )
        elif sop.actors[step.actor].external:
            problems.append(
                Problem(f"{where}.actor", f"'{step.actor}' is outside the office and cannot do a step in Naskah",
                        "let the official who receives it record the step")
            )
        problems.extend(_check_document_ref(sop, step, where))
        if step.next is None and step.decision is None:
            problems.append(
                Problem(where, "dead end: the step has neither 'next' nor 'decision'", f"add 'next: {END}' if the flow ends here")
            )
        if step.next is not None and step.decision is not None:
            problems.append(Problem(where, "has both 'next' and 'decision'", "keep one: a decision lists every way on"))
        for key, target in _targets(step):
            if target != END and target not in known:
                problems.append(Problem(f"{where}.{key}", f"refers to missing step '{target}'", f"known steps: {', '.join(ids)}"))
        if step.returns_to is not None and step.action not in ("paraf", "sign"):
            problems.append(Problem(f"{where}.returns_to", "only paraf and sign steps can return a draft", ""))
    if problems:
        return problems
    problems.extend(_check_reachability(sop))
    problems.extend(_check_routes(sop))
    for name, doc in sop.documents.items():
        if template_exists is not None and not template_exists(doc.template):
            problems.append(Problem(f"documents.{name}.template", f"template '{doc.template}' not found", "put the .docx in letter_templates/ or the office folder"))
        if doc.signer and doc.signer not in sop.actors:
            problems.append(Problem(f"documents.{name}.signer", f"unknown actor '{doc.signer}'", f"one of: {sorted(sop.actors)}"))
        for i, entry in enumerate(doc.route):
            if entry.actor not in sop.actors:
                problems.append(Problem(f"documents.{name}.route[{i}]", f"unknown actor '{entry.actor}'", ""))
    for i, limit in enumerate(sop.limits):
        for channel in limit.channels:
            if channel not in sop.channels:
                problems.append(Problem(f"limits[{i}].channels", f"channel '{channel}' is not one of this SOP's channels", ""))
    if roles is not None:
        for actor, spec in sop.actors.items():
            if actor not in roles and not spec.external and actor != "pengadu":
                problems.append(
                    Problem(f"actors.{actor}", "no official of the office has this role", "add an official with this 'role' to office.yaml")
                )
    return problems


def _targets(step: Step) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if step.next is not None:
        found.append(("next", step.next))
    if step.decision is not None:
        found.extend((f"decision.options.{k}", v) for k, v in step.decision.options.items())
    if step.returns_to is not None:
        found.append(("returns_to", step.returns_to))
    return found


def _check_document_ref(sop: Sop, step: Step, where: str) -> list[Problem]:
    needs_doc = step.action in ("register", "document", "draft", "paraf", "sign")
    if step.document is None:
        if needs_doc and step.action != "register":
            return [Problem(f"{where}.document", f"a '{step.action}' step must name its document", f"one of: {sorted(sop.documents)}")]
        return []
    if step.document not in sop.documents:
        return [Problem(f"{where}.document", f"unknown document '{step.document}'", f"declare it under documents: {sorted(sop.documents)}")]
    return []


def _check_reachability(sop: Sop) -> list[Problem]:
    problems: list[Problem] = []
    by_id = {s.id: s for s in sop.steps}
    seen: set[str] = set()
    todo = [sop.first.id]
    while todo:
        current = todo.pop()
        if current in seen or current == END:
            continue
        seen.add(current)
        todo.extend(sop.successors(by_id[current]))
    for index, step in enumerate(sop.steps):
        if step.id not in seen:
            problems.append(Problem(f"steps[{index}] (id {step.id})", "unreachable: no step leads here", "link it from an earlier step's next or decision"))
    # A step from which the end cannot be reached is a cycle without exit.
    can_end: set[str] = set()
    changed = True
    while changed:
        changed = False
        for step in sop.steps:
            if step.id not in can_end and any(t == END or t in can_end for t in sop.successors(step)):
                can_end.add(step.id)
                changed = True
    trapped = [s for s in sop.steps if s.id in seen and s.id not in can_end]
    problems.extend(_trap_problems(sop, trapped))
    return problems


def _trap_problems(sop: Sop, trapped: list[Step]) -> list[Problem]:
    """Each closed loop (steps that only lead among themselves) once, and each step that leads only into one."""
    index = {s.id: i for i, s in enumerate(sop.steps)}
    ids = {s.id for s in trapped}
    nexts = {s.id: [t for t in sop.successors(s) if t in ids] for s in trapped}

    def reach(start: str) -> set[str]:
        found: set[str] = set()
        todo = list(nexts[start])
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(nexts[current])
        return found

    reachable = {s: reach(s) for s in ids}
    hint = f"give one step of the cycle a way to '{END}'"
    # a closed loop: every step it reaches reaches it back (a self-loop is the smallest)
    loops: list[list[str]] = []
    for step in trapped:
        own = reachable[step.id]
        if step.id in own and all(step.id in reachable[t] for t in own) and not any(step.id in loop for loop in loops):
            loops.append(sorted(own, key=index.get))
    problems: list[Problem] = []
    for loop in loops:
        first = loop[0]
        what = f"step {first} leads only back to itself" if len(loop) == 1 else f"steps {', '.join(loop)} lead only to each other"
        problems.append(Problem(f"steps[{index[first]}] (id {first})", f"cycle without exit: {what}, never to '{END}'", hint))
    for step in trapped:
        if not any(step.id in loop for loop in loops):
            into = " and ".join(loop[0] for loop in loops if reachable[step.id] & set(loop))
            problems.append(Problem(f"steps[{index[step.id]}] (id {step.id})",
                                    f"the flow can never end from here: every way leads into the cycle without exit at {into}", hint))
    return problems


def _check_routes(sop: Sop) -> list[Problem]:
    """The paraf/sign steps met on the approval path from a draft step must be the route."""
    problems: list[Problem] = []
    by_id = {s.id: s for s in sop.steps}
    for index, step in enumerate(sop.steps):
        if step.action != "draft" or step.document is None:
            continue
        doc = sop.documents[step.document]
        where = f"steps[{index}] (id {step.id})"
        if not doc.route:
            problems.append(Problem(f"documents.{step.document}.route", "a drafted document needs a route (paraf... then tte)", ""))
            continue
        if doc.route[-1].action != "tte" or any(e.action == "tte" for e in doc.route[:-1]):
            problems.append(Problem(f"documents.{step.document}.route", "the route must end with exactly one 'tte'", ""))
        walked: list[RouteEntry] = []
        on_path = {step.id}
        current = step.next
        while current not in (None, END) and current not in on_path:
            on_path.add(current)
            nxt = by_id[current]
            if nxt.action in ("paraf", "sign") and nxt.document == step.document:
                walked.append(RouteEntry(actor=nxt.actor, action="tte" if nxt.action == "sign" else "paraf"))
                for target in (nxt.returns_to,):
                    if target is not None and target not in on_path:
                        problems.append(Problem(f"steps (id {nxt.id}).returns_to", f"returns to step '{target}', which is not on the way from draft step '{step.id}'", "return to the draft step or an earlier approval step"))
            if nxt.action == "sign" and nxt.document == step.document:
                break
            current = nxt.next
        if tuple(walked) != doc.route:
            want = " -> ".join(f"{e.action} {e.actor}" for e in doc.route)
            got = " -> ".join(f"{e.action} {e.actor}" for e in walked) or "nothing"
            problems.append(Problem(where, f"the steps after this draft give the route {got}, but documents.{step.document}.route says {want}", "make the paraf/sign steps follow the route in order"))
    return problems


def load_sop(path: Path, *, roles: set[str] | None = None, template_exists=None) -> Sop:
    """Load and fully validate an SOP file; every fault is in the ConfigError."""
    sop = load_model(Sop, read_yaml(path), path).model_copy(update={"source": path})
    problems = check_sop(sop, roles=roles, template_exists=template_exists)
    if problems:
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems))
    return sop
