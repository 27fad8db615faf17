"""The TTE stamp's QR code: qrcode's symbol, its mask chosen in one pass over all eight.

A QR encoder tries the eight mask patterns and keeps the one with the lowest penalty (ISO/IEC
18004, 7.8.3: runs of one colour, 2x2 blocks, finder-like 1:1:3:1:1 patterns, dark/light
balance), so that no mask leaves a symbol that is hard to scan. qrcode does this module by
module in Python: eight full symbol builds and eight penalty scans, about three quarters of the
time a stamp's QR code takes.

:class:`StampQR` is qrcode's ``QRCode`` with one method replaced: ``best_mask_pattern`` builds
the symbol once (mask 0, format bits light, as qrcode's test builds are), derives the other seven
by flipping the data modules where the masks differ, and scores them with qrcode's own penalty
rules on rows held as integers and strings (regular expressions find the runs and the finder-like
patterns; bit operations find the 2x2 blocks). The chosen mask, and so the symbol, is qrcode's:
the tests compare both, and every mask's penalty, with qrcode's ``best_mask_pattern`` and
``util.lost_point``. (numpy would do the same a little faster, but costs each worker process
10 MB of resident memory.)
"""

from __future__ import annotations

import functools
import re

import qrcode

__all__ = ["StampQR", "mask_penalties"]

_RUNS = re.compile(r"0{5,}|1{5,}")
# 1:1:3:1:1 finder-like pattern with four light modules after or before it (qrcode's level 3);
# a lookahead, so that overlapping occurrences all count
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")

_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)


class StampQR(qrcode.QRCode):
    """qrcode's QR code; the best mask is found by :func:`mask_penalties` (same choice)."""

    _data_modules: list[list[bool]] | None = None

    def map_data(self, data, mask_pattern):
        # what is still unset when the data is laid out is the data region (with remainder bits)
        self._data_modules = [[m is None for m in row] for row in self.modules]
        super().map_data(data, mask_pattern)

    def best_mask_pattern(self) -> int:
        self.makeImpl(True, 0)
        penalties = mask_penalties(self.modules, self._data_modules)
        return penalties.index(min(penalties))  # the first lowest, as qrcode keeps it


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _bits(row) -> int:
    """A row of booleans as an integer, its first module the highest bit."""
    return int(bytes(row).translate(_DIGITS), 2)


@functools.lru_cache(maxsize=8)
def _mask_flips(n: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """For each mask, where it differs from mask 0: (rows, columns) as integers."""
    base = _MASKS[0]
    flips = []
    for mask in _MASKS:
        grid = [[mask(i, j) != base(i, j) for j in range(n)] for i in range(n)]
        flips.append((tuple(map(_bits, grid)), tuple(map(_bits, zip(*grid)))))
    return tuple(flips)


def mask_penalties(masked_0, data_modules) -> list[int]:
    """qrcode's ``util.lost_point`` of the symbol under each of the 8 masks.

    ``masked_0`` is the symbol (rows of booleans) with mask 0 applied, format and version bits
    as qrcode's test build leaves them; ``data_modules`` marks the modules the mask applies to.
    Masking is an exclusive or, so a masked symbol's columns come from the columns of these two
    and of the masks, without transposing each symbol.
    """
    n = len(masked_0)
    rows, region = list(map(_bits, masked_0)), list(map(_bits, data_modules))
    columns, region_columns = list(map(_bits, zip(*masked_0))), list(map(_bits, zip(*data_modules)))
    return [
        _penalty([r ^ (f & d) for r, f, d in zip(rows, flip_rows, region)],
                 [c ^ (f & d) for c, f, d in zip(columns, flip_columns, region_columns)], n)
        for flip_rows, flip_columns in _mask_flips(n)
    ]


def _penalty(rows: list[int], columns: list[int], n: int) -> int:
    width = f"0{n}b"
    text = "|".join([format(line, width) for line in rows + columns])
    # 1: each run of L >= 5 modules of one colour, in a row or a column, costs L - 2
    runs = _RUNS.findall(text)
    points = sum(map(len, runs)) - 2 * len(runs)
    # 2: each 2x2 block of one colour costs 3
    pairs = (1 << (n - 1)) - 1
    for upper, lower in zip(rows, rows[1:]):
        same_column = ~(upper ^ lower)
        points += 3 * (same_column & (same_column >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    # 3: each finder-like pattern, in a row or a column, costs 40
    points += 40 * len(_FINDER_LIKE.findall(text))
    # 4: every 5 % the dark modules depart from half, 10 (qrcode's float arithmetic)
    dark = sum(r.bit_count() for r in rows)
    points += int(abs(float(dark) / (n**2) * 100 - 50) / 5) * 10
    return points
