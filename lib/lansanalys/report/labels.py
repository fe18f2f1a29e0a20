"""Names beside points on maps and scatter charts, placed so they never overlap each other
or a marker (pixel boxes, biggest place first); moved out of :mod:`figures`, which re-exports
them."""

from __future__ import annotations

import numpy as np

#: Where a name may stand beside its point, in the order tried (plotly ``textposition``).
LABEL_SPOTS = ("top center", "bottom center", "middle right", "middle left")
#: Space (px) between a marker's edge and its name.
LABEL_GAP = 3.0


def text_box(text: str, font_px: float) -> tuple[float, float]:
    """Width and height (px) a one-line text takes at ``font_px`` (about 0,6 em a character,
    a bit more than the average of the report's sans-serif fonts, so boxes err on the large
    side)."""
    return 0.62 * font_px * len(text) + 4, 1.3 * font_px


def place_labels(
    px: np.ndarray,
    py: np.ndarray,
    texts: list[str],
    weight: np.ndarray,
    radius: np.ndarray | float = 4.0,
    font_px: float = 11.0,
    area: tuple[float, float] | None = None,
    most: int | None = None,
    spots: tuple[str, ...] = LABEL_SPOTS,
) -> list[str | None]:
    """Where each point's name is written, or None: left to hover.

    ``px, py`` are the points in pixels (y up) on the smallest page the figure is drawn on;
    the heaviest point is placed first, each name at the first of ``spots`` whose
    box stays inside ``area`` (width, height) and lies on no name already written and on no
    point's marker (``radius`` px) other than its own. A name that fits nowhere is not
    written. The boxes are checked again in a real browser (tests/render/test_browser.py).
    """
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    r = np.broadcast_to(np.asarray(radius, dtype=float), px.shape)
    out: list[str | None] = [None] * len(px)
    boxes: list[tuple[float, float, float, float]] = []
    gap = LABEL_GAP

    def hits(b: tuple[float, float, float, float], own: int) -> bool:
        x0, y0, x1, y1 = b
        if area is not None and (x0 < 0 or y0 < 0 or x1 > area[0] or y1 > area[1]):
            return True
        if any(x0 < c1 and c0 < x1 and y0 < d1 and d0 < y1 for c0, d0, c1, d1 in boxes):
            return True
        # Markers: the nearest point of the box to each centre, within the radius.
        nx, ny = np.clip(px, x0, x1), np.clip(py, y0, y1)
        on = (nx - px) ** 2 + (ny - py) ** 2 < r**2
        on[own] = False
        return bool(on[np.isfinite(px) & np.isfinite(py)].any())

    for i in np.argsort(-np.asarray(weight, dtype=float), kind="stable"):
        if most is not None and len(boxes) >= most:
            break
        if not (np.isfinite(px[i]) and np.isfinite(py[i])) or not texts[i]:
            continue
        w, h = text_box(texts[i], font_px)
        x, y, ri = px[i], py[i], r[i]
        boxes_at = {
            "middle center": (x - w / 2, y - h / 2, x + w / 2, y + h / 2),
            "top center": (x - w / 2, y + ri + gap, x + w / 2, y + ri + gap + h),
            "bottom center": (x - w / 2, y - ri - gap - h, x + w / 2, y - ri - gap),
            "middle right": (x + ri + gap, y - h / 2, x + ri + gap + w, y + h / 2),
            "middle left": (x - ri - gap - w, y - h / 2, x - ri - gap, y + h / 2),
        }
        for spot in spots:
            if not hits(boxes_at[spot], i):
                out[i] = spot
                boxes.append(boxes_at[spot])
                break
    return out
