"""`naskah archive verify` re-validates signed letters in several processes: the same report as one."""

from __future__ import annotations

import shutil
from functools import partial

import pytest

from archive import fixity
from correspondence.services import Naskah, verifier
from signatures.pki import create_demo_pki
from signatures.route import Signatory
from clitools import demo_home, run_naskah as cli  # tests/clitools.py


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return demo_home(tmp_path_factory, "fixity-parallel-home")


def both_ways(home, monkeypatch) -> tuple[fixity.FixityReport, fixity.FixityReport]:
    monkeypatch.setattr(fixity, "PARALLEL_FROM", 1)  # the demo has one signed letter: use the pool anyway
    with Naskah(home) as service:
        refs = service.cases.blob_references()
        serial = fixity.check(service.archive, references=refs, verify=service.verify)
        ticks: list[int] = []
        parallel = fixity.check(service.archive, references=refs, verifier=partial(verifier, home), jobs=2,
                                progress=lambda what, n: ticks.append(n))
        assert sum(ticks) == fixity.total_steps(*fixity.plan(service.archive, refs))  # the progress bar fills up
    return serial, parallel


def test_parallel_report_equals_serial_on_an_intact_archive(pristine, monkeypatch):
    serial, parallel = both_ways(pristine[0], monkeypatch)
    assert serial.ok and parallel.ok
    assert parallel.to_dict() == serial.to_dict() and parallel.signatures_checked == 1


def test_parallel_finds_the_same_bad_signature(pristine, monkeypatch, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(pristine[0], home)
    # another CA in the office's place: the filed letter's signatures no longer chain to the trusted root
    other = create_demo_pki(tmp_path / "other", organisation="Kantor Lain",
                            signatories=[Signatory("x", "X", "197601232005011006", "Kepala")], passphrase="p")
    shutil.copyfile(other.ca_cert_path, home / "keys" / "pangkalpinang" / "ca.pem")
    serial, parallel = both_ways(home, monkeypatch)
    assert not serial.ok and [p.kind for p in serial.problems] == ["signature"]
    assert parallel.to_dict() == serial.to_dict()


def test_cli_archive_verify_still_reports_in_order(pristine):
    result = cli(pristine[0], "archive", "verify")
    assert result.returncode == 0 and "1 signed letters re-validated" in result.stdout
