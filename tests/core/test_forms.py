"""Form errors name their field: the error summary shows them far from it."""

from django import forms

from core.forms import FieldNamedErrors, error_summary_entries


class VisitForm(FieldNamedErrors, forms.Form):
    duration = forms.IntegerField(label="Duration (minutes)", min_value=15, max_value=1440)
    rate = forms.DecimalField(max_digits=5, decimal_places=2)
    cqc_rating = forms.ChoiceField(label="CQC rating", choices=[("good", "Good")])
    note = forms.CharField(max_length=5, error_messages={"required": "Say what happened."})


def errors(**data):
    form = VisitForm(data)
    form.is_valid()
    return {field: list(messages) for field, messages in form.errors.items()}


def test_missing_answers_name_the_field():
    assert errors() == {
        "duration": ["Enter the duration."],
        "rate": ["Enter the rate."],
        "cqc_rating": ["Choose the CQC rating."],
        "note": ["Say what happened."],  # a form's own message is kept
    }


def test_limits_name_the_field_and_the_limit():
    found = errors(duration="5", rate="1.234", cqc_rating="great", note="far too long")
    assert found == {
        "duration": ["Duration must be 15 or more."],
        "rate": ["Rate must have no more than 2 decimal places."],
        "cqc_rating": ["Choose the CQC rating from the list."],
        "note": ["Note must be 5 characters or fewer."],
    }
    assert errors(duration="2000")["duration"] == ["Duration must be 1440 or less."]


def test_numbers_that_are_not_numbers_name_the_field():
    found = errors(duration="1.5", rate="cheap")
    assert found["duration"] == ["Duration must be a whole number."]
    assert found["rate"] == ["Rate must be a number."]


def test_fields_of_one_form_do_not_change_another():
    VisitForm({})
    assert forms.IntegerField().error_messages["required"] == "This field is required."
    assert "min_value" not in VisitForm.base_fields["duration"].error_messages


class Questions(forms.Form):
    name = forms.CharField()
    lot = forms.ChoiceField(choices=[("1", "1"), ("2", "2")], widget=forms.RadioSelect)
    days = forms.MultipleChoiceField(
        choices=[("mon", "Mon"), ("tue", "Tue")], widget=forms.CheckboxSelectMultiple
    )
    born = forms.SplitDateTimeField()

    def clean(self):
        raise forms.ValidationError("Something about the whole form")


def test_summary_links_go_to_an_input_that_takes_the_focus():
    # Radios, checkboxes and split dates carry their own id on a wrapper: the link goes to
    # their first input instead, which GOV.UK Frontend focuses.
    entries = error_summary_entries(Questions({}), lead="Visit 1: ")
    assert [entry["href"] for entry in entries] == [
        "#main-content",
        "#id_name",
        "#id_lot_0",
        "#id_days_0",
        "#id_born_0",
    ]
    assert all(entry["message"].startswith("Visit 1: ") for entry in entries[1:])
    assert error_summary_entries(Questions()) == []  # nothing asked yet
