"""Form errors in the GOV.UK Design System's way: messages that name their field, and
error summary entries that link to where the answer is given.

Django's defaults ("This field is required.", "Ensure this value is greater
than or equal to 1.") also appear in the error summary at the top of the page,
far from their field, where they do not say which answer is wrong. A message
a form sets itself (`error_messages=`) is kept as it is.
"""

import re

from django import forms
from django.forms.utils import pretty_name


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
