"""The SOP engine: which step a complaint waits at, who may act, where it goes next.

Pure: it takes an SOP and a case state and returns a new state, or raises
NotAllowed. The services persist states and produce the documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .errors import NotAllowed
from .sop import END, Sop, Step


@dataclass(frozen=True)
class CaseState:
    """Where a complaint stands: the step it waits at (None once closed).

    ``revising`` is true when a draft was returned to ``current``: its actor must
    make a new version before the route starts again.
    """

    current: str | None
    revising: bool = False
    decisions: dict[str, str] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.current is None


class Engine:
    def __init__(self, sop: Sop) -> None:
        self.sop = sop

    def registered(self, choice: str | None = None) -> CaseState:
        """State after the first (intake) step has been done."""
        return self.complete(CaseState(current=self.sop.first.id), choice)

    def waiting(self, state: CaseState) -> Step:
        if state.current is None:
            raise NotAllowed("this complaint is closed; no step is waiting")
        return self.sop.step(state.current)

    def expect(self, state: CaseState, *, role: str, actions: tuple[str, ...]) -> Step:
        """The waiting step, if an official of ``role`` may do one of ``actions`` there."""
        step = self.waiting(state)
        wanted = "revise" if state.revising else step.action
        if wanted not in actions and not (state.revising and "revise" in actions):
            raise NotAllowed(
                f"the complaint waits at step {step.id} ({step.name}), which asks for '{wanted}', not {' or '.join(actions)}"
            )
        if step.actor != role:
            actor = self.sop.actors[step.actor].name
            raise NotAllowed(f"step {step.id} ({step.name}) is for {actor}; this official's role is '{role}'")
        return step

    def complete(self, state: CaseState, choice: str | None = None) -> CaseState:
        """The waiting step is done (approved, for a paraf or sign step)."""
        step = self.waiting(state)
        decisions = dict(state.decisions)
        if step.decision is not None:
            options = step.decision.options
            if choice is None or choice not in options:
                raise NotAllowed(
                    f"step {step.id} asks: {step.decision.question} Answer with one of: {', '.join(options)}"
                )
            decisions[step.decision.key] = choice
            target = options[choice]
        else:
            if choice is not None:
                raise NotAllowed(f"step {step.id} ({step.name}) has no decision to make")
            target = step.next
        return CaseState(current=None if target in (END, None) else target, decisions=decisions)

    def returned(self, state: CaseState) -> CaseState:
        """The paraf/sign step's official returns the draft (tidak setuju)."""
        step = self.waiting(state)
        if step.returns_to is None:
            raise NotAllowed(f"step {step.id} ({step.name}) cannot return a draft")
        return replace(state, current=step.returns_to, revising=True)

    def revised(self, state: CaseState) -> CaseState:
        """A new version was made at the step the draft was returned to: the route starts over."""
        step = self.waiting(state)
        if step.document is None:
            raise NotAllowed(f"step {step.id} has no document to revise")
        return replace(state, current=self.route_start(step.document).id, revising=False)

    def draft_step(self, document: str) -> Step:
        for step in self.sop.steps:
            if step.action == "draft" and step.document == document:
                return step
        raise NotAllowed(f"the SOP has no draft step for '{document}'")

    def route_start(self, document: str) -> Step:
        draft = self.draft_step(document)
        assert draft.next is not None  # check_sop guarantees the approval path
        return self.sop.step(draft.next)
