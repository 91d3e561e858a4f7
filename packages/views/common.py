"""What the package pages share: the package the user may see, error summaries, refusals."""

from contextlib import contextmanager

from django.contrib import messages
from django.http import Http404

from core.errors import Conflict
from core.forms import error_summary_entries

from .. import selectors, validation
from ..models import Package
from ..permissions import packages_for
from ..services import PersonDiffers


def package_or_404(request, pk):
    try:
        return selectors.package_page(packages_for(request.user), pk)
    except Package.DoesNotExist:
        raise Http404("No such package") from None


def error_summary(*forms_, formset=None):
    """The GOV.UK error summary's entries for the forms, and the visits of a formset, each
    visit's messages saying which visit they are about."""
    errors = [entry for form in forms_ for entry in error_summary_entries(form)]
    if formset is not None:
        for number, form in enumerate(formset.forms, start=1):
            # With several visits, "Enter the time of the visit" alone does not say which one.
            errors += error_summary_entries(form, lead=f"Visit {number}: ")
        errors += [{"href": "#visits", "message": m} for m in formset.non_form_errors()]
    return errors


@contextmanager
def refusal_as_message(request):
    """A transition the package's status forbids is shown as a message on its page."""
    try:
        yield
    except Conflict as conflict:
        messages.error(request, str(conflict))


def show_refusal(error, forms_, *, formset=None, person_form=None) -> None:
    """A service's ValidationError shown at its fields: each message on the form that has
    the field (visits on the formset), the rest at the top of the first form. A person
    recorded with other details asks the broker to confirm (the person form's
    `confirm_update`)."""
    errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for field, messages_ in errors.items():
        if field in ("visits", "flexible_plan") and formset is not None:
            formset.non_form_errors().extend(messages_)  # the formset's own list, kept
            continue
        form = next((f for f in forms_ if field in f.fields), None)
        (form or forms_[0]).add_error(field if form else None, messages_)
    if person_form is not None:
        person_form.confirm_update = isinstance(error, PersonDiffers) or "update_person" in errors


def weekly_hours(visit_formset):
    """The weekly carer hours of the visits as entered so far (JavaScript keeps it live)."""
    if not visit_formset.is_bound or not visit_formset.is_valid():
        return None
    return validation.weekly_carer_hours(visit_formset.visits())
