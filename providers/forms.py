"""Forms of the provider pages: a provider, a contract in a zone, declared capacity."""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef

from accounts.models import Role
from core import clock
from core.formats import date_text, hours_text
from core.forms import DateField, FieldNamedErrors, choose_by_code, name_errors
from zones.forms import run_service
from zones.models import code_validator
from zones.permissions import zones_for

from . import services
from .models import Contract, ContractRole, CqcRating, Lot, Provider, ProviderStatus
from .permissions import providers_for

WEEKS_AHEAD = 8


class ProviderForm(FieldNamedErrors, forms.Form):
    code = forms.CharField(
        max_length=20,
        validators=[code_validator],
        error_messages={
            "required": "Enter a code, like EXE-VALLEY.",
            "invalid": "A code may use only letters, numbers, hyphens and underscores.",
        },
        help_text="Letters, numbers and hyphens, e.g. EXE-VALLEY. Other systems use it: it "
        "cannot be changed later.",
    )
    name = forms.CharField(
        max_length=200, error_messages={"required": "Enter the provider's name."}
    )
    cqc_location_id = forms.CharField(
        label="CQC location ID",
        max_length=20,
        required=False,
        help_text="For example, 1-123456789.",
    )
    cqc_rating = forms.ChoiceField(
        label="CQC rating", choices=CqcRating.choices, initial=CqcRating.NOT_RATED
    )
    status = forms.ChoiceField(choices=ProviderStatus.choices, initial=ProviderStatus.ONBOARDING)
    lot = forms.TypedChoiceField(
        choices=Lot.choices, coerce=int, widget=forms.RadioSelect, initial=Lot.FRAMEWORK
    )
    weekly_hours_cap = forms.DecimalField(
        label="Weekly hours cap",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text="Most hours a week it may hold in placed packages (e.g. 600). Leave empty "
        "for no cap.",
    )
    hourly_rate = forms.DecimalField(
        label="Hourly rate (£)",
        min_value=0,
        error_messages={"required": "Enter the hourly rate, like 24.96."},
        max_digits=7,
        decimal_places=2,
        help_text="The contracted base rate for an hour of care, e.g. 24.96.",
    )
    contact_email = forms.EmailField(required=False)
    supplier_reference = forms.CharField(
        label="Supplier reference",
        max_length=40,
        required=False,
        help_text="The provider's id in the council's finance system, exactly as it is "
        "written there. Payment run files carry it.",
    )
    weekend_uplift_percent = forms.DecimalField(
        label="Weekend uplift (%)", min_value=0, max_digits=5, decimal_places=2, initial=0
    )
    bank_holiday_uplift_percent = forms.DecimalField(
        label="Bank holiday uplift (%)", min_value=0, max_digits=5, decimal_places=2, initial=0
    )
    pay_tolerance_minutes = forms.IntegerField(
        label="Pay tolerance (minutes)",
        min_value=0,
        max_value=60,
        initial=5,
        help_text="A visit this many minutes short of planned or less is paid as planned.",
    )
    pay_rounding_minutes = forms.IntegerField(
        label="Pay rounding (minutes)",
        min_value=1,
        max_value=60,
        initial=5,
        help_text="Otherwise delivered time is rounded down to this many minutes.",
    )

    def __init__(self, *args, provider=None, **kwargs):
        self.provider = provider
        if provider is not None:
            kwargs.setdefault(
                "initial", {name: getattr(provider, name) for name in self.base_fields}
            )
        super().__init__(*args, **kwargs)
        if provider is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Other systems use it: it cannot be changed."

    def save(self, *, by):
        """The created or changed provider, or None with the service's errors on the form."""
        data = dict(self.cleaned_data)
        data["cqc_location_id"] = data["cqc_location_id"] or ""
        if self.provider is None:
            return run_service(self, services.create_provider, by=by, **data)
        data.pop("code")
        return run_service(
            self, services.update_provider, provider_id=self.provider.pk, by=by, **data
        )


class ContractForm(FieldNamedErrors, forms.Form):
    """Add a provider to a zone (from the zone's page)."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        to_field_name="code",
        empty_label="Choose a provider",
        error_messages={"required": "Choose a provider."},
    )
    role = forms.ChoiceField(
        choices=ContractRole.choices, widget=forms.RadioSelect, initial=ContractRole.FRAMEWORK
    )
    share_percent = forms.IntegerField(
        label="Share (%)",
        min_value=0,
        max_value=100,
        initial=0,
        help_text="In a rota zone, the primary's and secondary's shares of first offers "
        "(80 and 20 in Bury); 0 for framework providers.",
    )

    def __init__(self, *args, zone, **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.exclude(contracts__zone=zone).order_by(
            "name"
        )

    def save(self, *, by):
        return run_service(self, services.add_contract, by=by, zone=self.zone, **self.cleaned_data)


def weeks_ahead(today=None) -> list[datetime.date]:
    """The Mondays of this week and the next few: the weeks capacity is declared for."""
    first = clock.week_start(today or clock.today())
    return [first + datetime.timedelta(weeks=n) for n in range(WEEKS_AHEAD + 1)]


def week_choices(today=None):
    """This week and the next few, as (Monday, "w/c 5 Jan 2026") choices."""
    return [
        (monday.isoformat(), f"Week starting {monday.day} {monday:%b %Y}")
        for monday in weeks_ahead(today)
    ]


class CapacityForm(FieldNamedErrors, forms.Form):
    """Spare hours a provider can take on in a zone in a week."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), to_field_name="code", empty_label="Choose a provider"
    )
    zone = forms.ModelChoiceField(queryset=None, to_field_name="code", empty_label="Choose a zone")
    week_start = forms.TypedChoiceField(
        label="Week", choices=(), coerce=datetime.date.fromisoformat
    )
    hours = forms.DecimalField(
        label="Spare hours",
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text="Carer hours a week you can take on in this zone; 0 if none.",
        error_messages={"required": "Enter the spare hours, or 0 if none."},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones_for(user).order_by("name")
        self.fields["week_start"].choices = week_choices()
        if user.role == Role.PROVIDER:
            # A provider user declares for its own organisation only: no choice to make;
            # the zones it has contracts in come first.
            del self.fields["provider"]
            own = Contract.objects.filter(zone=OuterRef("pk"), provider_id=user.provider_id)
            self.fields["zone"].queryset = (
                zones_for(user).annotate(contracted=Exists(own)).order_by("-contracted", "name")
            )
        else:
            self.fields["provider"].queryset = providers_for(user).order_by("name")
            choose_by_code(self.fields["provider"], "provider")
        choose_by_code(self.fields["zone"], "zone")

    def save(self, *, by):
        data = dict(self.cleaned_data)
        data.setdefault("provider", self.user.provider)
        return run_service(self, services.declare_capacity, by=by, **data)


@dataclass
class GridCell:
    """One box of the capacity grid: a zone and week, its field and what is declared now."""

    zone: object
    week_start: datetime.date
    name: str
    declared: object  # the Capacity (with remaining_hours) or None
    field: object = None  # the bound field, once the form has its data

    @property
    def errors(self) -> list[tuple[str, str]]:
        """Each error in full (for a screen reader and the summary) and compact (shown in
        the narrow box): without the box's zone and week, which its row and column show,
        nor the reason in brackets."""
        label = str(self.field.label)
        return [(error, _compact(error, label)) for error in self.field.errors]


def _compact(error: str, label: str) -> str:
    short = error.removeprefix(label).lstrip(": ").split(" (")[0].rstrip(".")
    return short[:1].upper() + short[1:] + "."


class CapacityGridForm(forms.Form):
    """A provider's spare hours for several zones and weeks on one form: a box for each zone
    (row) and week (column), filled with what is declared. Only boxes whose figure changed
    are declared again: a declaration's remaining hours count placements from when it was
    made, so declaring the same figure again would forget them. Every message names its
    box's zone and week."""

    def __init__(self, *args, zones, weeks, declared, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for zone in zones:
            cells = []
            for monday in weeks:
                cell = GridCell(
                    zone,
                    monday,
                    f"hours-{zone.code}-{monday:%Y%m%d}",
                    declared.get((zone.pk, monday)),
                )
                self.fields[cell.name] = self._box(cell)
                cells.append(cell)
            self.rows.append((zone, cells))
        for _, cells in self.rows:
            for cell in cells:
                cell.field = self[cell.name]

    @staticmethod
    def _box(cell) -> forms.DecimalField:
        label = f"{cell.zone.name}, week starting {date_text(cell.week_start)}"
        field = forms.DecimalField(
            label=label,
            required=False,
            min_value=0,
            max_digits=7,
            decimal_places=2,
            initial=hours_text(cell.declared.hours) if cell.declared else None,
            widget=forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-3", "inputmode": "decimal"}
            ),
        )
        name_errors(field, label)
        return field

    def clean(self):
        data = super().clean()
        for cell in self.cells():
            if data.get(cell.name) is None and cell.declared and cell.name not in self.errors:
                self.add_error(
                    cell.name,
                    f"{cell.field.label}: enter the spare hours, or 0 if none (a figure "
                    "declared cannot be left blank).",
                )
        return data

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " govuk-input--error"

    def cells(self):
        return [cell for _, cells in self.rows for cell in cells]

    def changed_cells(self) -> dict:
        """(zone, Monday) -> hours for each box whose figure is new or differs."""
        changed = {}
        for cell in self.cells():
            hours = self.cleaned_data.get(cell.name)
            if hours is not None and (cell.declared is None or cell.declared.hours != hours):
                changed[(cell.zone, cell.week_start)] = hours
        return changed

    def save(self, *, by, provider) -> int | None:
        """Declare the changed boxes; None with the service's errors (each naming its box's
        zone and week) on the form."""
        try:
            return services.declare_capacities(
                by=by, provider=provider, hours_by_cell=self.changed_cells()
            )
        except ValidationError as error:
            self.add_error(None, [m for ms in error.message_dict.values() for m in ms])
            return None


class GridProviderForm(forms.Form):
    """Staff declaring for a provider choose it first."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), to_field_name="code", empty_label="Choose a provider"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers_for(user).order_by("name")
        choose_by_code(self.fields["provider"], "provider")


class ContractEditForm(FieldNamedErrors, forms.Form):
    """Change a contract's role, share, dates and guaranteed hours."""

    role = forms.ChoiceField(choices=ContractRole.choices, widget=forms.RadioSelect)
    share_percent = ContractForm.base_fields["share_percent"]
    starts_on = DateField(
        label="Start date", help_text="The first day it is in force. For example, 5 1 2027."
    )
    ends_on = DateField(
        label="End date",
        required=False,
        help_text="The last day it is in force; leave empty if it has no end date.",
    )
    guaranteed_hours = forms.DecimalField(
        label="Guaranteed hours a week",
        min_value=0,
        max_digits=7,
        decimal_places=2,
        error_messages={"required": "Enter the guaranteed hours a week, or 0 if none."},
        help_text="Hours a week the council guarantees this provider in the zone (Guaranteed "
        "Hours); 0 if none. A week's shortfall of payable hours is paid on its invoice.",
    )

    def __init__(self, *args, contract, **kwargs):
        self.contract = contract
        kwargs.setdefault("initial", {name: getattr(contract, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)

    def save(self, *, by):
        return run_service(
            self, services.change_contract, contract_id=self.contract.pk, by=by, **self.cleaned_data
        )


class RateForm(FieldNamedErrors, forms.Form):
    """A provider's rate from a date, in one zone or in every zone."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        to_field_name="code",
        empty_label="Choose a provider",
        error_messages={"required": "Choose a provider."},
    )
    zone = forms.ModelChoiceField(
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label="Every zone",
        help_text="Leave as every zone for the provider's rate wherever a zone has no rate "
        "of its own (a band 2 rural rate, say, is a zone's own).",
    )
    hourly_rate = ProviderForm.base_fields["hourly_rate"]
    effective_from = DateField(
        label="Date it starts",
        noun="date the rate starts",
        help_text="Today or later: care already given keeps its rate. For example, 1 1 2027.",
    )

    def __init__(self, *args, user, **kwargs):
        # Ids of its own: the list's filters on the same page have a provider and a zone.
        kwargs.setdefault("auto_id", "rate_%s")
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers_for(user).order_by("name")
        self.fields["zone"].queryset = zones_for(user).order_by("name")
        choose_by_code(self.fields["provider"], "provider")
        choose_by_code(self.fields["zone"], "zone")

    def save(self, *, by):
        return run_service(self, services.add_rate, by=by, **self.cleaned_data)
