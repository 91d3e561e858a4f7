"""The dashboard's filters (zones and dates), shared by the pages and the API.

A validated filter becomes a `Scope`: the zones and the UK calendar dates
that every selector reads. Zones are named by code, repeated
(`?zone=EX1&zone=EX2`) or separated by commas, so that a national
deployment's 1,500 zones need no list of choices to validate against.
"""

import datetime
import re
from dataclasses import dataclass

from django import forms

from core import clock
from core.formats import date_text
from core.forms import DateField
from core.permissions import broker_zone_ids
from zones.models import Zone

from .permissions import dashboard_zones_for

TREND_WEEKS = 12
EARLIEST = datetime.date(2000, 1, 1)
LONGEST_WINDOW = datetime.timedelta(days=3 * 366)
# A county's zones fit on the page as checkboxes; beyond that, type the codes.
MAX_ZONE_CHECKBOXES = 30


def default_since(until: datetime.date) -> datetime.date:
    """The Monday that starts the last TREND_WEEKS weeks up to `until`, its week included."""
    monday = clock.week_start(until)
    return monday - datetime.timedelta(weeks=TREND_WEEKS - 1)


@dataclass(frozen=True)
class Scope:
    """What a dashboard shows: some zones (None: every zone) between two UK dates."""

    zone_ids: tuple[int, ...] | None
    since: datetime.date
    until: datetime.date
    today: datetime.date

    @property
    def start(self) -> datetime.datetime:
        """The first moment of `since` in the UK."""
        return clock.midnight(self.since)

    @property
    def end(self) -> datetime.datetime:
        """The first moment after `until` in the UK."""
        return clock.midnight(self.until, days=1)

    def zones(self):
        zones = Zone.objects.all()
        return zones if self.zone_ids is None else zones.filter(pk__in=self.zone_ids)


class ZoneCodesInput(forms.TextInput):
    """Reads every `zone` value of the query string, as a comma-separated text."""

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        values = getlist(name) if getlist else [data.get(name) or ""]
        return ",".join(v for v in values if v)


class DashboardFilterForm(forms.Form):
    """Zones and dates. Tables with a row per week or per period are bounded (from
    EARLIEST, at most LONGEST_WINDOW long) so that a window's rows stay countable."""

    earliest: datetime.date | None = EARLIEST
    longest_window: datetime.timedelta | None = LONGEST_WINDOW

    zone = forms.CharField(
        required=False,
        label="Zones",
        help_text="Zone codes separated by commas; leave empty for every zone you may see.",
        widget=ZoneCodesInput,
    )
    since = DateField(required=False, label="From", noun="start date")
    until = DateField(required=False, label="To", noun="end date")

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user

    def clean_zone(self):
        codes = list(dict.fromkeys(c for c in re.split(r"[\s,]+", self.cleaned_data["zone"]) if c))
        if not codes:
            return ()
        found = dict(
            dashboard_zones_for(self.user).filter(code__in=codes).values_list("code", "pk")
        )
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError(f"No zone you may see has the code {', '.join(unknown)}.")
        return tuple(found[code] for code in codes)

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since and self.earliest and since < self.earliest:
            raise forms.ValidationError(
                f"The start date must be {date_text(self.earliest)} or later."
            )
        return since

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until and until > clock.today() + datetime.timedelta(days=366):
            raise forms.ValidationError("The end date must be within a year from today.")
        return until

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must be on or after the start date.")
        elif since and self.longest_window:
            # A window of weeks needs at least one day: with no end date, it ends today.
            if since > clock.today() and not until:
                self.add_error("since", "The start date cannot be after today.")
            elif (until or clock.today()) - since > self.longest_window:
                self.add_error("since", "Choose at most three years between the dates.")
        return cleaned

    def scope(self) -> Scope:
        """The Scope of a valid form, with defaults: every zone, the last 12 weeks."""
        today = clock.today()
        until = self.cleaned_data.get("until") or today
        since = self.cleaned_data.get("since") or default_since(until)
        zone_ids = self.cleaned_data.get("zone") or _as_tuple(broker_zone_ids(self.user))
        return Scope(zone_ids=zone_ids, since=since, until=until, today=today)


class SinceFilterForm(DashboardFilterForm):
    """For a single figure over the window (the contract's time to fill): one aggregate
    whatever the window's length, so any `since` is a fair question (the contract
    names no earliest date; "since 2019" means every placement there has been)."""

    earliest = None
    longest_window = None


class ZoneFilterForm(DashboardFilterForm):
    """For numbers of now (unfilled): zones only; dates in the query are ignored, not
    judged, so that a client sending the same query string to every endpoint is fine."""

    since = None
    until = None


def _as_tuple(ids):
    return None if ids is None else tuple(ids)


def zone_choices(user):
    """Zones to offer as checkboxes, or None when there are too many to list."""
    zones = list(
        dashboard_zones_for(user)
        .order_by("code")
        .values_list("code", "name")[: MAX_ZONE_CHECKBOXES + 1]
    )
    return None if len(zones) > MAX_ZONE_CHECKBOXES else zones


def zone_choices_exceeded(user):
    """Whether the user may see more zones than a page lists one by one."""
    return zone_choices(user) is None
