"""The log's background jobs: publishing a week, and rendering a draft to preview.

Laying out a long log takes seconds to a minute and hundreds of megabytes, so it
never happens in a web request: the page queues a job, a worker renders, and the
page follows the job's progress from whichever app server answers. Both are safe
to run again after an unexpected error: publishing a week that is already
published changes nothing, and a draft stores nothing but its own file.
"""

from __future__ import annotations

from datetime import date

from ..jobs import JobFailed, job
from .contents import render_draft
from .operations import publish_log
from .weeks import LogError


@job("log_publish", retries=2, retry_delay=10, title="Publishing the log", slow=True)
def publish_log_job(ctx, week: str, revise: bool = False, reason: str = "") -> str:
    week_date = date.fromisoformat(week)
    ctx.progress(10, "Collecting the issues and laying out the PDF")
    try:
        outcome = publish_log(week_date, user=ctx.user, revise=revise, reason=reason)
    except LogError as exc:
        raise JobFailed(str(exc)) from None
    ctx.progress(95, "Stored")
    ctx.link_to("log.week_pdf", f"Download revision {outcome.log.revision}", week=week, revision=outcome.log.revision)
    return outcome.message


@job("log_preview", retries=1, title="Rendering the draft log", slow=True)
def preview_log_job(ctx, week: str) -> str:
    week_date = date.fromisoformat(week)
    ctx.progress(10, "Collecting the issues and laying out the PDF")
    try:
        pdf = render_draft(week_date)
    except LogError as exc:
        raise JobFailed(str(exc)) from None
    ctx.keep_output(pdf, f"industry-issues-log-{week}-draft.pdf", "application/pdf")
    ctx.link_to("log.preview", "Open the draft (PDF)", job_id=ctx.job_id)
    return f"The draft for the week commencing {week_date:%d %b %Y} is ready."
