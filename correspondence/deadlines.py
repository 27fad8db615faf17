"""Due times: of the step each open complaint waits at, and of every overall limit.

A step's time runs from the moment the case entered it (the case event that moved it there) and
is due after the step's ``time_limit`` in its unit (``calendar.WorkingCalendar.due``). An overall
limit runs between two milestones of a complaint: the SOP's ``limits`` from receipt to closing,
the office profile's ``limits`` (e.g. the SP4N-LAPOR! rules) between the milestones they name.

``assess`` is pure (values in, values out); ``due_report`` and ``complaint_timing`` read the cases
through the service. Conventions: ``docs/calendar.md``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

from .calendar import WorkingCalendar
from .casestore import CaseEvent
from .complaint import Complaint
from .engine import CaseState
from .errors import ConfigError, InvalidInput
from .office import Office
from .sop import Duration, Sop

if TYPE_CHECKING:
    from .services import Naskah

RECEIVED, CLOSED = "diterima", "selesai"
# Case events that move a complaint from one step to another (the actions of the services).
MOVES = frozenset({"register", "document", "record", "draft", "deliver", "paraf", "sign", "return", "revise"})
DUE_SOON_SHARE = 0.25  # "due soon": less than a quarter of the allowed time is left

# Statuses of a running deadline, of a kept one, and of an information window.
ON_TIME, DUE_SOON, OVERDUE = "on_time", "due_soon", "overdue"
NOT_STARTED, MET, MET_LATE, SKIPPED = "not_started", "met", "met_late", "skipped"
RUNNING, ENDED, NO_LIMIT = "running", "ended", "no_limit"
FINISHED_ON_TIME, FINISHED_LATE, FINISHED = "finished_on_time", "finished_late", "finished"
_SEVERITY = {OVERDUE: 3, DUE_SOON: 2, ON_TIME: 1}


@dataclass(frozen=True)
class ComplaintTiming:
    """One complaint against its overall limit, for reports.

    Datetimes are aware, in the office's zone. ``finished``: when the case closed (its SOP's last
    step done). ``due``: the earliest due time of the limits that end when the case closes (None
    if it has none, or none has started). ``on_time``: True if finished by ``due``; False once
    overdue or finished late; None while open and not yet overdue, or without a due time.
    ``working_days_taken``: working days from receipt to finish by the hari kerja convention
    (the day of receipt not counted); None while open.
    """

    register: str
    received: datetime
    finished: datetime | None
    due: datetime | None
    on_time: bool | None
    working_days_taken: int | None


@dataclass(frozen=True)
class Visit:
    """A stay of the case at one step: entered, left (None while there) and the action that left it."""

    step: str
    entered: datetime
    left: datetime | None
    action: str = ""


@dataclass(frozen=True)
class Rule:
    """An overall limit as it applies to a complaint, from the SOP or the office profile."""

    name: str
    limit: Duration
    source: str  # "sop" or "office"
    start: str  # RECEIVED or a step id
    until: str | None  # CLOSED, a step id, or None: a window no one in the office closes


@dataclass(frozen=True)
class LimitTiming:
    rule: Rule
    started: datetime | None
    due: datetime | None
    met: datetime | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        r = self.rule
        return {"name": r.name, "limit": str(r.limit), "source": r.source, "from": r.start, "until": r.until,
                "start": _iso(self.started), "due": _iso(self.due), "met": _iso(self.met), "status": self.status}


@dataclass(frozen=True)
class OpenStep:
    """The step a complaint waits at, who must act and when it is due."""

    register: str
    office: str
    subject: str
    step: str
    step_name: str
    role: str
    officials: tuple[str, ...]  # ids of the officials holding the role
    revising: bool
    entered: datetime
    limit: Duration | None
    due: datetime | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"register": self.register, "office": self.office, "subject": self.subject, "step": self.step,
                "step_name": self.step_name, "role": self.role, "officials": list(self.officials),
                "revising": self.revising, "entered": _iso(self.entered),
                "limit": str(self.limit) if self.limit else None, "due": _iso(self.due), "status": self.status}


@dataclass(frozen=True)
class ComplaintDue:
    complaint: Complaint
    received: datetime
    finished: datetime | None
    waiting: OpenStep | None
    limits: tuple[LimitTiming, ...]
    status: str

    @property
    def timing_due(self) -> datetime | None:
        """The earliest due time among started limits that end when the case closes."""
        dues = [t.due for t in self.limits if t.rule.until == CLOSED and t.due is not None]
        return min(dues) if dues else None

    def to_dict(self) -> dict[str, Any]:
        c = self.complaint
        return {"register": c.register, "office": c.office, "sop": c.sop, "channel": c.channel, "lapor_id": c.lapor_id,
                "subject": c.subject, "received": _iso(self.received), "finished": _iso(self.finished),
                "status": self.status, "waiting": self.waiting.to_dict() if self.waiting else None,
                "limits": [t.to_dict() for t in self.limits]}


@dataclass(frozen=True)
class OfficialWork:
    official: str
    name: str
    jabatan: str
    office: str
    open: tuple[OpenStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"official": self.official, "name": self.name, "jabatan": self.jabatan, "office": self.office,
                "open": [s.to_dict() for s in self.open]}


@dataclass(frozen=True)
class DueReport:
    now: datetime
    officials: tuple[OfficialWork, ...]
    complaints: tuple[ComplaintDue, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(timespec="seconds"), "officials": [o.to_dict() for o in self.officials],
                "complaints": [c.to_dict() for c in self.complaints], "notes": list(self.notes)}

    def to_text(self) -> str:
        lines = [f"open work at {_show(self.now)}"]
        if not self.complaints:
            lines.append("  no open complaint")
        lines.append("per official:")
        for work in self.officials:
            lines.append(f"  {work.name} ({work.official}, {work.jabatan}, {work.office})")
            for s in work.open:
                due = f"due {_show(s.due)}  {s.status.upper()}" if s.due else "no step limit"
                lines.append(f"    {s.register}  step {s.step} {s.step_name}"
                             f"{' (perbaikan)' if s.revising else ''}  since {_show(s.entered)}  {due}")
        lines.append("per complaint:")
        for c in self.complaints:
            where = f"step {c.waiting.step} {c.waiting.step_name}" if c.waiting else f"selesai {_show(c.finished)}"
            lines.append(f"  {c.complaint.register}  {c.complaint.office}  {c.complaint.channel_label}  "
                         f"received {_show(c.received)}  {where}  {c.status.upper()}")
            for t in c.limits:
                span = f"{t.rule.start} -> {t.rule.until or '(window)'}"
                met = f", met {_show(t.met)}" if t.met else ""
                when = f"due {_show(t.due)}{met}  {t.status}" if t.due else t.status.replace("_", " ")
                lines.append(f"      {t.rule.limit} ({t.rule.source}: {t.rule.name}; {span}): {when}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# -- pure core ---------------------------------------------------------------------------------
def visits(history: Iterable[CaseEvent], received: datetime, current: str | None, cal: WorkingCalendar) -> list[Visit]:
    """The stays of a case at its steps, from its case events (oldest first)."""
    out: list[Visit] = []
    entered = cal.local(received)
    for event in history:
        if event.action not in MOVES:
            continue
        at = cal.local(datetime.fromisoformat(event.at))
        out.append(Visit(event.step, entered, at, event.action))
        entered = at
    if current is not None:
        out.append(Visit(current, entered, None))
    return out


def rules_for(complaint: Complaint, office: Office, sop: Sop) -> list[Rule]:
    """The overall limits that apply to ``complaint`` (by its channel), SOP's first."""
    steps = {s.id for s in sop.steps}
    found = [Rule(l.name, l.limit, "sop", RECEIVED, CLOSED) for l in sop.limits
             if not l.channels or complaint.channel in l.channels]
    for index, limit in enumerate(office.limits):
        for key, milestone in (("from", limit.from_), ("until", limit.until)):
            if milestone not in (RECEIVED, CLOSED, None) and milestone not in steps:
                raise ConfigError(f"{office.source or office.id}: key 'limits[{index}].{key}': '{milestone}' is neither "
                                  f"'{RECEIVED}', '{CLOSED}' nor a step of SOP '{sop.id}' (steps: {', '.join(sorted(steps))})")
        if limit.from_ == CLOSED and limit.until is not None:
            raise ConfigError(f"{office.source or office.id}: key 'limits[{index}]': a limit from '{CLOSED}' can only be a "
                              "window (until: null)")
        if not limit.channels or complaint.channel in limit.channels:
            found.append(Rule(limit.name, limit.limit, "office", limit.from_, limit.until))
    return found


def assess(complaint: Complaint, state: CaseState, history: Iterable[CaseEvent], office: Office, sop: Sop,
           cal: WorkingCalendar, now: datetime) -> ComplaintDue:
    """Where ``complaint`` stands against its step limit and overall limits at ``now``."""
    now = cal.local(now)
    received = cal.local(complaint.received_at)
    stays = visits(history, received, state.current, cal)
    finished = stays[-1].left if state.closed and stays else None

    def reached(milestone: str) -> datetime | None:
        if milestone == RECEIVED:
            return received
        if milestone == CLOSED:
            return finished
        return next((v.left for v in stays if v.step == milestone and v.left is not None and v.action != "return"), None)

    limits = tuple(_limit(rule, reached, state.closed, cal, now) for rule in rules_for(complaint, office, sop))
    waiting = _waiting(complaint, state, stays, office, sop, cal, now)
    return ComplaintDue(complaint, received, finished, waiting, limits, _overall(state, waiting, limits))


def timing(due: ComplaintDue, cal: WorkingCalendar, now: datetime) -> ComplaintTiming:
    deadline = due.timing_due
    if due.finished is not None:
        on_time = None if deadline is None else due.finished <= deadline
        taken: int | None = cal.working_days_taken(due.received, due.finished)
    else:
        on_time = False if deadline is not None and cal.local(now) > deadline else None
        taken = None
    return ComplaintTiming(due.complaint.register, due.received, due.finished, deadline, on_time, taken)


def _limit(rule: Rule, reached, closed: bool, cal: WorkingCalendar, now: datetime) -> LimitTiming:
    started = reached(rule.start)
    if started is None:
        return LimitTiming(rule, None, None, None, SKIPPED if closed else NOT_STARTED)
    due = cal.due(started, rule.limit)
    if rule.until is None:
        return LimitTiming(rule, started, due, None, RUNNING if now <= due else ENDED)
    met = reached(rule.until)
    if met is not None:
        return LimitTiming(rule, started, due, met, MET if met <= due else MET_LATE)
    if closed:
        return LimitTiming(rule, started, due, None, SKIPPED)
    return LimitTiming(rule, started, due, None, _running(started, due, now))


def _waiting(complaint: Complaint, state: CaseState, stays: list[Visit], office: Office, sop: Sop,
             cal: WorkingCalendar, now: datetime) -> OpenStep | None:
    if state.current is None:
        return None
    step = sop.step(state.current)
    entered = stays[-1].entered
    due = cal.due(entered, step.time_limit) if step.time_limit else None
    status = _running(entered, due, now) if due else NO_LIMIT
    return OpenStep(complaint.register, complaint.office, complaint.subject, step.id, step.name, step.actor,
                    tuple(o.id for o in office.holders(step.actor)), state.revising, entered, step.time_limit, due, status)


def _running(started: datetime, due: datetime, now: datetime) -> str:
    if now > due:
        return OVERDUE
    return DUE_SOON if due - now <= (due - started) * DUE_SOON_SHARE else ON_TIME


def _overall(state: CaseState, waiting: OpenStep | None, limits: tuple[LimitTiming, ...]) -> str:
    kept = [t.status for t in limits if t.rule.until is not None]
    if state.closed:
        if MET_LATE in kept:
            return FINISHED_LATE
        return FINISHED_ON_TIME if MET in kept else FINISHED
    running = [t for t in kept if t in _SEVERITY] + ([waiting.status] if waiting and waiting.status in _SEVERITY else [])
    return max(running, key=_SEVERITY.__getitem__, default=ON_TIME)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _show(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    zone = f" {moment.tzname()}" if moment.tzinfo is not None else ""
    return f"{moment:%Y-%m-%d %H:%M}{zone}"


# -- through the service -----------------------------------------------------------------------
Context = tuple[Office, Sop, WorkingCalendar]


def _assess(naskah: "Naskah", complaint: Complaint, state: CaseState, now: datetime,
            contexts: dict[tuple[str, str], Context]) -> tuple[ComplaintDue, WorkingCalendar]:
    key = (complaint.office, complaint.sop)
    office = naskah.office(complaint.office)
    if key not in contexts or contexts[key][0] is not office:  # the service reloaded the profile
        contexts[key] = (office, naskah.sop_of(office, complaint.sop), WorkingCalendar.for_office(office))
    office, sop, cal = contexts[key]
    return assess(complaint, state, naskah.cases.history(complaint.register), office, sop, cal, now), cal


# Office, SOP and calendar per service, loaded once like the service's own office cache.
_CONTEXTS: "weakref.WeakKeyDictionary[Naskah, dict[tuple[str, str], Context]]" = weakref.WeakKeyDictionary()


def complaint_timing(naskah: "Naskah", register: str) -> ComplaintTiming:
    """Received, finished, due and on-time of one complaint, at ``naskah.clock()``."""
    complaint, state = naskah.cases.get(register)
    now = naskah.clock()
    due, cal = _assess(naskah, complaint, state, now, _CONTEXTS.setdefault(naskah, {}))
    return timing(due, cal, now)


def due_report(naskah: "Naskah", *, office: str | None = None, official: str | None = None,
               now: datetime | None = None) -> DueReport:
    """Open and overdue work per official and per complaint; closed complaints only while an
    information window (e.g. LAPOR!'s closing of a report) still runs."""
    now = now or naskah.clock()
    office_id = naskah.office(office).id if office else None
    shown: list[ComplaintDue] = []
    years: dict[str, set[int]] = {}
    calendars: dict[str, WorkingCalendar] = {}
    contexts = _CONTEXTS.setdefault(naskah, {})
    for complaint, state in naskah.complaints():
        if office_id and complaint.office != office_id:
            continue
        due, cal = _assess(naskah, complaint, state, now, contexts)
        calendars[complaint.office] = cal
        if due.waiting is None and not any(t.status == RUNNING for t in due.limits):
            continue
        shown.append(due)
        years.setdefault(complaint.office, set()).update(
            {due.received.year, cal.local(now).year} | {t.due.year for t in due.limits if t.due})
    if official is not None:
        _check_official(naskah, official, office_id, set(calendars))
        shown = [c for c in shown if c.waiting and official in c.waiting.officials]
    work = _by_official(naskah, shown, official)
    shown.sort(key=lambda c: (-_SEVERITY.get(c.status, 0), _first_due(c) or c.received))
    notes = sorted({n for office_name, ys in years.items() for n in calendars[office_name].holiday_sources(sorted(ys))})
    return DueReport(now, tuple(work), tuple(shown), tuple(notes))


def _first_due(c: ComplaintDue) -> datetime | None:
    dues = [t.due for t in c.limits if t.due is not None and t.status in _SEVERITY]
    if c.waiting and c.waiting.due:
        dues.append(c.waiting.due)
    return min(dues) if dues else None


def _by_official(naskah: "Naskah", shown: list[ComplaintDue], only: str | None) -> list[OfficialWork]:
    steps: dict[tuple[str, str], list[OpenStep]] = {}
    for c in shown:
        if c.waiting is None:
            continue
        for official_id in c.waiting.officials or ("",):
            if only is None or official_id == only:
                steps.setdefault((c.complaint.office, official_id), []).append(c.waiting)
    out = []
    for (office_id, official_id), items in sorted(steps.items()):
        items.sort(key=lambda s: (-_SEVERITY.get(s.status, 0), s.due or s.entered))
        if official_id:
            o = naskah.office(office_id).official(official_id)
            out.append(OfficialWork(o.id, o.name, o.jabatan, office_id, tuple(items)))
        else:
            out.append(OfficialWork("", f"(no official with role {items[0].role})", "", office_id, tuple(items)))
    return out


def _check_official(naskah: "Naskah", official: str, office_id: str | None, offices: set[str]) -> None:
    candidates = {office_id} if office_id else offices
    if not candidates:  # no complaint in this home: nothing to check against, nothing to show
        return
    for name in candidates:
        if any(o.id == official for o in naskah.office(name).officials):
            return
    where = f"office '{office_id}'" if office_id else f"the offices of the complaints here ({', '.join(sorted(candidates))})"
    raise InvalidInput(f"no official '{official}' in {where} (see the officials: of the office profile)")
