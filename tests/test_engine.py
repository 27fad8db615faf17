"""The SOP engine: who may act, branches, returns and the route restart."""

import pytest

from correspondence.catalog import SHIPPED_SOPS
from correspondence.engine import CaseState, Engine
from correspondence.errors import NotAllowed
from correspondence.sop import load_sop


@pytest.fixture(scope="module")
def engine():
    return Engine(load_sop(SHIPPED_SOPS / "pangkalpinang.yaml"))


def test_registration_leads_to_telaah(engine):
    assert engine.registered().current == "2"


def test_decision_needs_an_answer_and_branches(engine):
    at4 = CaseState(current="4")
    with pytest.raises(NotAllowed, match="ya, tidak"):
        engine.complete(at4)
    assert engine.complete(at4, "ya").current == "5"
    without_field = engine.complete(at4, "tidak")
    assert without_field.current == "8" and without_field.decisions == {"observasi_lapangan": "tidak"}


def test_only_the_steps_actor_may_act(engine):
    with pytest.raises(NotAllowed, match="Kabid Wasdal"):
        engine.expect(CaseState(current="9"), role="sekretaris", actions=("paraf",))
    with pytest.raises(NotAllowed, match="asks for 'paraf'"):
        engine.expect(CaseState(current="9"), role="kabid_wasdal", actions=("sign",))


def test_return_then_revision_restarts_the_route(engine):
    returned = engine.returned(CaseState(current="11"))
    assert returned == CaseState(current="10", revising=True)
    step = engine.expect(returned, role="sekretaris", actions=("revise",))
    assert step.id == "10"
    assert engine.revised(returned) == CaseState(current="9")


def test_closed_case_accepts_nothing(engine):
    done = engine.complete(CaseState(current="12"))
    assert done.closed
    with pytest.raises(NotAllowed, match="closed"):
        engine.waiting(done)
