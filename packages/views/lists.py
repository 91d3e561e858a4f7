"""The package lists: the worklist, drafts, all packages and a provider's own, each a CSV too.

A list that shows people's identity writes each of them to the access log.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from core import clock, fresh
from core.pages import paginate, wants_csv
from core.permissions import has_role, require_role
from core.tables import Column, table_csv

from .. import selectors, services
from ..filters import PackageFilter
from ..models import PackageStatus
from ..permissions import (
    PACKAGE_READERS,
    PACKAGE_WRITERS,
    packages_for,
    referrals_in_progress_for,
)

IN_PROGRESS_SHOWN = 50


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="minutes") if moment else ""


# Each CSV column: its header and how to read it from a package.
LIST_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("status", lambda p: p.status),
    Column("zone", lambda p: p.zone.code),
    Column("postcode_district", lambda p: p.person.postcode_district),
    Column("source", lambda p: p.source),
    Column("priority", lambda p: p.priority),
    Column("start_date", lambda p: p.start_date),
    Column("weekly_hours", lambda p: p.weekly_hours),
    Column("provider", lambda p: p.provider.code if p.provider else ""),
    Column("escalated", lambda p: "yes" if p.escalated else "no"),
    Column("submitted_at", lambda p: _iso(p.submitted_at)),
    Column("placed_at", lambda p: _iso(p.placed_at)),
]
WORKLIST_COLUMNS = [
    *LIST_COLUMNS[:1],
    *LIST_COLUMNS[2:8],
    Column("waiting_since", lambda p: _iso(p.waiting_from)),
    Column("waiting_minutes", lambda p: int((clock.now() - p.waiting_from).total_seconds() // 60)),
    Column("escalated", lambda p: "yes" if p.escalated else "no"),
    Column("hospital_ready_on", lambda p: p.hospital_ready_on or ""),
    # What the worklist shows of its brokering (selectors.with_brokering_facts).
    Column("fill_overdue", lambda p: "yes" if p.fill_overdue else "no"),
    Column("offer_held_by", lambda p: " ".join(o.provider.code for o in p.current_offers)),
    Column(
        "answer_by", lambda p: _iso(min((o.expires_at for o in p.current_offers), default=None))
    ),
    Column("round", lambda p: p.brokering_round),
    Column("declined", lambda p: p.declines),
    Column("expired", lambda p: p.expiries),
    Column("handed_back", lambda p: "yes" if p.handed_back else "no"),
]
# A provider's own packages carry the people's identity (and are logged).
PROVIDER_COLUMNS = [
    *LIST_COLUMNS[:2],
    Column("nhs_number", lambda p: p.person.nhs_number),
    Column("name", lambda p: p.person.full_name),
    Column("date_of_birth", lambda p: p.person.date_of_birth),
    Column("address", lambda p: p.person.address_line),
    Column("postcode", lambda p: p.person.postcode),
    *LIST_COLUMNS[2:3],
    *LIST_COLUMNS[6:8],
    Column("placed_at", lambda p: _iso(p.placed_at)),
    Column("ended_on", lambda p: p.ended_on or ""),
]


# The worklist shows the packages under notice whose last day comes first.
NOTICES_SHOWN = 50


def _filtered(request, packages):
    filters = PackageFilter(request.GET, queryset=packages, request=request)
    return filters, filters.qs


def _searched(request) -> str:
    """The text searched for, if any: the people a search finds are shown by name (and
    logged as seen), where a list otherwise shows no one's identity."""
    return (request.GET.get("search") or "").strip()


# --- lists ---------------------------------------------------------------------


@login_required
def worklist(request):
    """Open packages, urgent first, then longest waiting; the table refreshes itself, and
    is reused while nothing it shows has changed (core.fresh)."""
    require_role(request.user, *PACKAGE_WRITERS)
    if wants_csv(request):
        return table_csv("worklist", WORKLIST_COLUMNS, _worklist_packages(request)[1])
    response, people_seen = fresh.page(request, lambda: _worklist_page(request))
    if people_seen:
        _log_people_seen(request, people_seen)
    return response


def _worklist_packages(request):
    filters, packages = _filtered(request, packages_for(request.user))
    packages = selectors.worklist(packages).select_related("person")
    return filters, selectors.with_brokering_facts(packages)


def _worklist_page(request):
    """The worklist or its table (htmx), and the people a search shows by name."""
    filters, packages = _worklist_packages(request)
    page, _ = paginate(request, packages)
    selectors.show_zone_capacity(page)
    search = _searched(request)
    template = "packages/package_worklist.html"
    if request.htmx:
        template = "packages/includes/worklist_table.html"
    context = {"filters": filters, "page": page, "now": clock.now(), "search": search}
    if not request.htmx:
        context["notices"] = selectors.under_notice(packages_for(request.user))[:NOTICES_SHOWN]
    people_seen = [package.person_id for package in page] if search else []
    return render(request, template, context), people_seen


@login_required
def drafts(request):
    require_role(request.user, *PACKAGE_WRITERS)
    filters, packages = _filtered(request, packages_for(request.user))
    packages = (
        packages.filter(status=PackageStatus.DRAFT)
        .select_related("zone", "person", "provider", "created_by")
        .order_by("-created_at")
    )
    if wants_csv(request):
        return table_csv("draft-packages", LIST_COLUMNS, packages)
    page, _ = paginate(request, packages)
    # Referrals saved part way through a call: the newest first, a screenful at most.
    in_progress = referrals_in_progress_for(request.user).select_related("created_by")
    context = {"filters": filters, "page": page, "in_progress": in_progress[:IN_PROGRESS_SHOWN]}
    return render(request, "packages/package_drafts.html", context)


@login_required
def package_list(request):
    require_role(request.user, *PACKAGE_READERS)
    filters, packages = _filtered(request, packages_for(request.user))
    packages = packages.select_related("zone", "person", "provider").order_by("-created_at")
    if wants_csv(request):
        return table_csv("packages", LIST_COLUMNS, packages)
    page, _ = paginate(request, packages)
    search = _searched(request)
    if search:
        _log_people(request, page)
    context = {
        "filters": filters,
        "page": page,
        "search": search,
        "can_record": has_role(request.user, *PACKAGE_WRITERS),
    }
    return render(request, "packages/package_list.html", context)


@login_required
def provider_list(request):
    """A provider's packages (placed with it, then ended), with the people's details."""
    require_role(request.user, Role.PROVIDER)
    packages = selectors.live_first(packages_for(request.user).select_related("zone", "person"))
    status = request.GET.get("status")
    if status in (PackageStatus.PLACED, PackageStatus.ENDED):
        packages = packages.filter(status=status)
    search = _searched(request)
    packages = selectors.search(packages, search)
    if wants_csv(request):
        packages = list(packages)
        _log_people(request, packages)
        return table_csv("our-packages", PROVIDER_COLUMNS, packages)
    page, _ = paginate(request, packages)
    _log_people(request, page)
    context = {"page": page, "status": status, "search": search}
    return render(request, "packages/package_provider_list.html", context)


def _log_people(request, packages):
    _log_people_seen(request, [package.person_id for package in packages])


def _log_people_seen(request, person_ids):
    services.log_people_access(
        person_ids=person_ids, user=request.user, request_or_ip=request, via=request.path
    )
