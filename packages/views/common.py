"""What the package pages share: the package the user may see, error summaries, refusals."""

from contextlib import contextmanager

from django.contrib import messages
from django.http import Http404

from core.errors import Conflict
from core.forms import error_summary_entries

from .. import selectors
from ..models import Package
from ..permissions import packages_for


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
