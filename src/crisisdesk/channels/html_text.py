"""HTML as the text a person reads: what mails, feeds and statuses carry as HTML, for analysis.

Removing tags with a pattern is not enough for real mail: Outlook and newsletter tools put whole
style sheets (``<style>p.MsoNormal {…}</style>``), conditional comments (``<!--[if gte mso 9]>``)
and scripts in the HTML part, and their text would then be read as the customer's words. This
parser (the standard library's, which copes with broken markup) keeps only what a mail client
shows: the text of the body, with a line break for ``<br>`` and at the end of block elements,
entities decoded, non-breaking spaces as spaces, runs of spaces and blank lines collapsed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Elements whose content is never shown.
_HIDDEN = frozenset({"style", "script", "head", "title", "template", "noscript", "svg", "xml"})
#: Elements that end a line where they start or end (as a mail client lays them out).
_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "section", "article", "header", "footer", "hr", "dt", "dd"})
#: Blocks after which a paragraph ends (a blank line).
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
_SPACES = re.compile(r"[ \t\r\f\v]+")
_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0

    def _break(self, lines: int = 1) -> None:
        """End the line (``lines`` 2: the paragraph) unless the text already ends so."""
        tail = "".join(self.parts[-2:])
        missing = lines - (len(tail) - len(tail.rstrip("\n")))
        if missing > 0:
            self.parts.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "pre":
            self._pre += 1
            self._break()
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:  # <hr/>; a self-closed hidden element hides nothing
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # the markup's own line breaks are spaces (the elements make the lines), except in <pre>
        self.parts.append(data if self._pre else data.replace("\r", " ").replace("\n", " "))


def html_to_text(markup: str) -> str:
    """The visible text of ``markup``: line breaks kept (a blank line between paragraphs), spaces
    collapsed, hidden elements (style sheets, scripts, the head) and comments dropped."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts).replace("\u00a0", " ")
    text = _SPACES.sub(" ", text)
    text = _AROUND_NEWLINE.sub("\n", text)
    return _MANY_NEWLINES.sub("\n\n", text).strip()
