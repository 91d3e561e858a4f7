"""/api/v1/providers/, /api/v1/contracts/ and /api/v1/capacity/."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role
from core.permissions import MARKET_MANAGERS, role_permission
from zones.models import Zone
from zones.permissions import MARKET_READERS

from . import selectors, services
from .filters import CapacityFilter, ContractFilter, ProviderFilter, RateFilter
from .models import Capacity, Contract, ContractRole, Provider, Rate
from .permissions import (
    CAPACITY_DECLARERS,
    capacity_for,
    contracts_for,
    providers_for,
    rates_for,
)
from .rates import with_rate_today

READERS = (*MARKET_READERS, Role.PROVIDER)


class ProviderContractSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "zone", "role", "share_percent"]


class ProviderSerializer(serializers.ModelSerializer):
    weekly_hours_cap = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        required=False,
        coerce_to_string=False,
        help_text="Weekly hours the provider may hold in placed packages; null for no cap.",
    )
    hourly_rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=0,
        help_text="The every-zone base rate in force today; a new one is in force from today "
        "(/api/v1/rates/ has them all, per zone and over time).",
    )
    contracts = ProviderContractSerializer(many=True, read_only=True)
    is_eligible = serializers.BooleanField(
        read_only=True, help_text="Active and rated Outstanding or Good: may be offered work."
    )

    class Meta:
        model = Provider
        fields = [
            "code",
            "name",
            "cqc_location_id",
            "cqc_rating",
            "status",
            "lot",
            "weekly_hours_cap",
            "hourly_rate",
            "contact_email",
            "supplier_reference",
            "weekend_uplift_percent",
            "bank_holiday_uplift_percent",
            "pay_tolerance_minutes",
            "pay_rounding_minutes",
            "is_eligible",
            "contracts",
        ]
        extra_kwargs = {"code": {"validators": []}}

    def create(self, validated_data):
        provider = services.create_provider(by=self.context["request"].user, **validated_data)
        return _provider_queryset().get(pk=provider.pk)

    def update(self, provider, validated_data):
        services.update_provider(
            provider_id=provider.pk, by=self.context["request"].user, **validated_data
        )
        return _provider_queryset().get(pk=provider.pk)


def _provider_queryset(queryset=None):
    queryset = Provider.objects.all() if queryset is None else queryset
    return with_rate_today(queryset).prefetch_related("contracts__zone")


class ProviderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Providers by code: staff read all, a provider user only its own; commissioners shape them."""

    serializer_class = ProviderSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    filterset_class = ProviderFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [role_permission(*MARKET_MANAGERS, read_roles=READERS)]

    def get_queryset(self):
        return _provider_queryset(providers_for(self.request.user))


class ContractSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", queryset=Zone.objects.all())
    provider = serializers.SlugRelatedField(slug_field="code", queryset=Provider.objects.all())
    zone_name = serializers.CharField(source="zone.name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "zone",
            "provider",
            "role",
            "share_percent",
            "starts_on",
            "ends_on",
            "guaranteed_hours",
            "zone_name",
            "provider_name",
        ]
        # Every rule (one contract per provider and zone, one primary, rota
        # shares) is the service's, with messages naming the field.
        validators = []
        # Left out, a contract is a framework place (the model's default), said to the service.
        extra_kwargs = {"role": {"default": ContractRole.FRAMEWORK}}

        extra_kwargs["starts_on"] = {
            "required": False,
            "help_text": "The first day it is in force (default today).",
        }
        extra_kwargs["ends_on"] = {"help_text": "The last day it is in force; null: open-ended."}
        extra_kwargs["guaranteed_hours"] = {
            "help_text": "Hours a week the commissioner guarantees the provider in the zone."
        }

    def create(self, validated_data):
        return services.add_contract(by=self.context["request"].user, **validated_data)

    def update(self, contract, validated_data):
        # The zone and provider it already has may be sent back as they are.
        for fixed in ("zone", "provider"):
            if validated_data.get(fixed) == getattr(contract, fixed):
                del validated_data[fixed]
        return services.change_contract(
            contract_id=contract.pk, by=self.context["request"].user, **validated_data
        )


class ContractViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A provider's place in a zone; a provider user sees its own contracts only.
    PATCH changes its role, share, dates or guaranteed hours (each change audited)."""

    serializer_class = ContractSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = ContractFilter
    permission_classes = [role_permission(*MARKET_MANAGERS, read_roles=READERS)]

    def get_queryset(self):
        return selectors.contracts_in_order(contracts_for(self.request.user))

    def perform_destroy(self, contract):
        services.remove_contract(contract_id=contract.pk, by=self.request.user)


class CapacitySerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Provider.objects.all(),
        required=False,
        help_text="A provider user may leave this out: it is always its own organisation.",
    )
    zone = serializers.SlugRelatedField(slug_field="code", queryset=Zone.objects.all())
    remaining_hours = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        read_only=True,
        help_text="Hours declared minus the weekly hours of packages placed with this provider "
        "in this zone since the declaration.",
    )

    class Meta:
        model = Capacity
        fields = ["id", "provider", "zone", "week_start", "hours", "remaining_hours", "declared_at"]
        read_only_fields = ["declared_at"]
        validators = []  # a second declaration for the same week replaces the first

    def get_fields(self):
        return _own_provider_only(self, super().get_fields())

    def validate(self, attrs):
        return _provider_or_own(self, attrs)


def _own_provider_only(serializer, fields):
    """A provider user's `provider` field knows only its own organisation: another's code
    is answered as unknown, not revealing it."""
    user = getattr(serializer.context.get("request"), "user", None)
    if getattr(user, "role", None) == Role.PROVIDER:
        fields["provider"].queryset = providers_for(user)
        fields["provider"].error_messages["does_not_exist"] = (
            "You can declare capacity only for your own organisation."
        )
    return fields


def _provider_or_own(serializer, attrs):
    """A provider user may leave `provider` out: it is its own organisation."""
    if "provider" not in attrs:
        user = serializer.context["request"].user
        if user.role != Role.PROVIDER:
            raise serializers.ValidationError({"provider": ["This field is required."]})
        attrs["provider"] = user.provider
    return attrs


# More boxes than a year of weeks in a county's zones would be a load, not a declaration.
MAX_DECLARATIONS = 1000


class CapacityCellSerializer(serializers.Serializer):
    zone = serializers.SlugRelatedField(slug_field="code", queryset=Zone.objects.all())
    week_start = serializers.DateField(help_text="A Monday.")
    hours = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)

    def validate_week_start(self, value):
        wrong = services.not_a_monday(value)
        if wrong:
            raise serializers.ValidationError(wrong)
        return value


class CapacityBulkSerializer(serializers.Serializer):
    provider = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Provider.objects.all(),
        required=False,
        help_text="A provider user may leave this out: it is always its own organisation.",
    )
    declarations = CapacityCellSerializer(many=True, allow_empty=False, max_length=MAX_DECLARATIONS)

    def get_fields(self):
        return _own_provider_only(self, super().get_fields())

    def validate_declarations(self, cells):
        seen = set()
        for cell in cells:
            key = (cell["zone"].pk, cell["week_start"])
            if key in seen:
                raise serializers.ValidationError(
                    f"{cell['zone'].code} in the week starting {cell['week_start']:%Y-%m-%d} "
                    "is given twice: give each zone and week once."
                )
            seen.add(key)
        return cells

    def validate(self, attrs):
        return _provider_or_own(self, attrs)


class CapacityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Spare hours by zone and week. POST for a week already declared replaces it (200)."""

    serializer_class = CapacitySerializer
    filterset_class = CapacityFilter
    permission_classes = [role_permission(*CAPACITY_DECLARERS, read_roles=READERS)]

    def get_queryset(self):
        return selectors.capacity_list(capacity_for(self.request.user))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        capacity, created = services.declare_capacity(by=request.user, **serializer.validated_data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=capacity.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=CapacityBulkSerializer, responses=CapacitySerializer(many=True))
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Several zones and weeks at once, all or none: each declaration as a POST of one
        would make it. A bad one is a 400 under `declarations` at its index."""
        body = CapacityBulkSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        provider, cells = body.validated_data["provider"], body.validated_data["declarations"]
        services.declare_capacities(
            by=request.user,
            provider=provider,
            hours_by_cell={(c["zone"], c["week_start"]): c["hours"] for c in cells},
        )
        declared = self.get_queryset().filter(
            provider=provider,
            zone__in={c["zone"].pk for c in cells},
            week_start__in={c["week_start"] for c in cells},
        )
        wanted = {(c["zone"].pk, c["week_start"]) for c in cells}
        rows = [c for c in declared if (c.zone_id, c.week_start) in wanted]
        return Response(CapacitySerializer(rows, many=True).data)


class RateSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code", queryset=Provider.objects.all())
    zone = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Zone.objects.all(),
        allow_null=True,
        required=False,
        help_text="A zone code, or null for the provider's rate in every zone (a zone's own "
        "rate comes first there).",
    )

    class Meta:
        model = Rate
        fields = ["id", "provider", "zone", "hourly_rate", "effective_from", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # a second rate for the same zone and day replaces the first


class RateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A provider's rates over time and per zone; a provider user sees its own only.
    POST for a zone and day already given a rate replaces it (200)."""

    serializer_class = RateSerializer
    filterset_class = RateFilter
    permission_classes = [role_permission(*MARKET_MANAGERS, read_roles=READERS)]

    def get_queryset(self):
        return selectors.rate_history(rates_for(self.request.user))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rate, created = services.add_rate(by=request.user, **serializer.validated_data)
        return Response(
            self.get_serializer(rate).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
