"""The demo pipeline: walks an office's demo script (``demo.yaml``) through its SOP.

The script is data next to the office profile; this module only plays it,
checking at each action that the complaint waits at the step the script names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from .complaint import Complainant
from .config import Frozen, load_file
from .errors import ConfigError
from .services import Naskah, StepReport

DEMO_PASSPHRASE = "naskah-demo"  # demo keys only: never use for real certificates


class DemoComplaint(Frozen):
    received_by: str
    channel: str
    subject: str
    content: str
    complainant: dict[str, Any] = {}
    anonymous: bool = False
    lapor_id: str = ""
    choice: str | None = None  # answer to the intake step's decision, if it has one


class DemoAction(Frozen):
    step: str
    as_: str = Field(alias="as")
    do: Literal["act", "paraf", "sign", "return"]
    choice: str | None = None
    note: str = ""
    data: dict[str, Any] = {}

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, value: Any) -> Any:  # step ids are often plain numbers in YAML
        return str(value) if isinstance(value, int) else value


class DemoScript(Frozen):
    complaint: DemoComplaint
    actions: tuple[DemoAction, ...]


def load_script(office_source: Path) -> tuple[DemoComplaint, list[DemoAction]]:
    path = office_source.parent / "demo.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: no demo script for this office")
    script = load_file(DemoScript, path)
    return script.complaint, list(script.actions)


def run_demo(naskah: Naskah, office_name: str, say: Callable[[str], None]) -> tuple[str, list[str]]:
    """Play the script; returns (register, nomor of each letter signed with a TTE)."""
    office = naskah.office(office_name)
    sop = naskah.sop_of(office)
    if not naskah.has_keys(office.id):
        dest = naskah.create_demo_keys(office.id, DEMO_PASSPHRASE)
        say(f"demo PKI created in {dest} (root CA + one certificate per official)")
    intake, actions = load_script(office.source)  # type: ignore[arg-type]
    say(f"{office.short_name} — {sop.code} {sop.title} ({len(sop.steps)} steps)")
    started = time.perf_counter()
    complainant = Complainant(anonymous=intake.anonymous, **intake.complainant)
    report = naskah.register_complaint(
        office.id, received_by=intake.received_by, channel=intake.channel, complainant=complainant,
        subject=intake.subject, content=intake.content, lapor_id=intake.lapor_id, choice=intake.choice,
    )
    register = report.register
    say(format_report(sop.actors[report.step.actor].name, report))
    signed: list[str] = []
    passphrase = DEMO_PASSPHRASE.encode()
    for action in actions:
        waiting = naskah.view(register).waiting
        if waiting is None or waiting.id != action.step:
            raise ConfigError(f"demo script expects step {action.step}, but the complaint waits at "
                              f"{waiting.id if waiting else 'nothing (closed)'}")
        if action.do == "act":
            report = naskah.act(register, action.as_, data=action.data, choice=action.choice)
        elif action.do == "paraf":
            report = naskah.paraf(register, action.as_, passphrase)
        elif action.do == "sign":
            report = naskah.sign(register, action.as_, passphrase)
            signed.append(report.nomor)
        else:
            report = naskah.return_draft(register, action.as_, action.note)
        say(format_report(sop.actors[report.step.actor].name, report))
    state = "closed" if naskah.view(register).state.closed else "still open"
    filed = ", ".join(signed) or "no letter signed"
    say(f"complaint {register} {state} after {time.perf_counter() - started:.1f} s; signed and filed: {filed}")
    return register, signed


def format_report(actor: str, report: StepReport) -> str:
    what = ", ".join(report.documents) or "-"
    extra = f" — catatan: {report.note}" if report.note else ""
    nxt = f" → step {report.waiting.id}" if report.waiting else " → selesai"
    return (f"[step {report.step.id:>2}] {actor} ({report.official.name}): {report.action}; "
            f"{what}{extra} ({report.elapsed:.2f} s){nxt}")
