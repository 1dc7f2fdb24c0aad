"""An SVG bar chart computed on the server: geometry only, drawn by the template.

No script (the staff pages' CSP forbids it) and no style attribute (the CSP allows no
inline CSS): bars use SVG presentation attributes, and each has a <title> tooltip.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 32, 24, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the date
    count: int
    tick: bool  # write the date under this bar


def bar_chart(days: list[dict]) -> dict:
    """Bars for [{date, count}], scaled to the largest count (at least 1)."""
    peak = max((d["count"] for d in days), default=0) or 1
    slot = (WIDTH - LEFT) / max(len(days), 1)
    plot = HEIGHT - BOTTOM - TOP
    bars = []
    for i, day in enumerate(days):
        h = plot * day["count"] / peak
        bars.append(Bar(round(LEFT + i * slot + 1, 1), round(TOP + plot - h, 1), round(slot - 2, 1),
                        round(h, 1), day["date"], day["count"], i % 7 == 0))
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "base": HEIGHT - BOTTOM,
            "peak": peak, "bars": bars, "total": sum(d["count"] for d in days)}
