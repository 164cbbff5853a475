"""The tracker's fields, each declared once: what it is called, how it is asked for and checked,
who may set it, how it is exported, read back from a spreadsheet, and found by search.

The submission form and the staff editor, the issue page and its journal, the list's
filters, the CSV and Excel export, the spreadsheet import, the search document and the
Monday log's table headings all take their wording and rules from here, so a label reads
the same everywhere and an exported sheet imports back as it was.

A field's `label` is its name on screens; `short` its heading where a table is narrow;
`column` its header in the MVP tracker's spreadsheet (the export writes it and the import
reads it, with `aliases` from older sheets).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ..core import choices

SERVICE_DESK_REF = re.compile(r"^(CS|INC|PRB|CHG|RITM)\d{4,10}$")
SERVICE_DESK_REFS_LENGTH = 300  # Issue.service_desk_refs


class FieldError(ValueError):
    """A value a field cannot hold; the message says why, in the field's own words."""


# ---------------------------------------------------------------- values that need more than a choice


def parse_party_count(value: str) -> str:
    """Normalise "individual"/"multiple"/a number; FieldError otherwise."""
    text = (value or "").strip()
    if not text:
        return ""
    for band in choices.PARTY_COUNT_BANDS:
        if text.lower() == band.lower():
            return band
    if text.isascii() and text.isdigit() and 0 < int(text) <= 100_000:
        return str(int(text))
    raise FieldError(choices.PARTY_COUNT_HELP)


def parse_service_desk_refs(value: str) -> list[str]:
    """Split "CS0016629, INC0126133" into validated, upper-cased references."""
    refs = []
    for token in re.split(r"[\s,;]+", (value or "").strip()):
        if not token:
            continue
        ref = token.upper()
        if not SERVICE_DESK_REF.match(ref):
            raise FieldError(
                f'"{token[:30]}" is not a service-desk reference. Use case or incident numbers '
                "such as CS0016629 or INC0126133, separated by commas."
            )
        if ref not in refs:
            refs.append(ref)
    return refs


def format_service_desk_refs(value: str) -> str:
    """The references as stored ("CS0016629, INC0126133"); FieldError when they do not fit."""
    text = ", ".join(parse_service_desk_refs(value))
    if len(text) > SERVICE_DESK_REFS_LENGTH:
        raise FieldError(
            f"Too many service-desk references: written out they take {len(text)} characters, "
            f"and {SERVICE_DESK_REFS_LENGTH} fit. Give the main cases and incidents only."
        )
    return text


# Other spellings of settlement message types found in hand-kept trackers.
MESSAGE_ALIASES = {"reps": "REP", "rep": "REP", "dflow": "Dflows", "none": "N/A"}


def split_codes(text: str, codes: list[str]) -> list[str]:
    """"DIP / ISD", "Dflows, PUB" or "N/A" as codes: separated by "/", "," or ";", except
    where the separator belongs to a code ("N/A")."""
    known = sorted((code for code in codes if "/" in code), key=len, reverse=True)
    pattern = "|".join([re.escape(code) for code in known] + [r"[^/,;]+"])
    return [part.strip() for part in re.findall(pattern, text or "", flags=re.IGNORECASE) if part.strip()]


# ---------------------------------------------------------------- the fields


@dataclass(frozen=True)
class Field:
    name: str  # the Issue attribute, the form field, the journal's field name
    label: str
    kind: str  # line | text | choice | choices | severity | party_count | refs | date | owner
    section: str  # where the form and the page group it: issue | impact | cause | progress
    set_by: str = "submitter"  # submitter (and staff afterwards) | staff
    help: str = ""
    short: str = ""
    column: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple = ()
    max_length: int | None = None
    min_length: int = 0
    required: str = ""  # the message when a submission leaves it out; empty: optional
    default: object = None
    search: str = ""  # the search document's part: summary | names | body | refs | codes

    @property
    def heading(self) -> str:
        return self.short or self.label

    @property
    def header(self) -> str:
        return self.column or self.label

    @property
    def codes(self) -> list:
        return [code for code, _ in self.choices]

    def choice_label(self, code) -> str:
        return dict(self.choices).get(code, "" if code is None else str(code))

    def parse(self, text: str):
        """A spreadsheet cell's text as this field's value; FieldError when it cannot be."""
        text = (text or "").strip()
        if self.kind in ("line", "text"):
            if self.required and not text:
                raise FieldError(f"{self.header} is required.")
            if self.max_length and len(text) > self.max_length:
                raise FieldError(f"{self.header} is longer than {self.max_length:,} characters.")
            if text and len(text) < self.min_length:
                raise FieldError(f"{self.header} must be {self.min_length} to {self.max_length} characters.")
            return text
        if self.kind == "choice":
            return self._code(text, self.default)
        if self.kind == "choices":
            found = []
            for part in split_codes(text, self.codes):
                code = self._code(MESSAGE_ALIASES.get(part.lower(), part), None)
                if code not in found:
                    found.append(code)
            return found
        if self.kind == "severity":
            if not text:
                return self.default
            match = re.match(r"^P?([1-4])\b", text.upper())
            if not match:
                raise FieldError(f"{self.header} “{text[:40]}” is not one of: P1, P2, P3, P4.")
            return int(match.group(1))
        if self.kind == "party_count":
            try:
                return parse_party_count(text)
            except FieldError as exc:
                raise FieldError(f"{self.header}: {exc}") from None
        if self.kind == "refs":
            return format_service_desk_refs(text)
        raise ValueError(f"{self.name} is not read from a cell as text")

    def _code(self, text: str, default):
        if not text:
            return default
        for code, label in self.choices:
            if text.lower() in (str(code).lower(), str(label).lower()):
                return code
        raise FieldError(f"{self.header} “{text[:40]}” is not one of: {', '.join(map(str, self.codes))}.")

    def display(self, value) -> str:
        """The value as a person reads it (the journal's old → new, the export's cell)."""
        if value is None or value == "":
            return ""
        if self.kind == "severity":
            return choices.SEVERITY_LABELS.get(value, str(value))
        if isinstance(value, Iterable) and not isinstance(value, str):
            return " / ".join(value)  # services or messages (a list, or the association proxy)
        if isinstance(value, date | datetime):
            return value.isoformat()
        return str(value)


FIELDS: tuple[Field, ...] = (
    Field("summary", "Issue summary", "line", "issue", short="Summary", column="Issue Summary", aliases=("summary",),
          help="One line that others will recognise, e.g. “Message schema validation failures”.",
          max_length=200, min_length=5, required="Give the issue a short summary.", search="summary"),
    Field("services", "Service / system", "choices", "issue", short="Service", column="Service / System",
          aliases=("service", "services"), choices=tuple(choices.SERVICES),
          help="Every service the issue affects.", required="Choose at least one service or system.", search="codes"),
    Field("description", "Description", "text", "issue", max_length=10_000, required="Describe what is happening.",
          help="What you see, since when, and how you noticed. No personal data, please.", search="body"),
    Field("severity", "Severity", "severity", "issue", short="Sev.", choices=tuple(choices.SEVERITIES), default=3,
          required="Choose a severity.", help="As for service-desk priority: P1 is a critical, widespread impact."),
    Field("service_desk_refs", "Service-desk references", "refs", "issue", column="Service-desk References",
          aliases=("service desk references", "references"), max_length=SERVICE_DESK_REFS_LENGTH,
          help="Case and incident numbers, e.g. CS0016629, INC0126133.", search="refs"),
    Field("supplier_impact", "Suppliers impacted", "party_count", "impact", column="Supplier Count Impacted",
          max_length=20, help=choices.PARTY_COUNT_HELP),
    Field("distributor_impact", "Distributors impacted", "party_count", "impact", column="Distributor Count Impacted",
          max_length=20, help=choices.PARTY_COUNT_HELP),
    Field("messages", "Affected settlement messages", "choices", "impact", short="Messages",
          column="Affected Settlement Messages", choices=tuple(choices.SETTLEMENT_MESSAGES),
          help="Choose every message type affected.", search="codes"),
    Field("settlement_impact", "Settlement impact", "text", "impact", column="Settlement Impact", max_length=5_000,
          help="e.g. “Rejections causing processing delays”.", search="body"),
    Field("next_run_resolves", "Will the next settlement run resolve it?", "choice", "impact",
          short="Next run resolves?", column="Will Next Settlement Run Resolve?", choices=tuple(choices.NEXT_RUN),
          default="Unknown"),
    Field("root_cause", "Root cause (known or suspected)", "text", "cause", short="Root cause",
          column="Root Cause (Known / Suspected)", aliases=("root cause",), max_length=5_000,
          help="Leave blank if unknown.", search="body"),
    Field("root_cause_certainty", "Is the root cause known or suspected?", "choice", "cause",
          choices=tuple(choices.ROOT_CAUSE_CERTAINTY), default="Suspected"),
    Field("dependencies", "Dependencies", "text", "cause", max_length=5_000, search="body"),
    Field("parties_responsible", "Parties responsible for resolution", "line", "cause", short="Parties responsible",
          column="Parties Responsible for Resolution", max_length=200, help="e.g. “Elexon / Platform provider”.", search="names"),
    Field("status", "Current status", "choice", "progress", set_by="staff", short="Status",
          column="Current Status", aliases=("status",), choices=tuple(choices.STATUSES), default="Under investigation",
          search="names"),
    Field("impact_assessment", "Impact assessment status", "choice", "progress", set_by="staff",
          short="Impact assessment", column="Impact Assessment Status", choices=tuple(choices.IMPACT_ASSESSMENT),
          default="Not started"),
    Field("action_underway", "Action underway (interim mitigation)", "text", "progress", set_by="staff",
          short="Action underway", column="Action Underway", max_length=5_000, search="body"),
    Field("resolution_description", "Resolution (long-term solution)", "text", "progress", set_by="staff",
          short="Resolution", column="Resolution Description", aliases=("resolution",), max_length=5_000,
          search="body"),
    Field("resolution_status", "Resolution status", "choice", "progress", set_by="staff",
          column="Resolution Status", choices=tuple(choices.RESOLUTION_STATUSES), default="Not started", search="names"),
    Field("owner_id", "Owner", "owner", "progress", set_by="staff"),
    Field("target_date", "Target date", "date", "progress", set_by="staff", column="Target Date"),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# What a submission holds (and staff may edit later), and what only staff set.
SUBMITTED_FIELDS = tuple(f.name for f in FIELDS if f.set_by == "submitter" and f.kind != "choices")
STAFF_FIELDS = SUBMITTED_FIELDS + tuple(f.name for f in FIELDS if f.set_by == "staff")
LIST_FIELDS = tuple(f.name for f in FIELDS if f.kind == "choices")  # services, messages: rows of their own
# The issue's own columns its search document is made of, by part (services and messages, "codes",
# are rows of their own).
SEARCH_COLUMNS = {part: tuple(f.name for f in FIELDS if f.search == part) for part in ("summary", "names", "body", "refs")}
# The sections of the form and of the issue page, in order.
SECTIONS = (("issue", "The issue"), ("impact", "Impact"), ("cause", "Cause and resolution"), ("progress", "Progress"))


def in_section(section: str, *, staff: bool = False) -> list[Field]:
    return [f for f in FIELDS if f.section == section and (staff or f.set_by == "submitter")]


# Journal entries name fields by these labels; "triage_state" and actions are the journal's own.
JOURNAL_LABELS = {f.name: f.label for f in FIELDS} | {
    "triage_state": "Triage", "action_status": "Action status",
}


def journal_label(name: str) -> str:
    return JOURNAL_LABELS.get(name, name.replace("_", " ").capitalize())


def display(name: str, value) -> str:
    """A field's value as the journal records it (the owner is named by the caller)."""
    field = BY_NAME.get(name)
    return field.display(value) if field else ("" if value in (None, "") else str(value))


# ---------------------------------------------------------------- the spreadsheet's other columns

TRIAGE_LABELS = dict(choices.TRIAGE_STATES)
CERTAINTY = re.compile(r"\s*\((known|suspected)\)\s*$", re.IGNORECASE)


def root_cause_cell(root_cause: str, certainty: str) -> str:
    """The tracker's one "Root Cause (Known / Suspected)" column: "text (Known)"."""
    return f"{root_cause} ({certainty})" if root_cause else ""


def parse_root_cause_cell(text: str) -> tuple[str, str | None]:
    """ "text (Known)" → ("text", "Known"); a cell without the mark keeps the certainty as it is (None)."""
    match = CERTAINTY.search(text or "")
    if not match:
        return (text or "").strip(), None
    return text[:match.start()].strip(), match.group(1).capitalize()


def parse_triage(text: str) -> str | None:
    text = (text or "").strip().lower()
    if not text:
        return None
    for code, label in choices.TRIAGE_STATES:
        if text in (code, label.lower()):
            return code
    raise FieldError(f"Triage “{text[:40]}” is not one of: {', '.join(TRIAGE_LABELS.values())}.")

