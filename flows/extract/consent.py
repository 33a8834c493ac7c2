"""A publisher's text-and-data-mining reservation (W3C TDM Reservation Protocol), as the
page's response headers or its meta tags declare it: `tdm-reservation` (1: rights reserved,
0: not) and `tdm-policy` (where the terms are). The header wins over the meta tag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TdmDeclaration:
    reserved: bool
    policy: str | None
    origin: str  # "header" or "meta"


def declared(headers: Mapping[str, str], meta: Mapping[str, str]) -> TdmDeclaration | None:
    for origin, values in (("header", headers), ("meta", meta)):
        flag = (values.get("tdm-reservation") or "").strip()
        if flag in ("0", "1"):
            policy = (values.get("tdm-policy") or "").strip() or None
            return TdmDeclaration(flag == "1", policy, origin)
    return None
