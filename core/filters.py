"""Filters shared by the lists of several apps."""

import django_filters

from .forms import CodeChoiceWidget, DateField, choose_by_code


class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """A zone or provider chosen by its code (`?zone=EX1`): a select while there are few to
    choose from, a text box for the code beyond that (core.forms.CodeChoiceWidget)."""

    def __init__(self, *args, noun, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        self.noun = noun
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        field = super().field
        if not isinstance(field.widget, CodeChoiceWidget):
            choose_by_code(field, self.noun)
        return field


class DateFilter(django_filters.DateFilter):
    """A date typed in GOV.UK's three boxes on a page (core.forms.DateField), and given
    whole as YYYY-MM-DD in the API's query string: one filter for both."""

    field_class = DateField
