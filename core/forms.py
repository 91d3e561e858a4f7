"""Form errors in the GOV.UK Design System's way: messages that name their field, and
error summary entries that link to where the answer is given.

Django's defaults ("This field is required.", "Ensure this value is greater
than or equal to 1.") also appear in the error summary at the top of the page,
far from their field, where they do not say which answer is wrong. A message
a form sets itself (`error_messages=`) is kept as it is.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name
from django.utils.functional import lazy


class FieldNamedErrors:
    """Mix into a form, before `forms.Form`, to give every default message its field's name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            name_errors(field, field.label or pretty_name(name))


def name_errors(field: forms.Field, label: str) -> None:
    """Replace the Django default messages of `field` with ones that name `label`."""
    defaults = _default_messages(field)
    for code, message in _named_messages(field, _short(str(label))).items():
        if field.error_messages.get(code) == defaults.get(code):
            field.error_messages[code] = message


def _named_messages(field, label) -> dict[str, str]:
    thing = _lower_first(label)
    choice = isinstance(field, forms.ChoiceField)  # model and typed choices too
    messages = {
        "required": f"Choose the {thing}." if choice else f"Enter the {thing}.",
        "invalid_choice": f"Choose the {thing} from the list.",
        "min_value": f"{label} must be %(limit_value)s or more.",
        "max_value": f"{label} must be %(limit_value)s or less.",
        "max_length": f"{label} must be %(limit_value)d characters or fewer.",
        "max_digits": f"{label} must have no more than %(max)s digits.",
        "max_decimal_places": f"{label} must have no more than %(max)s decimal places.",
        "max_whole_digits": f"{label} must have no more than %(max)s digits before the point.",
    }
    # DecimalField and FloatField are kinds of IntegerField: the more exact first.
    if isinstance(field, forms.DecimalField | forms.FloatField):
        messages["invalid"] = f"{label} must be a number."
    elif isinstance(field, forms.IntegerField):
        messages["invalid"] = f"{label} must be a whole number."
    elif isinstance(field, forms.EmailField):
        messages["invalid"] = f"Enter the {thing} in the right format, like name@example.org."
    return messages


def _default_messages(field) -> dict:
    """The messages Django gives this kind of field; validators' codes are absent from it."""
    messages = {}
    for cls in reversed(type(field).__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


def _short(label: str) -> str:
    """ "Offer window (minutes)" -> "Offer window": the unit reads badly inside a sentence."""
    return re.sub(r"\s*\([^)]*\)$", "", label)


def _lower_first(label: str) -> str:
    """ "Spare hours" -> "spare hours", but "CQC rating" stays as it is."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def error_summary_entries(form, lead: str = "") -> list[dict]:
    """A bound form's errors for the error summary, each linking to its field; `lead`
    starts each message (which of several forms of a kind: "Visit 2: ")."""
    if form is None or not form.is_bound:
        return []
    entries = [{"href": "#main-content", "message": m} for m in form.non_field_errors()]
    for field in form:
        href = f"#{first_input_id(field)}"
        entries += [{"href": href, "message": lead + m} for m in field.errors]
    return entries


def first_input_id(field) -> str:
    """Where a summary link should land: the first box of a date, the first of radios or
    checkboxes. Their own id is on a wrapping element that cannot take the focus, so the
    link would neither move the focus nor say which question it is about."""
    widget = field.field.widget
    if isinstance(widget, forms.MultiWidget | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{field.auto_id}_0"
    return field.auto_id


# A select lists every zone or provider while there are few; beyond this many the answer
# is typed as a code. A national market has 1,500 zones and 13,000 providers: their
# options would be most of each page, and most of the time it takes to make.
MAX_SELECT_OPTIONS = 100


class CodeChoiceWidget(forms.Select):
    """A ModelChoiceField's select (its rows by code) while they are at most
    MAX_SELECT_OPTIONS, a text box for the code beyond. Decided when drawn, from one
    query of at most MAX_SELECT_OPTIONS + 1 rows: a form only validated (the API's
    filters) reads none, and the answer is checked the same way either way."""

    def render(self, name, value, attrs=None, renderer=None):
        self.rows = getattr(self, "rows", self.choices)  # the field's ModelChoiceIterator
        rows = list(self.rows.queryset[: MAX_SELECT_OPTIONS + 1])
        if len(rows) > MAX_SELECT_OPTIONS:
            attrs = dict(attrs or {})
            classes = attrs.get("class", "").replace("govuk-select", "govuk-input")
            attrs["class"] = f"{classes} govuk-input--width-10".strip()
            box = forms.TextInput({**self.attrs, "spellcheck": "false", "autocomplete": "off"})
            return box.render(name, value, attrs, renderer)
        field = self.rows.field
        empty = [] if field.empty_label is None else [("", field.empty_label)]
        self.choices = empty + [self.rows.choice(row) for row in rows]
        return super().render(name, value, attrs, renderer)


def choose_by_code(field: forms.ModelChoiceField, noun: str) -> forms.ModelChoiceField:
    """Draw `field` (a ModelChoiceField to a `code`) with CodeChoiceWidget."""
    field.widget = CodeChoiceWidget(attrs=field.widget.attrs)
    field.widget.choices = field.choices
    field.widget.is_required = field.required
    few = field.error_messages["invalid_choice"]

    def invalid_choice():
        # Worked out only when shown (a wrong answer is rare): for a typed code, or a select.
        if field.queryset[: MAX_SELECT_OPTIONS + 1].count() > MAX_SELECT_OPTIONS:
            return f"There is no {noun} with this code."
        return str(few)

    field.error_messages["invalid_choice"] = lazy(invalid_choice, str)()
    return field


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateInput(forms.MultiWidget):
    """Day, month and year in three boxes: GOV.UK's date input, never the browser's date
    picker (which shows 11/02/2026 for 2 November on a US-locale computer). A date sent
    whole as YYYY-MM-DD (the API, a link, a bookmark) is read too, split into its parts."""

    def __init__(self, attrs=None):
        box = {"inputmode": "numeric"}
        super().__init__([forms.TextInput(box), forms.TextInput(box), forms.TextInput(box)], attrs)

    def decompress(self, value):
        if isinstance(value, str):  # sent whole, and not a date: shown in the first box
            return [value, None, None]
        return [value.day, value.month, f"{value.year:04d}"] if value else [None, None, None]

    def value_from_datadict(self, data, files, name):
        whole = data.get(name)
        if not whole:
            return super().value_from_datadict(data, files, name)
        try:
            if not ISO_DATE.fullmatch(whole):  # only as the contract writes it, not 20260701
                raise ValueError(whole)
            return self.decompress(datetime.date.fromisoformat(whole))
        except ValueError:
            return whole  # not parts: DateField answers that it is not a real date

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)


class DateField(forms.MultiValueField):
    """A date typed as day, month and year (DateInput), with GOV.UK's messages: "Enter the
    start date", "The start date must include a day, month and year", "... must be a real
    date". `noun` names the date in them where its label does not read well there
    (label "From": noun "first day"). Drawn by `{% govuk_field %}` as GOV.UK's date input."""

    widget = DateInput

    def __init__(self, *, label, noun=None, **kwargs):
        self.noun = noun or _lower_first(_short(str(label)))
        self.not_real = f"The {self.noun} must be a real date"
        number = {"invalid": self.not_real}
        # "26" for 2026 would be a date in the first century: the year takes 4 numbers.
        year = forms.RegexField(
            r"^\d{4}$", error_messages={"invalid": f"The {self.noun}'s year must have 4 numbers"}
        )
        super().__init__(
            fields=[forms.IntegerField(error_messages=number) for _ in range(2)] + [year],
            require_all_fields=False,
            label=label,
            error_messages={
                "invalid": self.not_real,
                "required": f"Enter the {self.noun}",
                "incomplete": f"The {self.noun} must include a day, month and year",
            },
            **kwargs,
        )

    def compress(self, data_list):
        if not data_list or all(value in (None, "") for value in data_list):
            return None
        day, month, year = data_list
        try:
            return datetime.date(int(year), month, day)
        except ValueError:
            raise ValidationError(self.not_real) from None
