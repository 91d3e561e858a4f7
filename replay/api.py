"""POST /api/v1/simulations/ (202 with an id) and GET /api/v1/simulations/{id}/."""

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.permissions import role_permission

from . import services, settings_input
from .models import Simulation
from .permissions import SIMULATION_ROLES, simulations_for


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(source="period_start")
    end = serializers.DateField(source="period_end")

    def validate(self, attrs):
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError({"end": ["The end comes on or after the start."]})
        return attrs


class SimulationSerializer(serializers.ModelSerializer):
    """A simulation: the question (period, zones, settings) and, once done, its results."""

    period = PeriodSerializer(
        source="*", help_text='{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}: the past period.'
    )
    zones = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Zone codes; none or empty: every zone.",
    )
    settings = serializers.DictField(
        required=False,
        default=dict,
        help_text='Zone settings to try: {"ZONE-CODE": {zone fields}}, or {zone fields} for '
        "every zone chosen. None: the calibration run alone.",
    )
    seed = serializers.IntegerField(required=False, default=1, min_value=0, max_value=2**31 - 1)
    runs = serializers.IntegerField(required=False, default=3, min_value=1, max_value=10)

    class Meta:
        model = Simulation
        fields = [
            "id",
            "status",
            "progress",
            "period",
            "zones",
            "settings",
            "seed",
            "runs",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "results",
        ]
        read_only_fields = [
            "id",
            "status",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "results",
        ]

    def validate(self, attrs):
        try:
            attrs["zones"], attrs["settings"] = settings_input.checked(
                attrs.get("zones", []), attrs.get("settings", {})
            )
        except settings_input.SettingsError as error:
            raise serializers.ValidationError(error.errors) from error
        return attrs


class SimulationViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """A commissioner's what-if: replay a past period's referrals with other zone settings."""

    serializer_class = SimulationSerializer
    permission_classes = [role_permission(*SIMULATION_ROLES)]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator has no user
            return self.serializer_class.Meta.model.objects.none()
        return simulations_for(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        simulation = services.request_simulation(
            by=request.user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            zones=data["zones"],
            settings=data["settings"],
            seed=data["seed"],
            runs=data["runs"],
        )
        return Response(self.get_serializer(simulation).data, status=status.HTTP_202_ACCEPTED)
