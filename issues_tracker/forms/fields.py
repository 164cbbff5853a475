"""Form fields shared by several forms."""

from datetime import date, datetime

from wtforms import SelectField, SelectMultipleField, ValidationError
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
