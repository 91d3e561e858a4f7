"""Delivered visits (electronic call monitoring), invoices, payment runs and deadline warnings."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When

from packages.models import Package, Visit
from providers.models import Contract, Provider
from zones.models import Zone

PAYMENT_TERM_DAYS = 28
DUE_SOON_DAYS = 7
# The most days of visits recorded from one download of planned visits: two months, where
# one file a month is the rhythm of invoicing. The period a provider is offered fits it.
RECORD_PERIOD_MAX_DAYS = 62


class DeliveredVisit(models.Model):
    """A visit as the provider's electronic call monitoring (ECM) recorded it.

    It is matched to the planned visit it fulfils: same weekday, nearest planned
    time, each planned visit fulfilled once a day. The pay rule (invoicing.pay)
    gives its `payable_minutes` in carer minutes (a double-handed call counts
    twice); `paid_minutes` is what the invoice paid after a flexible plan's
    4-week cap, and `rate` the hourly rate it was paid at. `zone` (where the care
    was delivered: its package's zone) and `base_rate` (the provider's contracted
    hourly rate, before uplifts) are as they were when the visit was recorded: the
    spend it adds to its zone and day (DailyDelivery) is priced from them.

    Flags: `missed` (no care delivered: ECM recorded an end equal to the start,
    or no record existed for a planned visit when the invoice for its period
    was built, and then it has no actual times), `short` (paid less than
    planned: under the tolerance, or fewer carers than planned), `late` (began
    more than 30 minutes after the planned time) and `unplanned` (no planned
    visit left to fulfil that day: it pays only under a flexible plan).

    An actual end earlier than the start means the visit ran past midnight.

    A visit is on at most one invoice: `invoice_line` is a single column, set
    once by a guarded update (`WHERE invoice_line_id IS NULL`), and a delivered
    visit is recorded once (unique package, date and start).
    """

    # Found by the (package, date) and (provider, date) indexes, which also serve the
    # package or provider alone: an index on either alone was one more written per visit.
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, related_name="delivered_visits", db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="delivered_visits", db_index=False
    )
    # Not indexed: nothing looks visits up by zone (spend reads DailyDelivery), and an
    # index on every visit ever recorded would cost each recording and its disk.
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+", db_index=False)
    base_rate = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        help_text="The provider's hourly rate (before uplifts) when the visit was recorded.",
    )
    date = models.DateField()
    actual_start = models.TimeField(null=True, blank=True)
    actual_end = models.TimeField(null=True, blank=True)
    carers = models.PositiveSmallIntegerField(default=1)
    planned_visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    planned_start = models.TimeField(null=True, blank=True)
    planned_minutes = models.PositiveIntegerField(null=True, blank=True)
    planned_carers = models.PositiveSmallIntegerField(null=True, blank=True)
    actual_minutes = models.PositiveIntegerField(default=0, help_text="Per carer.")
    payable_minutes = models.PositiveIntegerField(default=0, help_text="Carer minutes.")
    paid_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Carer minutes paid on the invoice."
    )
    rate = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    missed = models.BooleanField(default=False)
    short = models.BooleanField(default=False)
    late = models.BooleanField(default=False)
    unplanned = models.BooleanField(default=False)
    invoice_line = models.ForeignKey(
        "InvoiceLine", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    recorded_at = models.DateTimeField()
    # Not indexed: nothing looks visits up by who recorded them. Only deleting a user (the
    # admin's) reads them so, to set it NULL, once; an index would be one more entry
    # written for every visit imported, and again for every visit invoiced.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["date", "actual_start", "pk"]
        indexes = [
            models.Index(fields=["provider", "date"]),
            models.Index(fields=["package", "date"]),
            # The visits list, newest first, read in its order; also what a range of dates
            # alone is found by.
            models.Index(fields=["date", "actual_start", "id"], name="delivered_visit_listed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "date", "actual_start"],
                condition=Q(actual_start__isnull=False),
                name="delivered_visit_recorded_once",
            ),
            models.UniqueConstraint(
                fields=["planned_visit", "date"],
                condition=Q(actual_start__isnull=True),
                name="delivered_visit_missed_once",
            ),
            models.CheckConstraint(
                name="delivered_visit_carers_1_or_2", condition=Q(carers__in=[1, 2])
            ),
            models.CheckConstraint(
                name="delivered_visit_times_paired",
                condition=Q(actual_start__isnull=True, actual_end__isnull=True)
                | Q(actual_start__isnull=False, actual_end__isnull=False),
            ),
            models.CheckConstraint(
                name="delivered_visit_unrecorded_is_missed",
                condition=Q(actual_start__isnull=False) | Q(missed=True),
            ),
            models.CheckConstraint(
                name="delivered_visit_missed_pays_nothing",
                condition=Q(missed=False) | Q(payable_minutes=0),
            ),
            models.CheckConstraint(
                name="delivered_visit_invoiced_is_priced",
                condition=Q(invoice_line__isnull=True)
                | Q(paid_minutes__isnull=False, rate__isnull=False),
            ),
        ]

    def __str__(self):
        return f"Visit to package {self.package_id} on {self.date}"

    @property
    def delivered_minutes(self):
        """Carer minutes delivered."""
        return 0 if self.missed else self.actual_minutes * self.carers


# Minutes x hourly rate: sixty times the pounds, exact (pounds would need a division
# by 60 per visit, rounded), divided by 60 and rounded to pence only when shown.
MINUTE_POUNDS = {"max_digits": 20, "decimal_places": 4, "default": 0}


class DailyDelivery(models.Model):
    """The care delivered, and payable, in one zone on one day: sums over its delivered
    visits, kept so that spend by zone and period reads a row per zone and day instead
    of every visit (nationally, millions in a 4-week period, each needing its zone).

    It holds no fact of its own. Every service that records, prices or changes delivered
    visits adds the change here in the same transaction (`invoicing.rollup`), so the rows
    always equal the sums over the visits; `rollup.rebuild()` (the
    `rebuild_delivery_rollup` command) recomputes them from the visits. No check
    constraints on the sums: rows that drifted must not stop a provider recording care,
    nor an invoice being built; rebuilding repairs them.

    Minutes are carer minutes; money is kept as minutes x hourly rate (MINUTE_POUNDS);
    `visits` is how many there are, missed ones included.
    Delivered: visits not missed, at the visit's `base_rate`. Payable: the pay rule's
    minutes at the `base_rate` until an invoice prices the visit, then the minutes it
    paid (after a flexible plan's 4-week cap) at the rate it paid (uplifts included).
    """

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    delivered_minutes = models.BigIntegerField(default=0)
    delivered_minute_pounds = models.DecimalField(**MINUTE_POUNDS)
    payable_minutes = models.BigIntegerField(default=0)
    payable_minute_pounds = models.DecimalField(**MINUTE_POUNDS)
    # Of those, what has been paid: a paid invoice's visits at the rate it paid.
    # (A default in the database too: the visits' upserts leave it out.)
    paid_minute_pounds = models.DecimalField(**MINUTE_POUNDS, db_default=0)
    # How many visits (missed ones too): the visits list's count of them all, read from
    # the periods' rows rather than counted over millions of visits.
    visits = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["date", "zone_id"]
        constraints = [
            # Date first: the index also serves spend's reads of a range of days.
            models.UniqueConstraint(fields=["date", "zone"], name="daily_delivery_per_zone_and_day")
        ]

    def __str__(self):
        return f"Delivery in zone {self.zone_id} on {self.date}"


class PeriodDelivery(models.Model):
    """DailyDelivery summed per zone and 4-week spend period (`period_start`, see
    packages.commissioned.spend_period_start), kept in step with it by the same changes
    (invoicing.rollup), so that spend over whole periods reads a row per zone and period,
    not 28. Rebuilt from DailyDelivery by `rollup.rebuild()`."""

    # Defaults in the database too: each change adds only the measures it moves.
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    delivered_minutes = models.BigIntegerField(default=0, db_default=0)
    delivered_minute_pounds = models.DecimalField(**MINUTE_POUNDS, db_default=0)
    payable_minutes = models.BigIntegerField(default=0, db_default=0)
    payable_minute_pounds = models.DecimalField(**MINUTE_POUNDS, db_default=0)
    paid_minute_pounds = models.DecimalField(**MINUTE_POUNDS, db_default=0)
    visits = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["period_start", "zone_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "zone"], name="delivery_per_zone_and_period"
            )
        ]

    def __str__(self):
        return f"Delivery in zone {self.zone_id} in the period from {self.period_start}"


class InvoiceStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    APPROVED = "approved", "Approved"
    DISPUTED = "disputed", "Disputed"
    PAID = "paid", "Paid"


class DeadlineStatus(models.TextChoices):
    OK = "ok", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    MET = "met", "Paid on time"
    LATE = "late", "Paid late"


class DeadlineWarning(models.TextChoices):
    """The warnings finance is given about an unpaid invoice, once each."""

    DUE_SOON = "due_soon", "Due soon"
    DUE_TODAY = "due_today", "Due today"
    OVERDUE = "overdue", "Overdue"


# Every line held: nothing on the invoice is due until finance releases a line, and a held
# line does not make an invoice late (API.md, Money), so it is not due soon nor overdue.
ALL_HELD = Q(held_total__gt=0, held_total=F("total"))


# An unpaid invoice's last deadline warning and its due date, both NULL once it is paid:
# the deadline check's index (`invoice_to_warn`) is on these. PostgreSQL keeps statistics
# of each, so that it knows how few unpaid invoices are due with a warning still to give;
# of the plain columns it would count the paid ones too (most) and read every unpaid one.
UNPAID_WARNING = Case(
    When(paid_on__isnull=True, then=F("deadline_warning")),
    output_field=models.CharField(max_length=10),
)
UNPAID_DUE_BY = Case(When(paid_on__isnull=True, then=F("due_by")), output_field=models.DateField())


class InvoiceQuerySet(models.QuerySet):
    def with_deadline(self, today: datetime.date):
        """Annotate `deadline_status` and `days_left`, computed in SQL from the dates and
        `today` (the UK's date), so that they are right whenever they are read."""
        return self.annotate(
            deadline_status=deadline_status_expression(today),
            days_left=F("due_by") - Value(today, output_field=models.DateField()),
        )

    def in_deadline_status(self, status, today: datetime.date):
        """Invoices whose deadline status is `status` on `today`: plain conditions on the
        dates, which the indexes serve (the unpaid by `invoice_unpaid_due`), where a filter
        on the computed status would read every invoice."""
        return self.filter(deadline_conditions(today)[status])

    def unpaid(self):
        return self.filter(paid_on__isnull=True)

    def to_warn(self, today: datetime.date):
        """Unpaid invoices at a deadline stage past the last warning finance was given of
        them: never warned and due within the week or overdue, warned due soon and due
        today or overdue, warned due today and overdue. Read from `invoice_to_warn`, one
        range of it a stage, so that the deadline check's cost follows these, not the
        invoices paid nor those already warned of their stage."""
        soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
        return (
            self.alias(unpaid_warning=UNPAID_WARNING, unpaid_due_by=UNPAID_DUE_BY)
            .filter(
                Q(unpaid_warning="", unpaid_due_by__lte=soon)
                | Q(unpaid_warning=DeadlineWarning.DUE_SOON, unpaid_due_by__lte=today)
                | Q(unpaid_warning=DeadlineWarning.DUE_TODAY, unpaid_due_by__lt=today)
            )
            .exclude(ALL_HELD)
        )


def deadline_conditions(today: datetime.date) -> dict[str, Q]:
    """Each deadline status as a condition on the dates; exactly one holds for an invoice."""
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    paid, unpaid = Q(paid_on__isnull=False), Q(paid_on__isnull=True)
    owing = unpaid & ~ALL_HELD
    return {
        DeadlineStatus.MET: paid & Q(paid_on__lte=F("due_by")),
        DeadlineStatus.LATE: paid & Q(paid_on__gt=F("due_by")),
        DeadlineStatus.OVERDUE: owing & Q(due_by__lt=today),
        DeadlineStatus.DUE_SOON: owing & Q(due_by__gte=today, due_by__lte=soon),
        DeadlineStatus.OK: (owing & Q(due_by__gt=soon)) | (unpaid & ALL_HELD),
    }


def deadline_status_expression(today: datetime.date):
    return Case(
        *(
            When(condition, then=Value(status))
            for status, condition in deadline_conditions(today).items()
        ),
        output_field=models.CharField(max_length=10),
    )


class Invoice(models.Model):
    """A provider's invoice for the care it delivered in a period: one line per package.

    Due 28 days after it was received (`due_by`). States: received -> approved
    or disputed (with a reason the provider sees) -> paid (date paid and
    payment reference). A disputed invoice can be approved once resolved. A
    paid invoice never changes: corrections are credit notes (CreditNote).
    A provider may withdraw an invoice nobody has approved yet: it leaves the invoices
    (the audit trail keeps it whole, lines included) and its visits are free to go on
    another.

    Finance may hold single lines (InvoiceLine.held_at) instead of the whole invoice:
    `held_total` is their sum. Paying an approved invoice pays what is neither held nor
    paid yet (a Payment); `paid_on` and `payment_reference` are the first payment's, the
    one the 28-day deadline is judged by, since a held line does not make it late. The
    invoice is `paid` once nothing is held or left to pay: a line released later is paid
    by a later payment.

    Its deadline status is never stored: `Invoice.objects.with_deadline(today)`
    computes it when read (ok, due_soon with 7 days or fewer left, overdue; met
    or late once paid). An unpaid invoice whose every line is held is ok: nothing on it
    is due, and a held line does not make it late.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="invoices")
    reference = models.CharField(max_length=60, help_text="The provider's invoice number.")
    period_start = models.DateField()
    period_end = models.DateField()
    received_on = models.DateField()
    due_by = models.DateField()
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.RECEIVED
    )
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    held_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="The amount of its held lines."
    )
    dispute_reason = models.TextField(blank=True)
    deadline_warning = models.CharField(
        max_length=10,
        choices=DeadlineWarning.choices,
        blank=True,
        help_text="The last deadline warning finance was given of it (they come in order).",
    )
    paid_on = models.DateField(null=True, blank=True)
    payment_reference = models.CharField(max_length=60, blank=True)
    payment_run = models.ForeignKey(
        "PaymentRun", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["due_by", "pk"]
        indexes = [
            models.Index(fields=["status", "due_by"]),
            models.Index(fields=["provider", "paid_on"]),
            # The lists, newest received first.
            models.Index(fields=["received_on", "id"], name="invoice_received"),
            # The unpaid by due date: the deadline check and the payment board read these
            # only, however many invoices were ever paid.
            models.Index(
                fields=["due_by"],
                include=["total", "held_total"],  # the board's totals from the index alone
                condition=Q(paid_on__isnull=True),
                name="invoice_unpaid_due",
            ),
            # The deadline check's: the unpaid by the last warning given, then due date.
            models.Index(UNPAID_WARNING, UNPAID_DUE_BY, name="invoice_to_warn"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"], name="invoice_reference_unique_per_provider"
            ),
            models.CheckConstraint(
                name="invoice_status_valid",
                condition=Q(status__in=[s.value for s in InvoiceStatus]),
            ),
            models.CheckConstraint(
                name="invoice_period_in_order", condition=Q(period_end__gte=F("period_start"))
            ),
            models.CheckConstraint(
                name="invoice_paid_has_date", condition=~Q(status="paid") | Q(paid_on__isnull=False)
            ),
            # Paid in part (a line held) only once approved.
            models.CheckConstraint(
                name="invoice_paid_on_once_approved",
                condition=Q(paid_on__isnull=True) | Q(status__in=["approved", "paid"]),
            ),
            models.CheckConstraint(name="invoice_total_not_negative", condition=Q(total__gte=0)),
            models.CheckConstraint(
                name="invoice_held_within_total",
                condition=Q(held_total__gte=0, held_total__lte=F("total")),
            ),
        ]

    def __str__(self):
        return f"Invoice {self.reference} from {self.provider_id}"

    @property
    def is_paid(self):
        return self.status == InvoiceStatus.PAID


class LineKind(models.TextChoices):
    CARE = "care", "Care"
    GUARANTEE = "guarantee", "Guaranteed hours"


class InvoiceLine(models.Model):
    """One package on an invoice: hours commissioned, delivered and payable in the
    period, the base hourly rate, and the amount (weekend and bank holiday uplifts
    included). The visits behind it point at it.

    A `guarantee` line is a contract's, not a package's: for the whole weeks of the
    period in which the provider's payable hours in the contract's zone fell short of
    its guaranteed hours, commissioned is the hours guaranteed, delivered the hours
    payable there, payable the shortfall (invoicing.guarantee).

    Finance may hold a line it disputes (`held_at`, with a reason the provider sees)
    while the rest of the invoice is paid; released, it is paid by the next payment.
    `payment` is the payment that paid it: a line is paid once, and never while held.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.CARE)
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    commissioned_hours = models.DecimalField(max_digits=9, decimal_places=2)
    delivered_hours = models.DecimalField(max_digits=9, decimal_places=2)
    payable_hours = models.DecimalField(max_digits=9, decimal_places=2)
    rate = models.DecimalField(max_digits=7, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    visit_count = models.PositiveIntegerField(default=0)
    missed_visits = models.PositiveIntegerField(default=0)
    short_visits = models.PositiveIntegerField(default=0)
    late_visits = models.PositiveIntegerField(default=0)
    held_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.TextField(blank=True)
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )

    class Meta:
        ordering = ["package_id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "package"], name="invoice_line_per_package"),
            models.UniqueConstraint(
                fields=["invoice", "contract"], name="invoice_line_per_guarantee"
            ),
            models.CheckConstraint(
                name="invoice_line_of_a_package_or_a_guarantee",
                condition=Q(kind="care", package__isnull=False, contract__isnull=True)
                | Q(kind="guarantee", package__isnull=True, contract__isnull=False),
            ),
            models.CheckConstraint(
                name="invoice_line_amount_not_negative", condition=Q(amount__gte=0)
            ),
            models.CheckConstraint(
                name="invoice_line_held_or_paid",
                condition=Q(held_at__isnull=True) | Q(payment__isnull=True),
            ),
        ]

    def __str__(self):
        if self.kind == LineKind.GUARANTEE:
            return f"Guaranteed hours of contract {self.contract_id} on invoice {self.invoice_id}"
        return f"Package {self.package_id} on invoice {self.invoice_id}"

    @property
    def zone(self):
        """The zone the line pays for: its package's, or its contract's."""
        return self.contract.zone if self.kind == LineKind.GUARANTEE else self.package.zone

    @property
    def is_held(self):
        return self.held_at is not None


class GuaranteeWeek(models.Model):
    """One whole week a `guarantee` line pays for: the shortfall of its contract's zone that
    week, in carer minutes, and its money as minutes x the base rate on the week's Monday
    (MINUTE_POUNDS). Spend reads these to count guaranteed hours as payable, and as paid
    once the line's payment is made, in the period the week falls in."""

    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="weeks")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(help_text="The week's Monday.")
    payable_minutes = models.PositiveIntegerField()
    payable_minute_pounds = models.DecimalField(**MINUTE_POUNDS)

    class Meta:
        ordering = ["week_start", "zone_id"]
        indexes = [
            # Spend reads a range of weeks.
            models.Index(fields=["week_start", "zone"], name="guarantee_week_spend")
        ]
        constraints = [
            models.UniqueConstraint(fields=["line", "week_start"], name="guarantee_week_once")
        ]

    def __str__(self):
        return f"Guaranteed week of {self.week_start} on line {self.line_id}"


class PaymentRun(models.Model):
    """Approved invoices paid together in one step, exported as CSV for the finance system."""

    reference = models.CharField(max_length=60, unique=True)
    paid_on = models.DateField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="payment_run_created")]

    def __str__(self):
        return f"Payment run {self.reference}"


class Payment(models.Model):
    """Money paid on an invoice: all of it, or what was not held, then each line released.
    Made one by one (`pay`) or in a payment run (`payment_run`)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField()
    payment_reference = models.CharField(max_length=60)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    payment_run = models.ForeignKey(
        PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["paid_on", "pk"]
        indexes = [models.Index(fields=["paid_on", "id"], name="payment_paid_on")]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self):
        return f"Payment {self.payment_reference} of invoice {self.invoice_id}"


class CreditNote(models.Model):
    """Money a provider owes back on a paid invoice (a paid invoice is never edited). The next
    payment run takes it (`payment_run`) as a negative row in its file for the finance system."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.TextField()
    payment_run = models.ForeignKey(
        PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The next payment run claims the credit notes no run has taken.
            models.Index(
                fields=["id"], condition=Q(payment_run__isnull=True), name="credit_note_unsettled"
            )
        ]
        constraints = [
            models.CheckConstraint(name="credit_note_amount_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self):
        return f"Credit note of {self.amount} on invoice {self.invoice_id}"


class DeadlineNotification(models.Model):
    """Finance was warned that an invoice is due soon, due today or overdue: once per
    invoice and warning (the notifications themselves are in the notifications app).

    The unique constraint is what keeps a second beat, a repeated run or a catch-up
    after downtime from sending the same warning twice.
    """

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="deadline_notifications"
    )
    status = models.CharField(max_length=10, choices=DeadlineWarning.choices)
    sent_at = models.DateTimeField()
    recipients = models.TextField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "status"], name="deadline_notification_once")
        ]

    def __str__(self):
        return f"{self.status} warning for invoice {self.invoice_id}"


class JobKind(models.TextChoices):
    VISITS_IMPORT = "visits_import", "Visits import"
    INVOICE_BUILD = "invoice_build", "Invoice build"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Not done"


class InvoicingJob(models.Model):
    """A large visits import or invoice build, run by a worker off the web request, all or
    nothing as in the request (one transaction), with its progress for its page to show.

    `stage`, `done` and `total` are written as it runs, from a connection of its own
    (the work's transaction shows nothing until it commits); `result` is what it did
    ({"imported": n, ...} or {"invoice": id}), `errors` why it did nothing (the form's
    field errors, and "rows" for a file's bad rows). The uploaded file is kept only
    until the job has run. Only the user who started it sees it.
    """

    kind = models.CharField(max_length=20, choices=JobKind.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoicing_jobs"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.BinaryField(null=True, blank=True)
    arguments = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # What the sweep looks for: jobs not finished (few), by when they started.
            models.Index(
                fields=["status", "created_at"],
                name="invoicing_job_unfinished",
                condition=Q(status__in=["queued", "running"]),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
