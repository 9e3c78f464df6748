"""Text from files and uploads is data: escaped before it reaches a page.

:func:`markdown_text` makes a string show literally inside Markdown (no HTML, no link, no
emphasis); :func:`safe_url` lets only http(s) addresses become links. The HTML report escapes
with :func:`html.escape` and links through :func:`model.report.linkify`, which uses
:func:`safe_url`.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def markdown_text(text: object) -> str:
    """``text`` shown literally in Markdown: HTML escaped, Markdown punctuation backslashed,
    line breaks and tabs as spaces (a file's text never starts a heading or a table row).
    """
    one_line = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=True))


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) address with a host, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(
            ch in url for ch in "\"'<>\\ \t\n"):
        return url.strip()
    return None
