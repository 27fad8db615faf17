"""The signing route of a letter: zero or more paraf (initials) and exactly one TTE.

Pure module (stdlib only). Step indices are **0-based positions in** ``Route.steps``
everywhere in the signatures package: with two parafs, step 0 is ``Paraf_1_<id>``, step 1
is ``Paraf_2_<id>`` and step 2 is ``TTE_<id>``. The number inside a paraf field name is
1-based (``Paraf_<index + 1>_<official_id>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from .errors import OutOfOrder

StepKind = Literal["paraf", "tte"]

# Field names become PDF form field names: no dots (pyHanko reads '.' as a hierarchy
# separator), no spaces.
_OFFICIAL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_PARAF_RE = re.compile(r"^Paraf_([1-9][0-9]*)_([A-Za-z0-9][A-Za-z0-9_-]*)$")
_TTE_RE = re.compile(r"^TTE_([A-Za-z0-9][A-Za-z0-9_-]*)$")


def nip_digits(nip: str) -> str:
    """The NIP with spaces and punctuation removed ("19700101 199503 1 001" -> digits)."""
    return "".join(ch for ch in nip if ch.isdigit())


@dataclass(frozen=True)
class Signatory:
    official_id: str
    name: str
    nip: str
    jabatan: str
    pangkat: str = ""

    def __post_init__(self) -> None:
        if not _OFFICIAL_ID_RE.match(self.official_id or ""):
            raise ValueError(
                f"official_id {self.official_id!r} may contain only letters, digits, '_' and '-'"
            )
        if not self.name.strip():
            raise ValueError(f"signatory {self.official_id}: name is empty")

    @property
    def nip_digits(self) -> str:
        return nip_digits(self.nip)


@dataclass(frozen=True)
class RouteStep:
    kind: StepKind
    signatory: Signatory

    def __post_init__(self) -> None:
        if self.kind not in ("paraf", "tte"):
            raise ValueError(f"route step kind must be 'paraf' or 'tte', not {self.kind!r}")


class ParsedField(NamedTuple):
    kind: StepKind
    index: int | None
    """0-based step index for a paraf; None for the TTE (its index is the number of parafs)."""
    official_id: str


def parse_field_name(name: str) -> ParsedField | None:
    """Read a Naskah signature field name; None if it is not one."""
    m = _PARAF_RE.match(name)
    if m:
        return ParsedField("paraf", int(m.group(1)) - 1, m.group(2))
    m = _TTE_RE.match(name)
    if m:
        return ParsedField("tte", None, m.group(1))
    return None


@dataclass(frozen=True)
class Route:
    steps: tuple[RouteStep, ...]

    def __post_init__(self) -> None:
        steps = tuple(self.steps)
        object.__setattr__(self, "steps", steps)
        if not steps:
            raise ValueError("a route needs at least one step (the TTE)")
        if steps[-1].kind != "tte":
            raise ValueError("the last step of a route must be the TTE")
        if any(s.kind != "paraf" for s in steps[:-1]):
            raise ValueError("a route has exactly one TTE, as its last step")
        seen: set[str] = set()
        for s in steps:
            oid = s.signatory.official_id
            if oid in seen:
                raise ValueError(f"official {oid} appears twice in the route")
            seen.add(oid)

    @classmethod
    def of(cls, *paraf: Signatory, tte: Signatory) -> Route:
        """Route(paraf..., tte) built from signatories."""
        return cls(tuple(RouteStep("paraf", p) for p in paraf) + (RouteStep("tte", tte),))

    @property
    def parafs(self) -> tuple[RouteStep, ...]:
        return self.steps[:-1]

    @property
    def tte(self) -> RouteStep:
        return self.steps[-1]

    @property
    def tte_index(self) -> int:
        return len(self.steps) - 1

    def field_name(self, index: int) -> str:
        """Field name of step ``index`` (0-based)."""
        if not 0 <= index < len(self.steps):
            raise IndexError(f"route has {len(self.steps)} steps, no step {index}")
        step = self.steps[index]
        oid = step.signatory.official_id
        if step.kind == "paraf":
            return f"Paraf_{index + 1}_{oid}"
        return f"TTE_{oid}"

    def field_names(self) -> list[str]:
        return [self.field_name(i) for i in range(len(self.steps))]

    def index_of_field(self, name: str) -> int | None:
        try:
            return self.field_names().index(name)
        except ValueError:
            return None

    def next_index(self, signed_field_names: Iterable[str]) -> int | None:
        """Index of the first unsigned step (None when every step is signed).

        Raises OutOfOrder if a later step is signed while an earlier one is not.
        Names that are not route fields are ignored.
        """
        signed = set(signed_field_names)
        names = self.field_names()
        first_unsigned: int | None = None
        for i, name in enumerate(names):
            if name in signed:
                if first_unsigned is not None:
                    raise OutOfOrder(
                        f"{name} is signed although {names[first_unsigned]} "
                        "(an earlier step) is not"
                    )
            elif first_unsigned is None:
                first_unsigned = i
        return first_unsigned
