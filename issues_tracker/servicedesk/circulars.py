"""The industry circular of a major incident, as a PDF: what staff wrote, with the notice's history."""

from __future__ import annotations

from flask import current_app

from ..core.pdf import html_to_pdf
from .clock import LONDON
from .models import MiNotice, MiNoticeEntry


def render_circular(notice: MiNotice, entry: MiNoticeEntry) -> bytes:
    from .mi_notices import KIND_LABELS

    html = current_app.jinja_env.get_template("servicedesk/circular_print.html").render(
        notice=notice, entry=entry, record=notice.record, london=LONDON, labels=KIND_LABELS)
    return html_to_pdf(html, current_app.static_folder)
