"""Form fields shared by several forms."""

from datetime import date, datetime

from wtforms import FieldList, SelectField, SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IntSelectField(SelectField):
    """A select of numbers whose error for text like "high" reads like the others."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Not a valid choice.") from None


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


class SensibleDate:
    """A date (or date-time) within the years this service can mean: 2000 to 2100.

    Browsers and typos produce years like 0001 or 9999; stored, they sort and age
    absurdly and some cannot be shown back in a date input.
    """

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError("Enter a date between 2000 and 2100.")


class RowList(FieldList):
    """A FieldList whose row numbers in field names ("agenda-3-topic") must be plain ASCII digits.

    WTForms accepts any character Python calls a digit ("agenda-²-topic") and then fails
    to read it as a number; such a field name is ignored instead.
    """

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 6:
                    yield int(index)


def ascii_int(text) -> int | None:
    """A whole number written in ASCII digits (surrounding spaces allowed), else None."""
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > 18 or not text.isascii() or not text.isdigit():
        return None
    return int(text)
