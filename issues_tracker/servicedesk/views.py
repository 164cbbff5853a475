"""Service performance pages: the KPI dashboard and its CSVs, the extract import, major
incidents and their PIR actions."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, date, datetime

from flask import Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from ..core.extensions import csrf, db
from ..core.forms import version_number
from ..core.htmx import wants_fragment
from ..core.permissions import staff_required
from ..core.templating import LONDON, url_with
from ..core.transaction import ConflictError, unit_of_work
from ..jobs import job_or_404, queue_upload_job, store_upload
from ..jobs.models import Job
from . import aged, incidents, jobs, kpis, major_incidents, mi_notices, performance, periods
from . import operations as servicedesk_service
from .clock import SERVICE_LEVEL_TABLE, month_label, month_text
from .forms import (
    CommunicationsForm,
    EmptyForm,
    MiUpdateForm,
    NoticeForm,
    PirActionForm,
    PirActionUpdateForm,
    ServiceDeskImportForm,
)
from .models import PirAction, ServiceDeskRecord

bp = Blueprint("servicedesk", __name__, template_folder="templates")

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PRIORITY_ARG = re.compile(r"^[Pp]?([1-5])$")


# ---------------------------------------------------------------- the dashboard's query string


def parse_day(text: str, label: str) -> date:
    text = (text or "").strip()
    try:
        if not DAY.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise periods.PeriodError(f"{label} must be a date written YYYY-MM-DD, e.g. 2026-04-14.") from None
    if not 2000 <= day.year <= 2100:
        raise periods.PeriodError(f"{label} must be between 2000 and 2100.")
    return day


def parse_view(args, services: list[str]) -> tuple[periods.Period, periods.Filters, date, dict[str, str]]:
    """The month range, filters and "as at" day from the address; bad values are reported and ignored."""
    errors: dict[str, str] = {}
    try:
        period = periods.period_from(args.get("from"), args.get("to"))
    except periods.PeriodError as exc:
        errors["period"] = str(exc)
        period = periods.default_period()
    service = (args.get("service") or "").strip()
    if service and service not in services:
        errors["service"] = f"No service-desk record names the service “{service[:60]}”, so that filter was ignored."
        service = ""
    priority = None
    if args.get("priority"):
        match = PRIORITY_ARG.match(args["priority"].strip())
        if match:
            priority = int(match.group(1))
        else:
            errors["priority"] = "Priority must be P1 to P5, so that filter was ignored."
    as_at = periods.london_today()
    if args.get("as_at"):
        try:
            as_at = parse_day(args["as_at"], "As at")
        except periods.PeriodError as exc:
            errors["as_at"] = str(exc)
    return period, periods.Filters(service=service, priority=priority), as_at, errors


def _clean_args(period: periods.Period, filters: periods.Filters, as_at: date, args) -> dict:
    chosen = {}
    if args.get("from") or args.get("to"):
        chosen.update(period.args)
    chosen.update({k: v for k, v in filters.args.items() if v})
    if args.get("as_at") and as_at != periods.london_today():
        chosen["as_at"] = as_at.isoformat()
    return chosen


@bp.get("/performance")
@login_required
def index():
    # The dashboard's figures and its filters' choices are kept while the data is unchanged
    # (performance.kept); the data's version is read once for both.
    version = performance.data_version()
    services, months = performance.kept(("choices", periods.london_today()), performance.filter_choices,
                                        version=version)
    period, filters, as_at, errors = parse_view(request.args, services)
    months = sorted(set(months) | set(period.months))
    args = _clean_args(period, filters, as_at, request.args)

    def render_results() -> Markup:
        data = performance.dashboard(period, filters, as_at)
        return Markup(render_template(  # noqa: S704 (a template's own autoescaped output)
            "servicedesk/_results.html",
            d=data,
            errors=errors,
            service_levels=SERVICE_LEVEL_TABLE,
            month_label=month_label,
            last_importer=performance.importer_name(data.last_import) if current_user.is_staff else "",
            last_fed=performance.last_fed(),
        ))

    # Staff see times the others do not; a view with errors is drawn afresh.
    results = render_results() if errors else performance.kept(
        ("results", period, filters, as_at, current_user.is_staff), render_results, version=version)
    if wants_fragment():
        response = make_response(results)
    else:
        response = make_response(render_template(
            "servicedesk/index.html",
            results=results,
            period=period,
            default_period=periods.default_period(),
            filters=filters,
            as_at=as_at,
            errors=errors,
            services=services,
            month_choices=[(month_text(m), month_label(m, "%b %Y")) for m in reversed(months)],
        ))
    response.headers["Vary"] = "HX-Request"
    if errors:
        response.status_code = 400
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_with("servicedesk.index", args)
    return response


# ---------------------------------------------------------------- the CSVs


def _csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _csv_response(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _number(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _safe_text(value: str) -> str:
    """Stop spreadsheet programs from running text as a formula."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


KPI_COLUMNS = ["month", "record_type", "priority", "raised", "resolved", "churn", "open_at_month_end",
               "mean_response_minutes", "mean_resolution_hours", "response_within_sla_pct", "resolution_within_sla_pct"]
AGED_COLUMNS = ["number", "incident", "product", "short_description", "opened", "age_days", "age_bucket", "state",
                "priority", "assignment_group", "aged_reason"]


def _optional_service(args) -> str:
    service = (args.get("service") or "").strip()
    if service and service not in performance.filter_choices()[0]:
        abort(400, description=f"No service-desk record names the service “{service[:60]}”.")
    return service


@bp.get("/performance/kpis.csv")
@login_required
def kpis_csv():
    try:
        period = periods.period_from(request.args.get("from"), request.args.get("to"))
    except periods.PeriodError as exc:
        abort(400, description=str(exc))
    service = _optional_service(request.args)

    def make() -> str:
        rows = [KPI_COLUMNS]
        for f in kpis.kpi_csv_rows(period, periods.Filters(service=service)):
            rows.append([
                month_text(f.month), f.record_type, f.priority, f.raised, f.resolved, f.churn, f.open_at_month_end,
                _number(f.mean_response_minutes, 1), _number(f.mean_resolution_hours, 2),
                _number(f.response_within_sla_pct, 1), _number(f.resolution_within_sla_pct, 1),
            ])
        return _csv_text(rows)

    # Kept like the dashboard's results: the same figures, keyed the same way.
    text = performance.kept(("kpis.csv", period, service), make)
    return _csv_response(text, f"kpis-{month_text(period.first)}-to-{month_text(period.last)}.csv")


@bp.get("/performance/aged.csv")
@login_required
def aged_csv():
    try:
        as_at = parse_day(request.args["as_at"], "as_at") if request.args.get("as_at") else periods.london_today()
    except periods.PeriodError as exc:
        abort(400, description=str(exc))
    service = _optional_service(request.args)
    rows = [AGED_COLUMNS]
    for case in aged.aged_cases(as_at, periods.Filters(service=service)):
        rows.append([
            case.number, case.incident, _safe_text(case.product), _safe_text(case.short_description),
            case.opened_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"), case.age_days, case.age_bucket,
            _safe_text(case.state), case.priority_code, _safe_text(case.assignment_group), _safe_text(case.aged_reason),
        ])
    return _csv_response(_csv_text(rows), f"aged-cases-{as_at.isoformat()}.csv")


# ---------------------------------------------------------------- importing an extract


def _import_page(form, job: Job | None = None, status: int = 200, problem: str = ""):
    return render_template("servicedesk/import.html", form=form, job=job, problem=problem), status


@bp.route("/performance/import", methods=["GET", "POST"])
@csrf.exempt  # the form checks its CSRF token itself, after the upload's own size limit is set
@staff_required
def import_extract():
    """Keep the uploaded extract and queue its import; the browser follows the job's progress."""
    limit = current_app.config["SERVICEDESK_IMPORT_MAX_BYTES"]
    if request.method == "POST":
        # An extract may be larger than other uploads. The request is refused from its
        # Content-Length before the body is read; the file part streams to a temporary file.
        request.max_content_length = limit + 64 * 1024
        try:
            request.files  # noqa: B018 (parses the body)
        except RequestEntityTooLarge:
            form = ServiceDeskImportForm(formdata=None)
            return _import_page(form, status=413, problem=f"The file is larger than {jobs.file_size(limit)}, "
                                "the most an extract may be. Export fewer records at a time.")
    form = ServiceDeskImportForm()
    if not form.validate_on_submit():
        return _import_page(form, status=422 if request.method == "POST" else 200)
    file = form.file.data
    file.stream.seek(0, os.SEEK_END)
    size = file.stream.tell()
    file.stream.seek(0)
    if size == 0 or size > limit:
        problem = ("The file is empty." if size == 0 else
                   f"The file is {jobs.file_size(size)}; an extract may be at most {jobs.file_size(limit)}.")
        return _import_page(ServiceDeskImportForm(formdata=None), status=422, problem=problem)
    with unit_of_work():
        upload = store_upload(file, os.path.basename(file.filename or "extract"), user=current_user)
        job = queue_upload_job("servicedesk_import", upload, current_user)
    return redirect(url_for("servicedesk.import_progress", job_id=job.id), code=303)


@bp.get("/performance/import/<int:job_id>")
@staff_required
def import_progress(job_id: int):
    """An import's progress and outcome, with the form for the next one."""
    return _import_page(ServiceDeskImportForm(formdata=None), job_or_404(job_id, "servicedesk_import"))


# ---------------------------------------------------------------- major incidents


def get_incident(number: str) -> ServiceDeskRecord:
    """A P1/P2 or major incident by its number, or 404."""
    record = servicedesk_service.get_record(number)
    if record is None or not record.mi_review:
        abort(404)
    return record


def _to_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=LONDON).astimezone(UTC)


def _to_london(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(LONDON).replace(tzinfo=None, second=0, microsecond=0)


def _incident_page(record: ServiceDeskRecord, *, status: int = 200, communications=None, update_form=None,
                   action_form=None, action_forms=None, problem: str = "", notice_form=None, notice_act: str = ""):
    staff = current_user.is_staff
    notice = mi_notices.notice_for(record)
    if staff:
        communications = communications or CommunicationsForm(data={
            "portal_banner": _to_london(record.mi_portal_banner_at),
            "mi_email": _to_london(record.mi_email_at),
            "industry_circular": _to_london(record.industry_circular_at),
            "pir_published": record.pir_published_on,
        })
        update_form = update_form or MiUpdateForm()
        action_form = action_form or PirActionForm()
        action_forms = action_forms or {}
        for action in record.pir_actions:
            action_forms.setdefault(action.id, PirActionUpdateForm(
                prefix=f"a{action.id}", data={"status": action.status, "owner_name": action.owner_name,
                                              "due_date": action.due_date, "version": str(action.version)}))
    return render_template(
        "servicedesk/incident.html",
        record=record,
        review=incidents.review_incident(record),
        communications=communications if staff else None,
        update_form=update_form if staff else None,
        action_form=action_form if staff else None,
        action_forms=action_forms if staff else {},
        delete_form=EmptyForm() if staff else None,
        problem=problem,
        pir_due=incidents.pir_due(record),
        notice=notice, notice_form=(notice_form or NoticeForm()) if staff else None, notice_act=notice_act,
    ), status


@bp.get("/performance/incidents/<number>")
@login_required
def incident(number: str):
    return _incident_page(get_incident(number))


@bp.post("/performance/incidents/<number>/communications")
@staff_required
def record_communications(number: str):
    record = get_incident(number)
    form = CommunicationsForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                changed = major_incidents.record_communications(
                    record, portal_banner=_to_utc(form.portal_banner.data), mi_email=_to_utc(form.mi_email.data),
                    industry_circular=_to_utc(form.industry_circular.data), pir_published=form.pir_published.data,
                    user=current_user,
                )
        except servicedesk_service.ServiceDeskError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(f"Saved for {record.number}: {', '.join(changed)}." if changed else "Nothing changed, so nothing was saved.",
                  "success" if changed else "info")
            return redirect(url_for("servicedesk.incident", number=record.number), code=303)
    return _incident_page(record, status=422, communications=form)


@bp.post("/performance/incidents/<number>/updates")
@staff_required
def add_update(number: str):
    record = get_incident(number)
    form = MiUpdateForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                major_incidents.add_mi_update(record, form.channel.data, _to_utc(form.sent_at.data), current_user)
        except servicedesk_service.ServiceDeskError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Update recorded.", "success")
            return redirect(url_for("servicedesk.incident", number=record.number, _anchor="communications"), code=303)
    return _incident_page(record, status=422, update_form=form)


@bp.post("/performance/incidents/<number>/updates/<int:update_id>/delete")
@staff_required
def delete_update(number: str, update_id: int):
    record = get_incident(number)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            major_incidents.remove_mi_update(record, update_id, current_user)
    except LookupError:
        abort(404)
    flash("Update removed.", "success")
    return redirect(url_for("servicedesk.incident", number=record.number, _anchor="communications"), code=303)


@bp.post("/performance/incidents/<number>/actions")
@staff_required
def add_action(number: str):
    record = get_incident(number)
    form = PirActionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                action = major_incidents.add_pir_action(
                    record, description=form.description.data, owner_name=form.owner_name.data,
                    due_date=form.due_date.data, user=current_user,
                )
        except servicedesk_service.ServiceDeskError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("PIR action added.", "success")
            return redirect(url_for("servicedesk.incident", number=record.number, _anchor=f"pir-action-{action.id}"),
                            code=303)
    return _incident_page(record, status=422, action_form=form)


@bp.post("/performance/pir-actions/<int:action_id>")
@staff_required
def update_action(action_id: int):
    action = db.session.get(PirAction, action_id)
    if action is None:
        abort(404)
    record = action.record
    form = PirActionUpdateForm(prefix=f"a{action.id}")
    if form.validate_on_submit():
        try:
            with unit_of_work():
                update = major_incidents.update_pir_action(
                    action, status=form.status.data, owner_name=form.owner_name.data, due_date=form.due_date.data,
                    note=form.note.data or "", user=current_user, expected_version=version_number(form.version.data),
                )
        except servicedesk_service.ServiceDeskError as exc:
            form.form_errors.append(str(exc))
        except ConflictError:
            fresh = db.session.get(PirAction, action_id)
            form.form_errors.append(
                "Someone else updated this action after you opened it, so your change was not saved. It now reads: "
                f"{fresh.status}, owner {fresh.owner_name}. Your input is kept below: check it and save again."
            )
            form.version.data = str(fresh.version)
            return _incident_page(fresh.record, status=409, action_forms={action_id: form})
        else:
            flash("PIR action updated." if update else "Nothing changed, so nothing was saved.",
                  "success" if update else "info")
            return redirect(url_for("servicedesk.incident", number=record.number, _anchor=f"pir-action-{action.id}"),
                            code=303)
    return _incident_page(record, status=422, action_forms={action.id: form})


# ---------------------------------------------------------------- how figures read

bp.add_app_template_filter(kpis.minutes_text, "mins")
bp.add_app_template_filter(kpis.hours_minutes_text, "hours_minutes")
bp.add_app_template_filter(kpis.percent_text, "pct")
bp.add_app_template_filter(kpis.signed_text, "signed")


from . import pages  # noqa: E402,F401  (the major-incident notice routes, on this blueprint)
