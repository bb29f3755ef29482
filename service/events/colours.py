"""An organiser's colour, as their pages and emails show it: only colours on which white text,
and which as text on white, stay readable (WCAG 2.x contrast of 4.5:1)."""

from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5


def _channels(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio between `colour` (#rrggbb) and white, 1 to 21."""
    return 1.05 / (_luminance(colour) + 0.05)


def checked_colour(colour: str) -> str:
    """`colour` in lower case when it is #rrggbb and readable with white; ValueError saying why
    otherwise; "" stays "" (Convier's own colour)."""
    if not colour:
        return ""
    if not HEX_COLOUR.match(colour):
        raise ValueError(f"expected a colour such as #0b5cad, got {colour!r}")
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        raise ValueError(f"too light: {ratio:.1f}:1 against white, {MIN_CONTRAST}:1 at least")
    return colour.lower()


def darker(colour: str, amount: float = 0.2) -> str:
    """`colour` with each channel `amount` nearer to black (a hover shade)."""
    return "#" + "".join(f"{round(c * (1 - amount) * 255):02x}" for c in _channels(colour))
