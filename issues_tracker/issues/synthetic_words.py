"""What generated issues are made of: the industry's organisations and staff, services and message
flows, kinds of issue (archetypes) and the words of their progress notes, actions and resolutions."""

from __future__ import annotations

from dataclasses import dataclass

# Demand by service as the pack's trend analysis and tracker describe it.
SERVICE_WEIGHTS = {
    "DIP": 30,
    "ISD": 22,
    "Platform": 12,
    "DAH": 10,
    "MDS": 8,
    "Service Management": 6,
    "LSS": 5,
    "VAS": 5,
    "Other": 2,
}


# Severity: "low-to-moderate severity dominates" (trend analysis).
SEVERITY_WEIGHTS = {1: 2, 2: 10, 3: 45, 4: 43}


ORGANISATIONS = [
    ("Northern Supply Co", "supplier"),
    ("Brightwater Energy", "supplier"),
    ("Solent Power", "supplier"),
    ("Pennine Home Energy", "supplier"),
    ("Greenleaf Electricity", "supplier"),
    ("Atlas Business Energy", "supplier"),
    ("Eastern Networks", "distributor"),
    ("Highland Grid Distribution", "distributor"),
    ("Midlands Networks", "distributor"),
    ("Meridian Data Services", "agent"),
    ("Keystone Metering Services", "agent"),
    ("Harbour Data Collection", "agent"),
]


STAFF = [
    ("Morgan Hale", "morgan.hale"),
    ("Priya Raman", "priya.raman"),
    ("Tom Okafor", "tom.okafor"),
    ("Hannah Lowe", "hannah.lowe"),
    ("Dev Mistry", "dev.mistry"),
    ("Ellen Carr", "ellen.carr"),
]


STAFF_EMAIL_DOMAIN = "service-management.example"


FLOWS = {
    "IF": ["IF-001", "IF-014", "IF-021", "IF-033", "IF-036"],
    "PUB": ["PUB-002", "PUB-003", "PUB-014", "PUB-024", "PUB-030"],
    "REP": ["REP-002A", "REP-002B", "REP-004", "REP-011"],
}


@dataclass(frozen=True)
class Archetype:
    """One kind of issue, in the pack's tracker columns; summaries vary around it."""

    services: tuple[str, ...]
    summaries: tuple[str, ...]
    root_cause: str
    settlement_impact: str
    action_underway: str
    resolution: str
    dependencies: str
    parties: str
    messages: tuple[str, ...]


ARCHETYPES = [
    Archetype(("DIP",), ("Message schema validation failures", "Schema validation rejections for {IF}"),
              "Participant message format errors", "Rejections causing processing delays",
              "Schema validation guidance issued", "Participants updating message structures",
              "Participant configuration", "Suppliers / Participants", ("Dflows",)),
    Archetype(("DIP",), ("Visibility of message processing status", "No acknowledgement visible for {PUB}"),
              "Limited processing visibility", "Participants unsure if messages processed",
              "Guidance on checking ACKs/logs", "Considered visibility enhancements",
              "Platform monitoring", "Elexon / Platform provider", ("Dflows", "PUB")),
    Archetype(("DIP", "ISD"), ("Guidance on message submission process", "Unexpected platform behaviour queries"),
              "User understanding / documentation", "Incorrect submission approaches",
              "Guidance provided", "Improved documentation", "Documentation updates", "Elexon", ("Dflows", "Various")),
    Archetype(("ISD",), ("Settlement output interpretation queries", "Issue with validation of {REP}"),
              "Complex reporting interpretation", "Misinterpretation of outputs",
              "Interpretation guidance provided", "Enhanced reporting documentation",
              "Reporting documentation", "Elexon / Participants", ("REP",)),
    Archetype(("Platform", "DIP"), ("Catalogue / schema version confusion", "Outdated schema used for {IF}"),
              "Version management awareness", "Use of outdated schemas",
              "Advised to use latest catalogue", "Better version visibility", "Catalogue publication", "Elexon",
              ("IF", "PUB")),
    Archetype(("ISD",), ("Data reconciliation discrepancies", "Standing data differs from participant records"),
              "Participant data comparison differences", "Differences vs internal data",
              "Reviewing reconciliation logic", "Updated reconciliation guidance", "Reconciliation logic",
              "Participants / Elexon", ("REP",)),
    Archetype(("Platform",), ("Certificate expiry / TLS issues", "DIP certificate renewal failures"),
              "Certificate lifecycle management", "Connection failures", "Renewal guidance issued",
              "Certificates renewed", "Certificate processes", "Participants", ("N/A",)),
    Archetype(("Platform",), ("MFA access issues", "Users locked out of the portal"),
              "User access configuration", "Users unable to access systems", "Access reset guidance provided",
              "MFA reset", "Identity management", "Participants / Elexon", ("N/A",)),
    Archetype(("Service Management",), ("Case status tracking queries", "Late notification of incident updates"),
              "Visibility gap", "Limited visibility of case progress", "Service desk updates",
              "Improved status visibility in portal", "ServiceNow enhancements", "Elexon", ("N/A",)),
    Archetype(("DIP",), ("Message processing delays (peak periods)", "DIP large file processing delays"),
              "Throughput under load", "Temporary processing delays", "Monitoring platform performance",
              "Platform optimisation", "Platform capacity", "Platform provider", ("Dflows",)),
    Archetype(("DIP",), ("Incorrect message structure submissions", "{PUB} rejections for unmetered de-energised MPANs"),
              "Participant system configuration", "Validation failures", "Guidance provided",
              "Participant fixes ongoing", "Integration systems", "Suppliers", ("Dflows", "PUB")),
    Archetype(("Platform",), ("Incorrect endpoint configuration", "Failed connectivity to the DIP test endpoint"),
              "Wrong endpoint usage", "Failed connectivity", "Correct endpoint guidance issued",
              "Endpoint correction", "Participant configuration", "Participants", ("IF",)),
    Archetype(("MDS", "DAH"), ("Data ingestion anomalies", "{IF} incorrect energisation status in MDS"),
              "Ingestion validation issues", "Record rejections", "Reviewing validation rules",
              "Adjustment to ingestion rules", "Validation logic", "Platform provider", ("PUB", "REP")),
    Archetype(("Platform", "Other"), ("Onboarding queries", "Wave 1 onboarding readiness queries"),
              "Onboarding process understanding", "Support needed during onboarding", "Support provided",
              "Improved documentation", "Onboarding materials", "Elexon", ("Various",)),
    Archetype(("DIP",), ("Receipt of {IF} for secondary MPAN", "Timings of migration messages"),
              "Message routing for linked MPANs", "Flows received out of sequence",
              "Reviewing routing rules with the DIP Manager", "Routing rule correction", "DIP release",
              "DIP Manager", ("IF", "Dflows")),
    Archetype(("MDS",), ("MPANs excluded from settlement (SPQI)", "Retrospective data service appointments settlement risk"),
              "Appointment data not applied before the run", "MPANs missing from settlement volumes",
              "Manual inclusion ahead of the next run", "Data correction and reprocessing", "Settlement calendar",
              "Elexon / Platform provider", ("REP", "PUB")),
    Archetype(("DAH",), ("Ingestion retry failures", "Scheduled extract not delivered", "Monitoring alert gaps"),
              "Scheduler configuration", "Late or missing data for downstream users", "Manual re-run of the schedule",
              "Scheduler fix and retry policy", "Platform monitoring", "Platform provider", ("REP",)),
    Archetype(("LSS", "VAS"), ("API readiness for {service} rollout", "Historic data load for {service}"),
              "Rollout sequencing", "Downstream usage delayed", "Rollout plan shared",
              "Phased rollout with historic data backfill", "Release timetable", "Elexon / Platform provider",
              ("PUB", "REP")),
    Archetype(("ISD",), ("ISD API availability", "Industry standing data published late"),
              "API availability under load", "Participants using stale standing data", "Monitoring API availability",
              "Capacity increase", "Platform capacity", "Platform provider", ("Various",)),
]


QUALIFIERS = ["", "", "", " (peak periods)", " after the {month} release", " for secondary MPANs",
              " during migration", " for half-hourly MPANs", " – {org}", " in Wave 1"]


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


AGED_REASONS = [
    "Case paused while awaiting additional information or confirmation.",
    "Ageing driven by reassignment or dependency on another team or external party.",
    "Linked to product backlog, release timing, or planned change activity.",
    "Managed through an associated incident and service management review.",
]


PROGRESS_NOTES = [
    "Reviewed at the Service Management Forum.",
    "Awaiting participant response before the next step.",
    "Linked to the product backlog; fix planned for the next release.",
    "Guidance issued through Technical Triage.",
    "Workaround agreed with the affected parties.",
    "Discussed at TOG; update due at the next meeting.",
    "Escalated to the platform provider via the OSM route.",
    "Further examples requested from the participant.",
    "Root cause confirmed with the platform provider.",
    "Included in this week's industry issues log.",
    "Release notes issued 20 days ahead of the change.",
    "Cross-checked with similar cases raised this month.",
]


RESOLVED_NOTES = [
    "Fix deployed; the next settlement run completed without rejections.",
    "Guidance published and confirmed by the affected parties.",
    "Participants confirmed their systems are corrected.",
    "Monitoring shows no recurrence over two settlement runs.",
]


ACTIONS = [
    "Issue a guidance note to affected participants",
    "Confirm the root cause with the platform provider",
    "Share examples of rejected messages",
    "Deploy the fix in the next DIP release",
    "Update the knowledge base article",
    "Confirm the outcome after the next settlement run",
    "Review the reconciliation logic",
    "Contact the affected parties and agree a workaround",
    "Add the item to the Continuous Improvement backlog",
    "Present an update at the Service Management Forum",
]


REJECTION_REASONS = [
    "Duplicate of an existing industry issue.",
    "A single-party configuration matter; handled as a service-desk case.",
    "Not an industry issue: raised with the wrong service desk.",
    "Not enough detail to assess; resubmit with examples.",
]


# Open issues stop somewhere along the way; closed ones went all the way.
OPEN_STAGES = ["Under investigation", "Under analysis", "Known behaviour", "Fix in progress", "Monitoring"]
