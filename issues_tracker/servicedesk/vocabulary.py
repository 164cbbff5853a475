"""How the service desk's records read: the extract's columns and priorities, products, services,
assignment groups, categories, short descriptions, states and aged reasons; shared by the seed's extract
(seed_extract.py) and generated records (synthetic.py)."""

from __future__ import annotations

COLUMNS = [
    "Number", "Opened", "Priority", "State", "Short description", "Assignment group", "MHHS Product", "Category",
    "Responded", "Resolved", "Closed", "Incident", "Aged reason", "Aged reason detail", "Major incident",
    "MI portal banner", "MI email", "Industry circular", "PIR published",
]


PRIORITY_LABELS = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low"}


AWAITING = ("Awaiting participant / caller response", "Case paused while awaiting additional information or confirmation.")


DEPENDENCY = ("Cross-team / external dependency",
              "Ageing driven by reassignment or dependency on another team or external party.")


AWAITING_FIX = ("Awaiting fix / release / change", "Linked to product backlog, release timing, or planned change activity.")


TRIAGE = "Elexon - Technical Triage"


ASSURANCE = "Elexon - Assurance"


SDP = "Elexon - Smart Data Prep (SDP) - S&I"


CASE_PRODUCTS = {"MHHS Query": 30, "DIP": 28, "ISD": 20, "DAH": 8, "MDS": 5, "LSS": 4, "VAS": 3, "Platform": 2}


# Incidents by service, month by month: ISD's October spike, DIP's December spike, Data
# Integrity taking over the "Design" incidents from February.
INCIDENT_SERVICES = {
    202509: {"DIP": 30, "ISD": 30, "DAH": 20, "MDS": 10, "Design": 10},
    202510: {"ISD": 40, "DIP": 22, "DAH": 18, "MDS": 8, "Design": 6, "LSS": 3, "VAS": 3},
    202511: {"DIP": 30, "ISD": 25, "DAH": 22, "MDS": 9, "Design": 7, "LSS": 4, "VAS": 3},
    202512: {"DIP": 50, "ISD": 18, "DAH": 16, "MDS": 7, "Design": 5, "LSS": 2, "VAS": 2},
    202601: {"DIP": 32, "ISD": 24, "DAH": 24, "MDS": 9, "Design": 6, "LSS": 3, "VAS": 2},
    202602: {"DIP": 30, "ISD": 24, "DAH": 24, "MDS": 8, "Data Integrity": 9, "LSS": 3, "VAS": 2},
    202603: {"DIP": 28, "ISD": 24, "DAH": 26, "MDS": 7, "Data Integrity": 10, "LSS": 3, "VAS": 2},
}


DESCRIPTIONS = {
    "MHHS Query": ["Migration timetable query", "NHH AMR read query", "REP002A/B interpretation", "Settlement run timing query",
                   "Qualification guidance request", "Market role appointment query", "Data service appointment query"],
    "DIP": ["DIP certificate renewal", "DIP portal access request", "Flow query: IF-021 routing", "Release note clarification",
            "Message rejected on schema validation", "ACK not received for PUB-003", "DIP connectivity test failure",
            "DIP control query", "Large file upload slow"],
    "ISD": ["ISD API availability", "EPG data interpretation", "Standing data mismatch", "ISD download timeout",
            "Guidance on market role data", "ISD change notification query"],
    "DAH": ["Ingestion retry failed", "Schedule change request", "Monitoring alert: late files", "Data correction request",
            "DAH job stuck in queue"],
    "MDS": ["MDS API readiness", "Downstream usage query", "REP-002A validation", "Consumption data gap"],
    "LSS": ["Load shape rollout query", "Historic load shape data request"],
    "VAS": ["VAS allocation query", "Volume report missing"],
    "Platform": ["MFA reset", "Endpoint configuration", "TLS certificate expiry"],
    "Design": ["Design clarification: interface specification", "Design query: message sequence"],
    "Data Integrity": ["MPAN data mismatch between services", "Duplicate registration detected"],
}


CASE_GROUPS = {
    "MHHS Query": [TRIAGE, TRIAGE, ASSURANCE, "Elexon - Service Desk"],
    "DIP": [TRIAGE, "DIP Operations", SDP],
    "ISD": [TRIAGE, SDP, "Elexon - Market Entry"],
    "DAH": ["DAH Platform Operations", TRIAGE],
    "MDS": [SDP, TRIAGE],
    "LSS": [SDP, "Elexon - Market Entry"],
    "VAS": [SDP, "Elexon - Market Entry"],
    "Platform": ["Elexon - Service Desk", "Platform Operations"],
}


INCIDENT_GROUPS = {
    "DIP": ["DIP Operations", SDP],
    "ISD": ["ISD Data Operations", SDP],
    "DAH": ["DAH Platform Operations"],
    "MDS": [SDP, "Elexon - Data Integrity"],
    "LSS": [SDP],
    "VAS": [SDP],
    "Design": ["Elexon - Design Authority"],
    "Data Integrity": ["Elexon - Data Integrity"],
}


CASE_CATEGORIES = ["", "", "", "Query", "Query", "Access Request", "Guidance"]


INCIDENT_CATEGORIES = ["", "", "Fault", "Data Issue", "Performance"]


OPEN_STATES = ["Open", "In Progress", "Awaiting Info"]


YOUNG_AGED_REASONS = [AWAITING, AWAITING, DEPENDENCY, AWAITING_FIX, ("", "")]
