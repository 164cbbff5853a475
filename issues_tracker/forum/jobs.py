"""The forum's background work: rendering a meeting's pack (30–60 s of layout) off the web request."""

from __future__ import annotations

from ..core.extensions import db
from ..jobs import JobFailed, job
from . import pack as pack_service
from .models import Meeting


# Safe to run again: a render only replaces the stored PDF.
@job("meeting_pack", retries=1, title="Preparing the meeting pack", slow=True)
def meeting_pack_job(ctx, meeting_id: int) -> str:
    """Gather the meeting's figures, lay the pack out and store the PDF."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise JobFailed("That meeting no longer exists.")
    ctx.progress(10, "gathering the figures")
    contents = pack_service.pack_contents(meeting)
    ctx.progress(30, "laying out the pages")
    pdf = pack_service.render_pack_pdf(contents)
    ctx.progress(95, "storing the PDF")
    pack = pack_service.store_pack(meeting, contents, pdf)
    ctx.link_to("forum.meeting_pack_pdf", "Open the pack (PDF)", meeting_id=meeting.id)
    return f"The pack for {meeting.title} is ready ({pack.size_bytes / 1024:.0f} kB)."
