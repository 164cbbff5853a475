"""Choice lists used by the forms, the filters, the seeds, the exports and the PDF.

Each list holds (code, label) pairs: the code is what is stored and what appears
in URLs (``/issues?service=DIP``); the label is what people read.
"""

from __future__ import annotations

SERVICES = [
    ("DIP", "DIP – Data Integration Platform"),
    ("ISD", "ISD – Industry Standing Data"),
    ("MDS", "MDS – Market-wide Data Service"),
    ("DAH", "DAH – Data Access Hub"),
    ("LSS", "LSS – Load Shaping Service"),
    ("VAS", "VAS – Volume Allocation Service"),
    ("Platform", "Platform"),
    ("Service Management", "Service Management"),
    ("Other", "Other"),
]
SERVICE_CODES = [code for code, _ in SERVICES]

SETTLEMENT_MESSAGES = [
    ("Dflows", "Dflows"),
    ("IF", "IF – interface flows"),
    ("PUB", "PUB – publications"),
    ("REP", "REP – reports"),
    ("Various", "Various"),
    ("N/A", "None / not applicable"),
]
MESSAGE_CODES = [code for code, _ in SETTLEMENT_MESSAGES]

# Current status of the issue, in lifecycle order. The last two count as closed.
STATUSES = [
    ("New", "New – awaiting assessment"),
    ("Under investigation", "Under investigation"),
    ("Under analysis", "Under analysis"),
    ("Known behaviour", "Known behaviour"),
    ("Fix in progress", "Fix in progress"),
    ("Monitoring", "Monitoring"),
    ("Resolved", "Resolved"),
    ("Closed", "Closed"),
]
STATUS_CODES = [code for code, _ in STATUSES]
CLOSED_STATUSES = ("Resolved", "Closed")
OPEN_STATUSES = tuple(code for code in STATUS_CODES if code not in CLOSED_STATUSES)

IMPACT_ASSESSMENT = [
    ("Not started", "Not started"),
    ("In Progress", "In progress"),
    ("Confirmed", "Confirmed"),
]
IMPACT_CODES = [code for code, _ in IMPACT_ASSESSMENT]

RESOLUTION_STATUSES = [
    ("Not started", "Not started"),
    ("Planned", "Planned"),
    ("In Progress", "In progress"),
    ("Complete", "Complete"),
]
RESOLUTION_CODES = [code for code, _ in RESOLUTION_STATUSES]

NEXT_RUN = [("Yes", "Yes"), ("No", "No"), ("Unknown", "Unknown")]
NEXT_RUN_CODES = [code for code, _ in NEXT_RUN]

ROOT_CAUSE_CERTAINTY = [("Suspected", "Suspected"), ("Known", "Known")]

# Severity follows the service desk's priorities (P1 is the most severe).
SEVERITIES = [
    (1, "P1 – Critical"),
    (2, "P2 – High"),
    (3, "P3 – Moderate"),
    (4, "P4 – Low"),
]
SEVERITY_LABELS = dict(SEVERITIES)

# How many parties are impacted: a named band or a number.
PARTY_COUNT_HELP = 'Enter "Individual", "Multiple" or a number of parties.'
PARTY_COUNT_BANDS = ("Individual", "Multiple")

TRIAGE_STATES = [
    ("pending", "Awaiting triage"),
    ("published", "Published"),
    ("rejected", "Rejected"),
]

ACTION_STATUSES = [("Open", "Open"), ("In Progress", "In progress"), ("Done", "Done")]
ACTION_STATUS_CODES = [code for code, _ in ACTION_STATUSES]

ROLES = [("participant", "Participant"), ("staff", "Staff"), ("admin", "Admin")]
ROLE_CODES = [code for code, _ in ROLES]

ORGANISATION_KINDS = [
    ("supplier", "Supplier"),
    ("distributor", "Distributor"),
    ("agent", "Agent / data service"),
    ("platform", "Platform provider"),
    ("service_provider", "Service provider"),
    ("other", "Other"),
]

SORTS = [
    ("updated", "Last update (most recent first)"),
    ("stale", "Last update (oldest first)"),
    ("age", "Age (oldest first)"),
    ("newest", "Newest first"),
    ("severity", "Severity (most severe first)"),
    ("affected", "Most organisations affected"),
    ("id", "Issue ID"),
]
SORT_CODES = [code for code, _ in SORTS]

AGE_BUCKETS = [(0, 13), (14, 29), (30, 59), (60, 89), (90, None)]


def age_bucket_label(low: int, high: int | None) -> str:
    return f"{low}+ days" if high is None else f"{low}–{high} days"


FORUM_ACTION_STATUSES = [("Open", "Open"), ("Propose Close", "Propose Close"), ("Closed", "Closed")]
FORUM_ACTION_STATUS_CODES = [code for code, _ in FORUM_ACTION_STATUSES]

POLL_QUESTION_KINDS = [
    ("choice", "Single choice"),
    ("rating", "Rating 1–5"),
    ("text", "Free text"),
]
POLL_STATES = [("draft", "Draft"), ("open", "Open"), ("closed", "Closed")]
DEFAULT_RATING_LABELS = {
    1: "1 = Very Poor",
    2: "2 = Below Expectations",
    3: "3 = Meets Expectations",
    4: "4 = Above Expectations",
    5: "5 = Excellent",
}
