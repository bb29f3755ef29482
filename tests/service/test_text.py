"""One-line text: the shortcut for clean values gives what the full cleaning gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.text import CONTROLS, one_line

# Letters, spaces of every kind, line breaks, C0 and C1 controls: what pasted text holds.
PASTED = st.text(st.sampled_from("aé Z-'\u00a0\u2009\u3000\t\n\r\x00\x1f\x85\x9f"), max_size=12)


def _cleaned(value: str) -> str:
    return " ".join(CONTROLS.sub(" ", value).split())


@given(st.one_of(PASTED, st.text(max_size=12)))
def test_one_line_is_the_full_cleaning(value: str) -> None:
    assert one_line(value) == _cleaned(value)


def test_one_line_keeps_clean_text_and_cleans_the_rest() -> None:
    assert one_line("Françoise Bernon") == "Françoise Bernon"
    assert one_line(" Françoise\u00a0 Bernon\n") == "Françoise Bernon"
    assert one_line("a\x00b") == "a b"
