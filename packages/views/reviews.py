"""Reviews: the reviews due (brokers) and a review's form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from core import clock
from core.pages import paginate, wants_csv
from core.permissions import require_role
from core.tables import Column, table_csv

from .. import selectors, services
from ..forms import ReviewForm
from ..permissions import PACKAGE_WRITERS, packages_for
from .common import error_summary, package_or_404, refusal_as_message

DUE_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("zone", lambda p: p.zone.code),
    Column("provider", lambda p: p.provider.code),
    Column("start_date", lambda p: p.start_date),
    Column("weekly_hours", lambda p: p.weekly_hours),
    Column("review_due_on", lambda p: p.review_due_on),
]


@login_required
def reviews_due(request):
    """Placed packages whose review is due within the next two weeks or overdue."""
    require_role(request.user, *PACKAGE_WRITERS)
    horizon = clock.today() + selectors.REVIEWS_AHEAD
    packages = (
        selectors.reviews_due(packages_for(request.user))
        .filter(review_due_on__lte=horizon)
        .select_related("zone", "provider")
    )
    if wants_csv(request):
        return table_csv("reviews-due", DUE_COLUMNS, packages)
    page, _ = paginate(request, packages)
    context = {"page": page, "today": clock.today(), "horizon": horizon}
    return render(request, "packages/review_list.html", context)


@login_required
def package_review(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = package_or_404(request, pk)
    form = ReviewForm(request.POST or None, initial={"held_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        with refusal_as_message(request):
            try:
                services.record_review(
                    by=request.user,
                    package_id=package.pk,
                    held_on=form.cleaned_data["held_on"],
                    outcome=form.cleaned_data["outcome"],
                    notes=form.cleaned_data["notes"],
                    goals=form.goals(),
                    next_review_on=form.cleaned_data["next_review_on"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Review of package {pk} recorded")
                return redirect("packages:detail", pk=pk)
        if not form.errors:
            return redirect("packages:detail", pk=pk)
    context = {"package": package, "form": form, "errors": error_summary(form)}
    return render(
        request, "packages/package_review.html", context, status=400 if form.errors else 200
    )
