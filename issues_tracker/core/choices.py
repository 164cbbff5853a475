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
    ("In progress", "In progress"),
    ("Confirmed", "Confirmed"),
]
IMPACT_CODES = [code for code, _ in IMPACT_ASSESSMENT]

RESOLUTION_STATUSES = [
    ("Not started", "Not started"),
    ("Planned", "Planned"),
    ("In progress", "In progress"),
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

ACTION_STATUSES = [("Open", "Open"), ("In progress", "In progress"), ("Done", "Done")]
ACTION_STATUS_CODES = [code for code, _ in ACTION_STATUSES]

# The organisation that runs the service and its service desk (its people are the staff).
SERVICE_PROVIDER = "Elexon"

ROLES = [("participant", "Participant"), ("staff", "Staff"), ("admin", "Admin")]
ROLE_CODES = [code for code, _ in ROLES]

# An organisation's contact register: each role is a column of the contact and decides which
# emails reach it (organisations.distribution).
CONTACT_ROLES = [
    ("primary_contact", "Primary contact"),
    ("escalation_contact", "Escalation contact"),
    ("forum_invitee", "Forum invitee"),
    ("log_recipient", "Monday-log recipient"),
    ("major_incident_contact", "Major-incident contact"),
]
CONTACT_ROLE_CODES = [code for code, _ in CONTACT_ROLES]
# The roles that receive email, and the kind of email each unsubscribes from.
DISTRIBUTION_ROLES = {
    "forum_invitee": "forum meeting invitations",
    "log_recipient": "the Monday issues log",
    "major_incident_contact": "major-incident emails",
}

# ---------------------------------------------------------------- the improvement programme

# The IPA review's four recommendation themes (the pack's section 02), in its order.
IMPROVEMENT_THEMES = [
    ("governance", "Operational control and governance"),
    ("csi_pirs", "Continuous improvement and PIRs"),
    ("participant_support", "Participant support and guidance"),
    ("future_tom", "Future TOM role and accountability"),
]
IMPROVEMENT_THEME_CODES = [code for code, _ in IMPROVEMENT_THEMES]
IMPROVEMENT_ACTION_KINDS = [("tactical", "Tactical"), ("strategic", "Strategic")]
IMPROVEMENT_ACTION_STATUSES = [("not_started", "Not started"), ("in_progress", "In progress"), ("complete", "Complete")]
IMPROVEMENT_ACTION_STATUS_CODES = [code for code, _ in IMPROVEMENT_ACTION_STATUSES]
# The continual-service-improvement pipeline: a proposal, triaged, then the pack's five phases.
IMPROVEMENT_STATES = [
    ("proposed", "Proposed, awaiting triage"),
    ("accepted", "In the pipeline"),
    ("declined", "Declined"),
    ("delivered", "Delivered, benefit measured"),
]
IMPROVEMENT_STATE_CODES = [code for code, _ in IMPROVEMENT_STATES]
CSI_PHASES = [
    (1, "Phase 1 – Design, stakeholder alignment, workshops"),
    (2, "Phase 2 – Internal review & RACI finalisation"),
    (3, "Phase 3 – Go-Live & BAU transition"),
    (4, "Phase 4 – Stabilisation"),
    (5, "Phase 5 – Reporting, dashboards & KPI embedding"),
]
IMPROVEMENT_SCORES = [
    (1, "1 – Very low"), (2, "2 – Low"), (3, "3 – Medium"), (4, "4 – High"), (5, "5 – Very high"),
]

# ---------------------------------------------------------------- escalations

# The pack's two escalation routes (section 03, "Escalation Routes").
ESCALATION_ROUTES = [
    ("elexon", "Elexon case / incident route"),
    ("supplier", "Supplier / non-Elexon route"),
]
ESCALATION_ROUTE_CODES = [code for code, _ in ESCALATION_ROUTES]
# Each route's levels, taken in sequence. The supplier route goes through the Support Portal to
# Technical Triage, who route it on to the relevant OSM(s).
ESCALATION_LEVELS = {
    "elexon": [(1, "Level 1 – Service Desk team lead"), (2, "Level 2 – Service Management lead"),
               (3, "Level 3 – Head of Service Management")],
    "supplier": [(1, "Technical Triage (via the Support Portal)"), (2, "The relevant OSM(s), through Technical Triage")],
}
ESCALATION_REASONS = [
    ("overdue", "Materially overdue"),
    ("impact", "Significant or increased service impact"),
    ("blocked", "Blocked by a supplier or non-Elexon dependency"),
]
ESCALATION_REASON_CODES = [code for code, _ in ESCALATION_REASONS]
ESCALATION_SUBJECTS = [("issue", "Industry issue (IIT-…)"), ("case", "Case (CS…)"), ("incident", "Incident (INC…)")]
ESCALATION_STATUSES = [("open", "Awaiting acknowledgement"), ("acknowledged", "Acknowledged"), ("closed", "Closed")]

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

# ---------------------------------------------------------------- service desk

SERVICEDESK_RECORD_TYPES = [("case", "Cases"), ("incident", "Incidents")]
SERVICEDESK_PRIORITIES = [
    (1, "P1 – Critical"),
    (2, "P2 – High"),
    (3, "P3 – Moderate"),
    (4, "P4 – Low"),
    (5, "P5 – Cross-party (no service level)"),
]
# Aged cases: whole calendar days open, as the pack's extract buckets them.
SERVICEDESK_AGE_BUCKETS = [(0, 13), (14, 29), (30, 59), (60, 89), (90, 119), (120, None)]


def servicedesk_age_bucket(days: int) -> str:
    for low, high in SERVICEDESK_AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return f"{low}+" if high is None else f"{low}-{high}"
    return "0-13"


SERVICEDESK_AGE_BUCKET_LABELS = [f"{low}+" if high is None else f"{low}-{high}" for low, high in SERVICEDESK_AGE_BUCKETS]

# Kind of work, for the trend analysis: a record's category (when the extract has one)
# is looked at first, then its assignment group; the first rule whose word appears
# decides. A record neither names is classed by its type: a case as guidance, an
# incident as technical.
WORK_KINDS = [("guidance", "Guidance / knowledge"), ("technical", "Technical / operational")]
WORK_KIND_LABELS = dict(WORK_KINDS)
WORK_KIND_RULES = [
    ("guidance", ("query", "queries", "question", "guidance", "advice", "how to", "information", "documentation",
                  "knowledge", "onboarding", "access request", "service request", "triage", "service desk",
                  "assurance")),
    ("technical", ("incident", "fault", "defect", "error", "failure", "outage", "availability", "performance",
                   "ingestion", "interface", "data prep", "(sdp)", "s&i", "operations", "infrastructure",
                   "integration", "development", "release", "change", "monitoring", "data integrity")),
]
WORK_KIND_SOURCES = [
    ("category", "Category"),
    ("assignment group", "Assignment group"),
    ("record type", "Record type (no category or group matched)"),
]

PIR_ACTION_STATUSES = [("Open", "Open"), ("In progress", "In progress"), ("Closed", "Closed")]
PIR_ACTION_STATUS_CODES = [code for code, _ in PIR_ACTION_STATUSES]
MI_UPDATE_CHANNELS = [("email", "MI email update"), ("circular", "Industry circular update")]
