"""/api/v1/visits/, /api/v1/invoices/ and /api/v1/payment-runs/: serializers and thin viewsets.

Input is parsed here and checked by the services (invoicing.services), which the
pages call too; ValidationError is a 400 naming the field, Conflict a 409.
"""

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Prefetch, When, prefetch_related_objects
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.pages import CountedPaginator
from core.permissions import has_role, role_permission
from providers.models import Provider

from . import ecm, selectors, services
from .filters import DeliveredVisitFilter, InvoiceFilter
from .models import (
    CreditNote,
    DeliveredVisit,
    Invoice,
    InvoiceLine,
    LineKind,
    Payment,
    PaymentRun,
)
from .permissions import (
    FINANCE,
    INVOICE_BUILDERS,
    READERS,
    VISIT_RECORDERS,
    invoices_for,
    payment_runs_for,
    sees_every_visit,
    visits_for,
)


class HourMinuteField(serializers.TimeField):
    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class DeliveredVisitSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)
    actual_start = HourMinuteField(allow_null=True)
    actual_end = HourMinuteField(allow_null=True)
    planned_start = HourMinuteField(allow_null=True)
    invoice = serializers.SerializerMethodField()

    class Meta:
        model = DeliveredVisit
        fields = [
            "id",
            "package",
            "provider",
            "date",
            "actual_start",
            "actual_end",
            "carers",
            "planned_visit",
            "planned_start",
            "planned_minutes",
            "planned_carers",
            "actual_minutes",
            "payable_minutes",
            "paid_minutes",
            "rate",
            "missed",
            "short",
            "late",
            "unplanned",
            "invoice",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_invoice(self, visit) -> int | None:
        return visit.invoice_line.invoice_id if visit.invoice_line_id else None


class VisitInputSerializer(serializers.Serializer):
    """What ECM sends for one delivered visit (documentation: the service parses it)."""

    package = serializers.IntegerField()
    date = serializers.DateField()
    actual_start = serializers.CharField(help_text="HH:MM")
    actual_end = serializers.CharField(help_text="HH:MM; before actual_start: past midnight")
    carers = serializers.ChoiceField(choices=[1, 2])


IMPORT_RESULT = inline_serializer(
    "VisitImportResult",
    {
        "imported": serializers.IntegerField(),
        "missed": serializers.IntegerField(),
        "short": serializers.IntegerField(),
        "late": serializers.IntegerField(),
        "unplanned": serializers.IntegerField(),
    },
)
IMPORT_REJECTED = inline_serializer(
    "VisitImportRejected",
    {
        "file": serializers.ListField(child=serializers.CharField()),
        # Only when rows were read: a missing or unreadable file has no rows to name.
        "rows": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Delivered visits from electronic call monitoring; a provider sees only its own."""

    serializer_class = DeliveredVisitSerializer
    filterset_class = DeliveredVisitFilter
    permission_classes = [role_permission(*VISIT_RECORDERS, read_roles=READERS)]

    def get_queryset(self):
        return selectors.visit_list(visits_for(self.request.user))

    def paginate_queryset(self, queryset):
        # Every visit, unfiltered: their number is kept (nationally millions to count).
        asked = self.request.query_params
        if sees_every_visit(self.request.user) and not any(
            asked.get(name) for name in DeliveredVisitFilter.base_filters
        ):
            self.paginator.django_paginator_class = partial(
                CountedPaginator, count=selectors.visit_count()
            )
        return super().paginate_queryset(queryset)

    @extend_schema(request=VisitInputSerializer, responses={201: DeliveredVisitSerializer})
    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, Mapping):
            raise ValidationError({"non_field_errors": ["Send one visit as a JSON object."]})
        visit = services.record_visit(by=request.user, record=request.data)
        return Response(self.get_serializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "VisitImport", {"file": serializers.FileField()}
            )
        },
        responses={201: IMPORT_RESULT, 400: OpenApiResponse(IMPORT_REJECTED)},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request):
        """A CSV export (header package,date,actual_start,actual_end,carers): all rows or none."""
        try:
            imported = services.import_visits(
                by=request.user, records=ecm.read_csv(request.FILES.get("file"))
            )
        except services.VisitImportRejected as rejected:
            return Response(
                {"file": rejected.messages, "rows": rejected.rows},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            dataclasses.asdict(imported),
            status=status.HTTP_201_CREATED,
        )


class InvoiceLineSerializer(serializers.ModelSerializer):
    zone = serializers.SerializerMethodField()
    visits = serializers.IntegerField(source="visit_count", read_only=True)
    held = serializers.BooleanField(source="is_held", read_only=True)
    paid = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "kind",
            "package",
            "contract",
            "zone",
            "commissioned_hours",
            "delivered_hours",
            "payable_hours",
            "rate",
            "amount",
            "visits",
            "missed_visits",
            "short_visits",
            "late_visits",
            "held",
            "hold_reason",
            "paid",
        ]
        read_only_fields = fields

    def to_representation(self, line):
        """The fields above, by hand: DRF's walk of them was most of the invoices list's
        time, where a county's page of invoices has 2,800 lines (decimals as DRF gives
        them: a string to their two places)."""
        return {
            "id": line.pk,
            "kind": line.kind,
            "package": line.package_id,
            "contract": line.contract_id,
            "zone": self.get_zone(line),
            "commissioned_hours": _two_places(line.commissioned_hours),
            "delivered_hours": _two_places(line.delivered_hours),
            "payable_hours": _two_places(line.payable_hours),
            "rate": _two_places(line.rate),
            "amount": _two_places(line.amount),
            "visits": line.visit_count,
            "missed_visits": line.missed_visits,
            "short_visits": line.short_visits,
            "late_visits": line.late_visits,
            "held": line.is_held,
            "hold_reason": line.hold_reason,
            "paid": self.get_paid(line),
        }

    def get_zone(self, line) -> str:
        # Read with the line where the invoices list does (`LINES_WITH_ZONES`).
        code = getattr(line, "zone_code", None)
        return line.zone.code if code is None else code

    def get_paid(self, line) -> bool:
        return line.payment_id is not None


CENTS = Decimal("0.01")


def _two_places(value):
    return f"{value.quantize(CENTS):f}"


# The invoices' lines with their zone's code: a county's page of invoices has thousands of
# lines, and loading each one's package and zone was half of the list's time.
LINES_WITH_ZONES = InvoiceLine.objects.annotate(
    zone_code=Case(
        When(kind=LineKind.GUARANTEE, then=F("contract__zone__code")),
        default=F("package__zone__code"),
    )
)


class PreviewLineSerializer(InvoiceLineSerializer):
    """A line the invoice would have: `missed_visits` counts the visits recorded as missed and
    those with no record (`not_recorded_visits`), which sending would record as missed."""

    not_recorded_visits = serializers.SerializerMethodField()
    # Its fields are not the line's: DRF's walk of them.
    to_representation = serializers.ModelSerializer.to_representation

    class Meta(InvoiceLineSerializer.Meta):
        fields = [
            field
            for field in InvoiceLineSerializer.Meta.fields
            if field not in ("id", "held", "hold_reason", "paid")
        ] + ["not_recorded_visits"]
        read_only_fields = fields

    def get_not_recorded_visits(self, line) -> int:
        return getattr(line, "not_recorded_visits", 0)  # a guarantee line holds no visit


class InvoicePreviewSerializer(serializers.Serializer):
    provider = serializers.CharField(source="provider.code")
    reference = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    received_on = serializers.DateField()
    due_by = serializers.DateField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    missed_visits = serializers.IntegerField(source="missed")
    not_recorded_visits = serializers.SerializerMethodField()
    lines = PreviewLineSerializer(many=True)

    def get_not_recorded_visits(self, draft) -> int:
        return len(draft.not_recorded)


class PaymentSerializer(serializers.ModelSerializer):
    payment_run = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )

    class Meta:
        model = Payment
        fields = ["paid_on", "payment_reference", "amount", "payment_run"]
        read_only_fields = fields


class CreditNoteSerializer(serializers.ModelSerializer):
    payment_run = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )

    class Meta:
        model = CreditNote
        fields = ["id", "invoice", "amount", "reason", "created_at", "payment_run"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)
    deadline_status = serializers.CharField(read_only=True)
    days_left = serializers.SerializerMethodField()
    payment_run = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    lines = InvoiceLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    credit_notes = CreditNoteSerializer(many=True, read_only=True)
    left_to_pay = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "provider",
            "reference",
            "period_start",
            "period_end",
            "received_on",
            "due_by",
            "status",
            "deadline_status",
            "days_left",
            "total",
            "held_total",
            "left_to_pay",
            "lines",
            "payments",
            "credit_notes",
            "paid_on",
            "payment_reference",
            "payment_run",
            "dispute_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_days_left(self, invoice) -> int | None:
        """Days until due_by (negative once overdue); null once paid."""
        return None if invoice.paid_on else invoice.days_left.days

    def get_left_to_pay(self, invoice) -> str:
        """What paying now would pay: the total less held lines and payments."""
        return f"{services.outstanding(invoice):.2f}"


class InvoiceInputSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    reference = serializers.CharField(max_length=60)
    provider = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Provider.objects.all(),
        required=False,
        help_text="Finance only: the provider an invoice by post came from.",
    )
    received_on = serializers.DateField(
        required=False, help_text="Finance only: the day it arrived (default today)."
    )


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField()


class CreditNoteInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = serializers.CharField()


class PaySerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    payment_reference = serializers.CharField(max_length=60)


FINANCE_ACTIONS = ("approve", "dispute", "pay", "dispute_line", "release_line", "credit_notes")


class InvoicePermission(role_permission(*INVOICE_BUILDERS, read_roles=READERS)):
    def has_permission(self, request, view):
        if view.action in FINANCE_ACTIONS:
            return has_role(request.user, *FINANCE)
        return super().has_permission(request, view)


class InvoiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Invoices with lines per package and their 28-day deadline, computed when read."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    permission_classes = [InvoicePermission]

    def get_queryset(self):
        return (
            selectors.with_deadlines(invoices_for(self.request.user))
            .prefetch_related(
                Prefetch("lines", queryset=LINES_WITH_ZONES),
                "payments__payment_run",
                "credit_notes__payment_run",
            )
            .select_related("payment_run")
            .order_by("-received_on", "-pk")
        )

    def _answer(self, invoice, code=status.HTTP_200_OK):
        try:
            fresh = self.get_queryset().get(pk=invoice.pk)
        except Invoice.DoesNotExist:
            raise Http404 from None
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=InvoiceInputSerializer, responses={201: InvoiceSerializer})
    def create(self, request, *args, **kwargs):
        data = InvoiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.build_invoice(by=request.user, **data.validated_data)
        return self._answer(invoice, status.HTTP_201_CREATED)

    @extend_schema(request=InvoiceInputSerializer, responses={200: InvoicePreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """The lines and total the same POST would build, saving nothing."""
        data = InvoiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = services.preview_invoice(by=request.user, **data.validated_data)
        # Each line shows its zone: read in two queries, not one a line.
        prefetch_related_objects(draft.lines, "package__zone", "contract__zone")
        return Response(InvoicePreviewSerializer(draft).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The provider takes back an invoice not yet approved: it is no longer an invoice
        (404 after; the audit trail keeps it whole) and its visits are free again."""
        services.withdraw_invoice(invoice_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=DisputeSerializer, responses={200: InvoiceSerializer})
    @action(detail=True, methods=["post"], url_path=r"lines/(?P<line_id>\d+)/dispute")
    def dispute_line(self, request, pk=None, line_id=None):
        """Hold one line; the rest can be approved and paid."""
        invoice = self.get_object()
        data = DisputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._on_line(services.dispute_line, invoice, line_id, **data.validated_data)

    @extend_schema(request=None, responses={200: InvoiceSerializer})
    @action(detail=True, methods=["post"], url_path=r"lines/(?P<line_id>\d+)/release")
    def release_line(self, request, pk=None, line_id=None):
        """End a line's hold: the next payment pays it."""
        return self._on_line(services.release_line, self.get_object(), line_id)

    def _on_line(self, service, invoice, line_id, **fields):
        try:
            invoice = service(
                invoice_id=invoice.pk, line_id=int(line_id), by=self.request.user, **fields
            )
        except InvoiceLine.DoesNotExist:
            raise Http404 from None
        return self._answer(invoice)

    @extend_schema(request=CreditNoteInputSerializer, responses={201: CreditNoteSerializer})
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request, pk=None):
        """A credit note on a paid invoice: the next payment run nets it."""
        invoice = self.get_object()
        data = CreditNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.add_credit_note(
            invoice_id=invoice.pk, by=request.user, **data.validated_data
        )
        return Response(CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        invoice = services.approve_invoice(invoice_id=self.get_object().pk, by=request.user)
        return self._answer(invoice)

    @extend_schema(request=DisputeSerializer, responses={200: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        invoice = self.get_object()
        data = DisputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.dispute_invoice(
            invoice_id=invoice.pk, by=request.user, **data.validated_data
        )
        return self._answer(invoice)

    @extend_schema(request=PaySerializer, responses={200: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        invoice = self.get_object()
        data = PaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.pay_invoice(
            invoice_id=invoice.pk, by=request.user, **data.validated_data
        )
        return self._answer(invoice)

    @extend_schema(responses={200: DeliveredVisitSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def visits(self, request, pk=None):
        """The delivered (and missed) visits behind the invoice's lines."""
        invoice = self.get_object()
        visits = selectors.visit_list(
            DeliveredVisit.objects.filter(invoice_line__invoice=invoice)
        ).order_by("package_id", "date", "actual_start", "pk")
        page = self.paginate_queryset(visits)
        return self.get_paginated_response(DeliveredVisitSerializer(page, many=True).data)


class PaymentRunSerializer(serializers.ModelSerializer):
    invoices = serializers.SerializerMethodField()
    credit_notes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PaymentRun
        fields = [
            "id",
            "reference",
            "paid_on",
            "total",
            "invoices",
            "credit_notes",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    def get_invoices(self, run) -> list[int]:
        """The invoices the run paid (all of one, or the rest, or a released line)."""
        return sorted({payment.invoice_id for payment in run.payments.all()})


class PaymentRunInputSerializer(serializers.Serializer):
    invoices = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ecm.MAX_ID), allow_empty=False
    )
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=60)


class PaymentRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Approved invoices paid together in one step (all or none)."""

    serializer_class = PaymentRunSerializer
    permission_classes = [role_permission(*FINANCE)]

    def get_queryset(self):
        return (
            payment_runs_for(self.request.user)
            .select_related("created_by")
            .prefetch_related("payments", "credit_notes")
        )

    @extend_schema(request=PaymentRunInputSerializer, responses={201: PaymentRunSerializer})
    def create(self, request, *args, **kwargs):
        data = PaymentRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.run_payments(
            by=request.user,
            invoice_ids=data.validated_data["invoices"],
            paid_on=data.validated_data["paid_on"],
            reference=data.validated_data["reference"],
        )
        fresh = self.get_queryset().get(pk=run.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)
