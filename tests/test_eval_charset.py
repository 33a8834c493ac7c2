"""Real pages whose charset is declared late, wrongly or not at all (read from ../shared/eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.text.charset import decode_html

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extraction" / "miniflux-charset-html"


def cases():
    if not EVAL.exists():
        return []
    return [json.loads(line) for line in (EVAL / "ground_truth.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/eval is not present")
@pytest.mark.parametrize("case", cases(), ids=lambda case: case["id"])
def test_real_pages_decode_without_mojibake(case):
    text = decode_html((EVAL / case["html_path"]).read_bytes())
    for expected in case["expected_contains"]:
        assert expected in text
