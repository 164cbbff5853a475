"""Industry issues: the tracker's fields, submission, triage, updates, actions, the list and its
exports, and the spreadsheet import."""
