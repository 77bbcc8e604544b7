"""Tables as the pages show them.

Every table a page shows goes through :func:`table`: its text is escaped as HTML, because much
of it comes from the departments' returns (values as written, file and sheet names, notes) and
is untrusted — a cell holding ``<img src=x onerror=…>`` must show as those characters, never run
in the expert group's browser. Only the link columns the suite fills itself stay markup.
"""

from __future__ import annotations

import html

from analysis.report.numbers import fmt

#: the columns the suite fills with its own links (the indicator page), left as markup
LINK_COLUMNS = ("详情", "Details")


def table(frame, links: tuple[str, ...] = LINK_COLUMNS):
    """``frame`` as a page shows it: a pandas Styler with every cell escaped as HTML except the
    suite's own link columns, the index hidden, missing values as "—", and numbers of float
    columns to four significant digits without trailing zeros (:func:`analysis.report.numbers.fmt`:
    "0.87", "36.6", "1", never pandas' "0.866667" or "1.000000")."""
    text = [c for c in frame.columns if c not in links]
    styler = frame.style.hide(axis="index")
    if text:
        styler = styler.format(escape="html", na_rep="—", subset=text)
        floats = [c for c in text if frame[c].dtype.kind == "f"]
        if floats:
            styler = styler.format(fmt, na_rep="—", subset=floats)
    return styler


def escape(text: object) -> str:
    """Text from a return for a Markdown or HTML sentence: its markup characters escaped."""
    return html.escape(str(text), quote=True)
