"""Signing: Naskah's time per signature against pyHanko's ``signers.sign_pdf`` called directly.

One bench letter is converted and prepared once (route fields: 3 paraf + TTE). Each repetition
signs the whole route with Naskah (``sign_paraf`` x3, ``sign_tte``: each call ends with Naskah's
validation gate, which re-reads the output and checks every signature and the changes after it),
and then, on the *same input PDF of each step* (the file Naskah was given at that step), makes the
same signature with ``pyhanko.sign.signers.sign_pdf(IncrementalPdfFileWriter(...),
PdfSignatureMetadata(field_name=..., subfilter=PADES, md_algorithm="sha256"), signer=...)`` in the
same process, with pyHanko's ``SimpleSigner.load_pkcs12`` of the same .p12 loaded once (not per
call). The direct call does no gate and, for the TTE, fills no nomor/tanggal and draws pyHanko's
default stamp instead of Naskah's.

Both keys are RSA-2048 (the demo PKI's signatories). The figure is the mean time per signature
over the route's four signatures, one value per repetition.
"""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from pathlib import Path

from . import letters
from .stats import Figure, Summary


def run(home: Path, scratch: Path, *, repeats: int, say=print) -> tuple[list[Figure], dict]:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    from correspondence.converter import Converter
    from signatures import signing
    from signatures.keys import Pkcs12KeySource

    bench = letters.open_home(home)
    with Converter(scratch / "signing-run") as conv:
        prepared = signing.prepare(conv.convert(letters.letter_docx(bench, 900)), bench.route, bench.settings)
    keys = {oid: Pkcs12KeySource(path, letters.PASSPHRASE) for oid, path in bench.keys.items()}
    direct_keys = {oid: signers.SimpleSigner.load_pkcs12(str(path), passphrase=letters.PASSPHRASE.encode())
                   for oid, path in bench.keys.items()}
    assert all(k.certificate.public_key.bit_size == 2048 for k in keys.values())
    names = [bench.route.field_name(i) for i in range(len(bench.route.steps))]
    labels = [f"paraf {i + 1}" for i in range(len(names) - 1)] + ["TTE"]

    base = datetime.now().astimezone()

    def naskah_route(r: int) -> tuple[list[bytes], list[float]]:
        # a signing time of its own per repetition: no repetition's signatures are byte for byte those of
        # another, so none is spared a check the gate remembers (signing.validation_gate)
        when = base + timedelta(minutes=r)
        inputs, times, pdf = [], [], prepared
        for index, (kind, oid) in enumerate(letters.ROUTE_ROLES):
            inputs.append(pdf)
            started = time.perf_counter()
            if kind == "paraf":
                pdf = signing.sign_paraf(pdf, bench.route, index, keys[oid], bench.settings, when=when)
            else:
                pdf = signing.sign_tte(pdf, bench.route, keys[oid], bench.settings, nomor=f"{letters.KKA}/0001/X/2026",
                                       tanggal="Pangkalpinang, 2 Maret 2026", verification_ref="bench-signing",
                                       when=when)
            times.append(time.perf_counter() - started)
        return inputs, times

    def direct(inputs: list[bytes]) -> list[float]:
        times = []
        for index, (kind, oid) in enumerate(letters.ROUTE_ROLES):
            meta = signers.PdfSignatureMetadata(field_name=names[index], subfilter=SigSeedSubFilter.PADES,
                                                md_algorithm="sha256")
            started = time.perf_counter()
            out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(inputs[index])), meta,
                                   signer=direct_keys[oid])
            times.append(time.perf_counter() - started)
            assert out.getbuffer().nbytes > len(inputs[index])
        return times

    inputs, _ = naskah_route(-1)  # warm both paths (fonts, imports, caches)
    direct(inputs)
    naskah_t: list[list[float]] = []
    direct_t: list[list[float]] = []
    for r in range(repeats):
        inputs, t = naskah_route(r)
        naskah_t.append(t)
        direct_t.append(direct(inputs))
    say(f"  {repeats} repetitions of a 4-signature route")

    per_sig = Summary.of([sum(t) / len(t) for t in naskah_t]).scaled(1000)
    per_sig_direct = Summary.of([sum(t) / len(t) for t in direct_t]).scaled(1000)
    ratio = per_sig.median / per_sig_direct.median
    figs = [Figure(
        "Signing", "time per RSA-2048 signature (mean over 3 paraf + TTE)", "ms", per_sig, per_sig_direct,
        "pyhanko signers.sign_pdf, same PDFs and keys, same process", ratio, f"{ratio:.2f}x the direct call's time",
        "<= 30 ms and below the direct call", per_sig.median <= 30 and ratio < 1,
        "Naskah's time includes its validation gate (the file read back; the new signature verified, the earlier "
        "ones re-hashed, verified again only if their CMS or covered bytes differ from what an earlier gate verified; "
        "the new revision checked against what signing may change, signatures/revisions.py) and, for the TTE, "
        "filling nomor and tanggal and drawing the stamp with QR code.")]
    for i, label in enumerate(labels):
        n = Summary.of([t[i] for t in naskah_t]).scaled(1000)
        d = Summary.of([t[i] for t in direct_t]).scaled(1000)
        figs.append(Figure("Signing", f"{label} (step {i + 1} of 4)", "ms", n, d, "direct sign_pdf on the same input",
                           n.median / d.median, f"{n.median / d.median:.2f}x", "(detail)", None))
    return figs, {"naskah_s": naskah_t, "direct_s": direct_t}
