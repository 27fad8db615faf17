"""SoftHSM2 for the tests: a token directory of the test's own, tokens initialised there, and
a way to mark a token locked.

SoftHSM2 (2.6) keeps no PIN retry counter: a wrong PIN only sets ``CKF_USER_PIN_COUNT_LOW``,
it never answers ``CKR_PIN_LOCKED`` and ignores ``CKF_USER_PIN_LOCKED`` at login
(``tests/test_pkcs11.py`` shows both). :meth:`SoftHsm.set_locked` writes that flag into the
token's store, which is what a hardware token reports after its retry limit, so that Naskah's
reading of a locked token is tested against the real library.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOFTHSM_UTIL = shutil.which("softhsm2-util")
CKF_USER_PIN_LOCKED = 0x00040000
# SoftHSM2 object-file records: CK_ULONG type, kind (2 = integer, 3 = byte string), value; big-endian.
_LABEL = bytes.fromhex("0000000080005349" "0000000000000003" "0000000000000020")  # CKA_OS_TOKENLABEL
_FLAGS = bytes.fromhex("000000008000534b" "0000000000000002")  # CKA_OS_TOKENFLAGS


@dataclass(frozen=True)
class SoftHsm:
    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "softhsm2.conf"

    @property
    def tokendir(self) -> Path:
        return self.root / "tokens"

    @property
    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}

    def init_token(self, label: str, pin: str, so_pin: str = "so-pin-8765") -> None:
        """``softhsm2-util --init-token --free``: a new token in the first free slot."""
        subprocess.run([SOFTHSM_UTIL or "softhsm2-util", "--init-token", "--free", "--label", label,
                        "--pin", pin, "--so-pin", so_pin],
                       env={"PATH": "/usr/bin:/bin", **self.env}, check=True, capture_output=True, text=True)

    def _token_object(self, label: str) -> Path:
        wanted = _LABEL + label.encode().ljust(32)
        found = [p for p in self.tokendir.glob("*/token.object") if wanted in p.read_bytes()]
        assert len(found) == 1, f"token {label!r}: {found}"
        return found[0]

    def flags(self, label: str) -> int:
        data = self._token_object(label).read_bytes()
        at = data.index(_FLAGS) + len(_FLAGS)
        return struct.unpack(">Q", data[at:at + 8])[0]

    def set_locked(self, label: str, locked: bool = True) -> None:
        """Set or clear CKF_USER_PIN_LOCKED in the token's store (read by the next process)."""
        path = self._token_object(label)
        data = bytearray(path.read_bytes())
        assert data.count(_FLAGS) == 1
        at = data.index(_FLAGS) + len(_FLAGS)
        value = struct.unpack(">Q", data[at:at + 8])[0]
        value = value | CKF_USER_PIN_LOCKED if locked else value & ~CKF_USER_PIN_LOCKED
        struct.pack_into(">Q", data, at, value)
        path.write_bytes(bytes(data))


def make_softhsm(root: Path) -> SoftHsm:
    """A SoftHSM2 configuration whose tokens live under ``root/tokens`` (never the system's)."""
    hsm = SoftHsm(root)
    hsm.tokendir.mkdir(parents=True, exist_ok=True)
    hsm.conf.write_text(f"directories.tokendir = {hsm.tokendir}\nobjectstore.backend = file\n"
                        "log.level = ERROR\nslots.removable = false\n", encoding="utf-8")
    return hsm
