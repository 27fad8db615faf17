"""The TTE stamp's QR code: qrcode's symbol, its mask chosen with numpy.

A QR encoder tries the eight mask patterns and keeps the one with the lowest penalty (ISO/IEC
18004, 7.8.3: runs of one colour, 2x2 blocks, finder-like 1:1:3:1:1 patterns, dark/light
balance), so that no mask leaves a symbol that is hard to scan. qrcode does this in pure Python:
eight full symbol builds and eight penalty scans, about three quarters of the time a stamp's QR
code takes.

:class:`StampQR` is qrcode's ``QRCode`` with one method replaced: ``best_mask_pattern`` builds
the symbol once (mask 0, format bits light, as qrcode's test builds are), derives the other seven
by flipping the data modules where the masks differ, and scores all eight at once with qrcode's
own penalty rules. The chosen mask, and so the symbol, is qrcode's: the tests compare both, and
every mask's penalty, with qrcode's ``best_mask_pattern`` and ``util.lost_point``.
"""

from __future__ import annotations

import functools

import numpy as np
import qrcode

__all__ = ["StampQR", "mask_penalties"]

# 1:1:3:1:1 finder-like pattern with four light modules after or before it (qrcode's level 3),
# as 11-bit numbers read left to right
_FINDER_LIKE = (0b10111010000, 0b00001011101)


class StampQR(qrcode.QRCode):
    """qrcode's QR code; the best mask is found by :func:`mask_penalties` (same choice)."""

    _data_modules: np.ndarray | None = None

    def map_data(self, data, mask_pattern):
        # what is still unset when the data is laid out is the data region (with remainder bits)
        self._data_modules = np.array([[m is None for m in row] for row in self.modules], dtype=bool)
        super().map_data(data, mask_pattern)

    def best_mask_pattern(self) -> int:
        self.makeImpl(True, 0)
        penalties = mask_penalties(np.array(self.modules, dtype=bool), self._data_modules)
        return int(np.argmin(penalties))  # the first lowest, as qrcode keeps it


@functools.lru_cache(maxsize=8)
def _mask_flips(n: int) -> np.ndarray:
    """For each mask k, where it differs from mask 0 (shape 8 x n x n)."""
    i, j = np.indices((n, n))
    masks = np.stack([
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i * j) % 3 + (i + j) % 2) % 2 == 0,
    ])
    flips = masks ^ masks[0]
    flips.setflags(write=False)
    return flips


def mask_penalties(masked_0: np.ndarray, data_modules: np.ndarray) -> list[int]:
    """qrcode's ``util.lost_point`` of the symbol under each of the 8 masks.

    ``masked_0`` is the symbol with mask 0 applied (format and version bits as qrcode's test
    build leaves them); ``data_modules`` marks the modules the mask applies to.
    """
    n = masked_0.shape[0]
    symbols = masked_0[None] ^ (_mask_flips(n) & data_modules[None])
    return [int(p) for p in _penalty(symbols)]


def _penalty(s: np.ndarray) -> np.ndarray:
    """Penalty of each of a stack of symbols (k x n x n booleans)."""
    k, n, _ = s.shape
    columns = s.transpose(0, 2, 1)
    points = _runs(s) + _runs(columns)
    same = s[:, :-1, :-1]
    blocks = (same == s[:, 1:, :-1]) & (same == s[:, :-1, 1:]) & (same == s[:, 1:, 1:])
    points += 3 * blocks.sum(axis=(1, 2))
    points += 40 * (_finder_like(s) + _finder_like(columns))
    dark = s.sum(axis=(1, 2))
    # qrcode's level 4, in its own float arithmetic
    points += np.array([int(abs(float(d) / (n**2) * 100 - 50) / 5) * 10 for d in dark.tolist()])
    return points


def _runs(s: np.ndarray) -> np.ndarray:
    """Runs of 5 or more modules of one colour along each row: a run of length L costs L - 2."""
    k, n, _ = s.shape
    # a separator after each row (value 2) ends every run there
    flat = np.concatenate([s.astype(np.int8), np.full((k, n, 1), 2, np.int8)], axis=2).reshape(-1)
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.append(starts, flat.size))
    cost = np.where(lengths >= 5, lengths - 2, 0)
    return np.bincount(starts // (n * (n + 1)), weights=cost, minlength=k).astype(np.int64)


def _finder_like(s: np.ndarray) -> np.ndarray:
    """Windows of 11 modules along each row matching either finder-like pattern."""
    k, n, _ = s.shape
    code = np.zeros((k, n, n - 10), dtype=np.int16)
    for t in range(11):
        code <<= 1
        code |= s[:, :, t:n - 10 + t]
    return ((code == _FINDER_LIKE[0]) | (code == _FINDER_LIKE[1])).sum(axis=(1, 2))
