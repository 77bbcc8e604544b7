"""Tables as the pages show them.

Every table a page shows goes through :func:`table`: its text is escaped as HTML, because much
of it comes from the departments' returns (values as written, file and sheet names, notes) and
is untrusted — a cell holding ``<img src=x onerror=…>`` must show as those characters, never run
in the expert group's browser. Only the link columns the suite fills itself stay markup.
"""

from __future__ import annotations

import html

#: the columns the suite fills with its own links (the indicator page), left as markup
LINK_COLUMNS = ("详情", "Details")


def table(frame, links: tuple[str, ...] = LINK_COLUMNS):
    """``frame`` as a page shows it: a pandas Styler with every cell escaped as HTML except the
    suite's own link columns, the index hidden, missing values as "—"."""
    text = [c for c in frame.columns if c not in links]
    styler = frame.style.hide(axis="index")
    if text:
        styler = styler.format(escape="html", na_rep="—", subset=text)
    return styler


def escape(text: object) -> str:
    """Text from a return for a Markdown or HTML sentence: its markup characters escaped."""
    return html.escape(str(text), quote=True)
