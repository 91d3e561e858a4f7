"""Dates typed in GOV.UK's three boxes (core.forms.DateField), also read whole as
YYYY-MM-DD from a link or the API; and dates shown one way everywhere ("2 Dec 2026")."""

import datetime

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone

from core.formats import date_text, datetime_text
from core.forms import DateField

DEC_2 = datetime.date(2026, 12, 2)


class StartForm(forms.Form):
    start = DateField(label="Start date", required=False)


def parts(day, month, year):
    return {"start_0": day, "start_1": month, "start_2": year}


@pytest.mark.parametrize(
    "data",
    [parts("2", "12", "2026"), parts(" 02 ", "12", "2026"), {"start": "2026-12-02"}],
)
def test_a_date_is_read_from_its_three_boxes_or_whole(data):
    form = StartForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start"] == DEC_2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (parts("31", "2", "2026"), "The start date must be a real date"),
        (parts("2", "Dec", "2026"), "The start date must be a real date"),
        (parts("2", "", "2026"), "The start date must include a day, month and year"),
        (parts("2", "12", "26"), "The start date's year must have 4 numbers"),
        ({"start": "20261202"}, "The start date must be a real date"),
        ({"start": "2/12/2026"}, "The start date must be a real date"),
    ],
)
def test_a_wrong_date_gets_one_message_naming_it(data, message):
    form = StartForm(data)
    assert not form.is_valid()
    assert form.errors["start"] == [message]


def test_an_empty_optional_date_is_none_and_a_required_one_asks_for_it():
    assert StartForm(parts("", "", "")).is_valid()

    class Required(forms.Form):
        paid_on = DateField(label="Date paid")

    assert Required({}).errors["paid_on"] == ["Enter the date paid"]


def test_the_date_input_is_three_labelled_boxes_in_a_fieldset_and_keeps_what_was_typed():
    form = StartForm(parts("31", "2", "2026"))
    form.is_valid()
    html = Template("{% load govuk %}{% govuk_field form.start %}").render(Context({"form": form}))
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Start date' in html
    for box, label, value in (("0", "Day", "31"), ("1", "Month", "2"), ("2", "Year", "2026")):
        assert (
            f'<label class="govuk-label govuk-date-input__label" for="id_start_{box}">{label}'
            in html
        )
        assert f'name="start_{box}" type="text" inputmode="numeric" value="{value}"' in html
    assert 'type="date"' not in html
    assert "The start date must be a real date" in html


def test_a_date_sent_whole_and_wrong_is_shown_back_in_its_first_box():
    form = StartForm({"start": "yesterday"})
    html = Template("{% load govuk %}{% govuk_field form.start %}").render(Context({"form": form}))
    assert 'name="start_0" type="text" inputmode="numeric" value="yesterday"' in html


def test_dates_and_moments_are_written_one_way():
    evening = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)  # 00:30 in London
    assert date_text(DEC_2) == "2 Dec 2026"
    assert date_text(evening) == "1 Jul 2026"
    assert datetime_text(evening) == "1 Jul 2026, 00:30"
    assert date_text(None) == datetime_text(None) == ""
    rendered = Template("{% load govuk %}{{ day|govuk_date }} {{ now|govuk_datetime }}").render(
        Context({"day": DEC_2, "now": timezone.make_aware(datetime.datetime(2026, 12, 2, 9, 5))})
    )
    assert rendered == "2 Dec 2026 2 Dec 2026, 09:05"
