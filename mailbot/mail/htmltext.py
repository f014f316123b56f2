"""HTML mail bodies to plain text, with nothing but the standard library's html.parser.

Only used when a message has no text/plain part. The goal is readable text for the
reading step, not a faithful rendering: block elements become line breaks, list items
get a dash, scripts, styles and the document head are dropped, entities are decoded, and
the lines of a blockquote (the history a reply quotes) start with "> " as in plain text
mail, so the reading step tells the customer's words from what they quote.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never shown to a reader.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
# Elements that start a new line when opened or closed.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tr", "ul",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Marks text read inside a blockquote until the lines are made (a private-use character).
_QUOTED = "\ue000"


class _TextCollector(HTMLParser):
    """Collects the visible text of an HTML document as a list of chunks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden_depth = 0
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "blockquote":
            self._quote_depth += 1
        if tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag == "li":
            self.chunks.append("\n- ")
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        elif tag in _BLOCK:
            self.chunks.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and <hr/> never get an end tag, so only their line break matters.
        if tag in _BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK and tag not in ("br", "li"):
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden_depth == 0:
            # Source line breaks inside a paragraph are just spaces in HTML.
            text = data.replace("\r", " ").replace("\n", " ")
            self.chunks.append(_QUOTED + text if self._quote_depth and text.strip() else text)


def html_to_text(html: str) -> str:
    """Return the visible text of ``html``: one line per block, blank runs collapsed.

    Never raises: html.parser is lenient, and anything it cannot handle ends the text.
    """
    collector = _TextCollector()
    try:
        collector.feed(html)
        # What feed() leaves unread starting with "<" is a tag, comment or declaration
        # still open at the end of the input: HTML5 shows none of it (nor does
        # html.parser since the fix for CPython gh-135462). close() in older releases
        # rescans it to the end once per character: 1 MB of "<a x=" never finished.
        if collector.rawdata.startswith("<"):
            collector.rawdata = ""
        collector.close()
    except Exception:  # a broken document still yields the text read so far
        pass
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(collector.chunks).split("\n"))
    text = "\n".join(
        "> " + line.replace(_QUOTED, "").strip() if _QUOTED in line else line for line in lines
    )
    return _BLANK_LINES.sub("\n\n", text).strip()
