from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField

from .base import AppForm


class TrackerImportForm(AppForm):
    file = FileField(
        "Tracker spreadsheet",
        validators=[
            FileRequired("Choose the tracker file to import."),
            FileAllowed(["xlsx", "csv"], "Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
        ],
        description="The MVP tracker's columns, with “Issue ID” and “Issue Summary” in the first row. "
        "Rows already imported (same Issue ID) are updated; every change is journalled.",
    )
    submit = SubmitField("Import")
