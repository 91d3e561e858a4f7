"""/api/v1/zones/: zones by code, and the postcode lookup."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Role
from core.permissions import MARKET_MANAGERS, role_permission

from . import selectors, services
from .filters import ZoneFilter
from .models import MAX_TARGET_MINUTES, Zone
from .permissions import MARKET_READERS, zones_for


class DistrictListField(serializers.ListField):
    """A list of postcode districts whose errors are a flat list of messages.

    DRF keys a list item's errors by its index ({"0": [...]}); the contract's
    400 is {"field": ["message", ...]}, so each message names its item instead.
    """

    default_error_messages = {
        "not_a_list": 'Send the postcode districts as a list, like ["EX1", "EX2"].'
    }

    def __init__(self, **kwargs):
        district = serializers.CharField(
            max_length=10,
            allow_blank=True,  # the service explains a blank entry with the others
            error_messages={
                "null": "A postcode district cannot be null: enter one like EX1.",
                "invalid": "A postcode district is text, like EX1.",
                "max_length": "Too long for a postcode district: enter one like EX12.",
            },
        )
        super().__init__(child=district, **kwargs)

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(
                [
                    f"Item {index + 1}: {message}"
                    for index, messages in sorted(error.detail.items())
                    for message in messages
                ]
            ) from error


class OfferHoursSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    end = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])


class FillTargetSerializer(serializers.Serializer):
    urgent = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_MINUTES, default=90)
    standard = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_MINUTES, default=240)


class ZoneSerializer(serializers.ModelSerializer):
    postcode_districts = DistrictListField(
        help_text='Outward codes, e.g. ["EX1", "EX2"]; each belongs to one zone only.',
    )
    neighbours = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        source="neighbour_codes",
        help_text="Zone codes whose providers are asked, in this order, once this zone's are "
        "used up.",
    )
    offer_hours = OfferHoursSerializer(
        required=False,
        allow_null=True,
        help_text='{"start": "07:00", "end": "21:00"} (UK time): offer windows count only '
        "these minutes; null: around the clock.",
    )
    fill_target_minutes = FillTargetSerializer(
        required=False,
        source="fill_targets",
        help_text="Minutes from submit within which a package should be placed, by priority.",
    )

    class Meta:
        model = Zone
        fields = [
            "code",
            "name",
            "postcode_districts",
            "allocation_mode",
            "offer_window_minutes",
            "urgent_offer_window_minutes",
            "rotation_weeks",
            "neighbours",
            "retry_minutes",
            "urgent_wave",
            "offer_hours",
            "fill_target_minutes",
            "review_after_days",
        ]
        extra_kwargs = {
            "code": {
                "validators": [],  # uniqueness is the service's to check, with a clearer message
            }
        }

    def create(self, validated_data):
        zone = services.create_zone(by=self.context["request"].user, **as_settings(validated_data))
        return selectors.with_districts(Zone.objects.filter(pk=zone.pk)).get()

    def update(self, zone, validated_data):
        zone = services.update_zone(
            zone_id=zone.pk, by=self.context["request"].user, **as_settings(validated_data)
        )
        return selectors.with_districts(Zone.objects.filter(pk=zone.pk)).get()


def as_settings(validated: dict) -> dict:
    """The body's fields as the zone services take them (the model's flat fields)."""
    data = dict(validated)
    if "neighbour_codes" in data:
        data["neighbours"] = data.pop("neighbour_codes")
    if "offer_hours" in data:
        hours = data.pop("offer_hours") or {}
        data["offer_hours_start"], data["offer_hours_end"] = hours.get("start"), hours.get("end")
    for priority, minutes in data.pop("fill_targets", {}).items():
        data[f"fill_target_{priority}_minutes"] = minutes
    return data


class ZoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Zones: every signed-in role reads them; commissioners and admins shape them."""

    serializer_class = ZoneSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    filterset_class = ZoneFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [
        role_permission(*MARKET_MANAGERS, read_roles=(*MARKET_READERS, Role.PROVIDER))
    ]

    def get_queryset(self):
        return selectors.with_districts(zones_for(self.request.user))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "postcode", OpenApiTypes.STR, required=True, description="e.g. EX1 1AA, any case"
            )
        ],
        responses={200: ZoneSerializer},
    )
    @action(detail=False, url_path="lookup", filterset_class=None, pagination_class=None)
    def lookup(self, request):
        """The zone covering a postcode: 404 when none does, 400 when it is malformed."""
        postcode = request.query_params.get("postcode", "")
        if not postcode.strip():
            raise serializers.ValidationError({"postcode": ["Enter a postcode, like EX2 4QD."]})
        try:
            zone = selectors.zone_for_postcode(postcode)
        except selectors.PostcodeNotCovered as error:
            raise NotFound(error.messages[0]) from error
        except DjangoValidationError as error:
            raise serializers.ValidationError({"postcode": error.messages}) from error
        zone = get_object_or_404(self.get_queryset(), pk=zone.pk)
        return Response(self.get_serializer(zone).data)
