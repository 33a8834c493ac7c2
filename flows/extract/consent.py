"""A publisher's text-and-data-mining reservation (W3C TDM Reservation Protocol):
`tdm-reservation` (1: rights reserved, 0: not) and `tdm-policy` (where the terms are), as
the page's response headers, else its meta tags, else the host's /.well-known/tdmrep.json
declare them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class TdmDeclaration:
    reserved: bool
    policy: str | None
    origin: str  # "header", "meta" or "tdmrep.json"


def declared(headers: Mapping[str, str], meta: Mapping[str, str]) -> TdmDeclaration | None:
    for origin, values in (("header", headers), ("meta", meta)):
        flag = (values.get("tdm-reservation") or "").strip()
        if flag in ("0", "1"):
            policy = (values.get("tdm-policy") or "").strip() or None
            return TdmDeclaration(flag == "1", policy, origin)
    return None


def site_wide(document: str | None, path: str) -> TdmDeclaration | None:
    """The rule of a host's /.well-known/tdmrep.json (a JSON list of {location, tdm-reservation,
    tdm-policy}) that covers `path`: the first whose location matches, where `*` stands for
    anything. A file that is not such a list declares nothing."""
    for location, declaration in _rules(document or ""):
        if location.fullmatch(path):
            return declaration
    return None


@cache  # one file per host, asked about for every article of that host
def _rules(document: str) -> tuple[tuple[re.Pattern[str], TdmDeclaration], ...]:
    try:
        rules = json.loads(document) if document else []
    except ValueError:
        return ()
    found = []
    for rule in rules if isinstance(rules, list) else []:
        location = str(rule.get("location", "")) if isinstance(rule, dict) else ""
        flag = str(rule.get("tdm-reservation", "")).strip() if isinstance(rule, dict) else ""
        if location.startswith("/") and flag in ("0", "1"):
            policy = rule.get("tdm-policy")
            policy = policy if isinstance(policy, str) and policy else None
            found.append((_pattern(location), TdmDeclaration(flag == "1", policy, "tdmrep.json")))
    return tuple(found)


def _pattern(location: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", location)))
