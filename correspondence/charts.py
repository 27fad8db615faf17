"""Charts for the reports as PNG bytes (matplotlib, Agg canvas, no pyplot state).

Each function takes labels and counts (already in the order to show) and returns a PNG, or
``None`` when there is nothing to draw (no data, or every count zero): an empty period gives a
report without charts, never an empty or broken chart. Text is drawn in DejaVu Sans (shipped with
matplotlib) or Liberation Sans, so the PNG looks the same on every machine; the PNG carries no
creation date, so the same data gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

FONT = ["DejaVu Sans", "Liberation Sans"]
DPI = 150
WIDTH_IN = 6.3  # about 16 cm: the text width of an A4 page with the templates' margins
BAR = "#1f3a60"
ACCENT = "#d4a017"
PALETTE = ["#1f3a60", "#d4a017", "#4084ba", "#8c2d19", "#5b8c3a", "#7a5195", "#999999"]

_RC = {"font.family": "sans-serif", "font.sans-serif": FONT, "font.size": 9, "axes.spines.top": False,
       "axes.spines.right": False, "svg.fonttype": "none"}


def _png(fig: Figure) -> bytes:
    out = BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _figure(height_in: float) -> Figure:
    """Call inside ``matplotlib.rc_context(_RC)``: fonts and styles are read when artists are made."""
    return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def _nothing(counts: Sequence[float]) -> bool:
    return not counts or not any(counts)


def _wrap(label: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(label, width)) or label


def horizontal_bars(labels: Sequence[str], counts: Sequence[int], *, title: str, unit: str = "pengaduan") -> bytes | None:
    """One bar per label, largest first as given; the count is written at the end of each bar."""
    if _nothing(counts):
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(1.0 + 0.38 * len(labels))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))[::-1]
        bars = ax.barh(positions, counts, color=BAR, height=0.6)
        ax.set_yticks(positions, [_wrap(label) for label in labels])
        ax.bar_label(bars, labels=[str(c) for c in counts], padding=3)
        ax.set_xlabel(f"Jumlah {unit}")
        ax.set_title(title, loc="left", fontweight="bold")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0, max(counts) * 1.15 + 0.5)
        return _png(fig)


def vertical_bars(labels: Sequence[str], counts: Sequence[int], *, title: str, xlabel: str = "",
                  unit: str = "pengaduan") -> bytes | None:
    """Bars in the order given (months, duration buckets); zero bars are kept, so gaps show."""
    if _nothing(counts):
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(2.8)
        ax = fig.add_subplot()
        bars = ax.bar(range(len(labels)), counts, color=BAR, width=0.65)
        ax.set_xticks(range(len(labels)), labels)
        ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
        ax.set_ylabel(f"Jumlah {unit}")
        if xlabel:
            ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left", fontweight="bold")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(0, max(counts) * 1.18 + 0.5)
        return _png(fig)


def shares(labels: Sequence[str], counts: Sequence[int], *, title: str) -> bytes | None:
    """One bar of 100 %, split by label, each part with its count and share."""
    if _nothing(counts):
        return None
    import matplotlib

    total = sum(counts)
    with matplotlib.rc_context(_RC):
        fig = _figure(2.0)
        ax = fig.add_subplot()
        left = 0.0
        for i, (label, count) in enumerate(zip(labels, counts)):
            if not count:
                continue
            width = count / total * 100
            ax.barh([0], [width], left=left, color=PALETTE[i % len(PALETTE)], height=0.5,
                    label=f"{label}: {count} ({width:.1f}%)".replace(".", ","))
            if width >= 8:
                ax.text(left + width / 2, 0, f"{width:.0f}%", ha="center", va="center", color="white", fontweight="bold")
            left += width
        ax.set_xlim(0, 100)
        ax.set_yticks([])
        ax.set_xlabel("Persentase (%)")
        ax.spines["left"].set_visible(False)
        ax.set_title(title, loc="left", fontweight="bold")
        fig.legend(loc="outside lower center", ncol=min(3, len(labels)), frameon=False)
        return _png(fig)


def scores(labels: Sequence[str], values: Sequence[float], *, title: str, low: float = 1.0, high: float = 4.0) -> bytes | None:
    """Values on a fixed scale (the NRR of the nine IKM elements on 1-4), with the value at each bar."""
    if not values:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(1.0 + 0.38 * len(labels))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))[::-1]
        bars = ax.barh(positions, values, color=ACCENT, height=0.6)
        ax.set_yticks(positions, [_wrap(label, 34) for label in labels])
        ax.bar_label(bars, labels=[f"{v:.2f}".replace(".", ",") for v in values], padding=3)
        ax.set_xlim(0, high + 0.4)
        ax.axvline(low, color="#bbbbbb", linewidth=0.6)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}".replace(".", ",")))
        ax.set_xlabel("Nilai rata-rata (NRR), skala 1\u20134")
        ax.set_title(title, loc="left", fontweight="bold")
        return _png(fig)
