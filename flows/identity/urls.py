"""Canonical URLs: one spelling per article, whatever feed or campaign linked it."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "itm_", "_hs", "hsa_", "mc_", "oly_", "vero_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mkt_tok",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "cmp",
        "ncid",
        "sr_share",
        "smid",
        "at_medium",
        "at_campaign",
        "xtor",
        "ref_src",
        "spm",
        "share",
        "ito",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


@lru_cache(maxsize=8192)  # a page's URLs are canonicalised when planned, resolved and loaded
def canonical(url: str) -> str:
    """Normalise a URL: scheme/host case, default port, fragment, tracking parameters.

    Meaningful query parameters are kept in their original order (`?id=8576` and
    `?id=8723` stay two articles).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def absolute(base: str, link: str) -> str:
    return urljoin(base, link.strip())


def host_of(url: str) -> str:
    """The host:port politeness key of a URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def same_site(a: str, b: str) -> bool:
    return (urlsplit(a).hostname or "").lower() == (urlsplit(b).hostname or "").lower()
