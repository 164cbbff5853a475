"""The routes of major-incident notices (mi_notices.py), on the servicedesk blueprint: staff publish,
update, send a circular and resolve from the incident's page; everyone signed in reads the circular's
PDF; and every page shows the banner of each open notice."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from ..core.permissions import staff_required
from ..core.transaction import ConflictError, unit_of_work
from . import mi_notices
from .circulars import render_circular
from .forms import NoticeForm
from .operations import ServiceDeskError
from .views import _incident_page, bp, get_incident

ACTS = {
    "publish": ("Major-incident notice published: the banner is up and the MI email is on its way.", None),
    "update": ("Update sent.", mi_notices.add_update),
    "circular": ("Industry circular sent.", mi_notices.issue_circular),
    "resolve": ("Resolution sent: the banner is down.", mi_notices.resolve_notice),
}


@bp.app_context_processor
def major_incident_banners():
    """The banner of every open major-incident notice, on every full page (one small query, made only
    when base.html calls it: fragments and emails pay nothing)."""
    return {"mi_banners": _banners}


def _banners() -> list:
    if not current_user or not current_user.is_authenticated:
        return []
    return mi_notices.open_banners()


@bp.post("/performance/incidents/<number>/notice/<act>")
@staff_required
def notice_act(number: str, act: str):
    if act not in ACTS:
        abort(404)
    record = get_incident(number)
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                if act == "publish":
                    mi_notices.publish_notice(record, headline=form.headline.data or "", text=form.text.data,
                                              user=current_user)
                else:
                    ACTS[act][1](record, text=form.text.data, user=current_user)
        except ServiceDeskError as exc:
            form.form_errors.append(str(exc))
        except sa.exc.IntegrityError:
            raise ConflictError("Someone else published this incident's notice at the same moment; "
                                "yours was not sent. Add it as an update.") from None
        else:
            flash(ACTS[act][0], "success")
            return redirect(url_for("servicedesk.incident", number=record.number, _anchor="notice"), code=303)
    return _incident_page(record, status=422, notice_form=form, notice_act=act)


@bp.get("/performance/incidents/<number>/circular.pdf")
@login_required
def circular_pdf(number: str):
    record = get_incident(number)
    notice = mi_notices.notice_for(record)
    circulars = [entry for entry in notice.entries if entry.kind == "circular"] if notice else []
    if not circulars:
        abort(404)
    pdf = render_circular(notice, circulars[-1])
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="industry-circular-{record.number}.pdf"'})
