"""Speed without change: every answer of a fixed corpus (five kinds of model, one record to the
largest batch, bad bodies, wrong media types) is byte for byte what the proxy answered before
its third round of speed work, and so is the CSV it sends (tests/unit/answers_before.json, made
by ``python -m tests.answer_corpus`` on that commit)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from tests import answer_corpus

BEFORE = Path(__file__).with_name("answers_before.json")


def test_every_answer_and_every_csv_sent_is_what_it_was() -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        now = answer_corpus.answers()
    before = json.loads(BEFORE.read_text())
    assert len(now) == len(before) == 35
    for number, (answer, was) in enumerate(zip(now, before, strict=True)):
        assert answer == was, number
