"""A publisher's text-and-data-mining reservation (W3C TDM Reservation Protocol):
`tdm-reservation` (1: rights reserved, 0: not) and `tdm-policy` (where the terms are), as
the page's response headers, else its meta tags, else the host's /.well-known/tdmrep.json
declare them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass


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
    try:
        rules = json.loads(document) if document else []
    except ValueError:
        return None
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict) or not _covers(str(rule.get("location", "")), path):
            continue
        flag = str(rule.get("tdm-reservation", "")).strip()
        if flag in ("0", "1"):
            policy = rule.get("tdm-policy")
            return TdmDeclaration(flag == "1", policy if isinstance(policy, str) and policy else None, "tdmrep.json")
    return None


def _covers(location: str, path: str) -> bool:
    if not location.startswith("/"):
        return False
    pattern = "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", location))
    return re.fullmatch(pattern, path) is not None
