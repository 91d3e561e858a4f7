"""Template tags that render Django forms in GOV.UK Design System markup.

`{% govuk_error_summary form %}` at the top of a page and
`{% govuk_field form.name %}` for each field give the error summary that
links to each field and a message at the field itself.
"""

from django import forms, template

from core.formats import date_text, datetime_text, hours_text
from core.forms import DateInput, error_summary_entries

register = template.Library()


def _kind(widget):
    if isinstance(widget, DateInput):
        return "date"
    # Before radios: Django's CheckboxSelectMultiple is a kind of RadioSelect.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


_CLASSES = {
    "input": "govuk-input",
    "select": "govuk-select",
    "textarea": "govuk-textarea",
    "file": "govuk-file-upload",
}


@register.inclusion_tag("includes/field.html")
def govuk_field(field, width=None, hint=None, label_class="govuk-label"):
    kind = _kind(field.field.widget)
    widget_attrs = {}
    css = _CLASSES.get(kind)
    if css:
        classes = [css]
        if field.errors:
            classes.append(f"{css}--error")
        if width:
            classes.append(
                f"govuk-input--width-{width}" if kind == "input" else f"govuk-!-width-{width}"
            )
        widget_attrs["class"] = " ".join(classes)
    if field.help_text or hint:
        widget_attrs["aria-describedby"] = f"{field.auto_id}-hint"
    # Radios, checkboxes and a date's three boxes are drawn item by item in the template.
    by_item = ("radios", "checkboxes", "date")
    widget_html = None if kind in by_item else field.as_widget(attrs=widget_attrs)
    return {
        "field": field,
        "kind": kind,
        "widget_html": widget_html,
        "hint": hint or field.help_text,
        "label_class": label_class,
    }


@register.inclusion_tag("includes/error_summary.html")
def govuk_error_summary(*forms_):
    return {"errors": [entry for form in forms_ for entry in error_summary_entries(form)]}


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed (for pagination and CSV links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def query_with_page(context, number, parameter=""):
    """The current query string on page `number` of a list, whose page parameter is
    `parameter` (`page` unless a page shows two paginated lists)."""
    query = context["request"].GET.copy()
    query[parameter or "page"] = number
    return "?" + query.urlencode()


# Decimal hours without trailing zeros: 10.50 -> 10.5, 7.00 -> 7.
register.filter("hours", hours_text)
# Every date shown as "2 Dec 2026"; a moment as "2 Dec 2026, 14:05" (UK time).
register.filter("govuk_date", date_text)
register.filter("govuk_datetime", datetime_text)
