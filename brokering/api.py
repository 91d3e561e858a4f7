"""The offers API and the broker's actions on a package (assign by hand, withdraw, re-broker)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.log import log_response
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import OptionalChoiceField
from core.errors import Conflict
from core.permissions import role_permission
from packages import selectors as package_selectors
from packages import services as packages_services
from packages.api import PackageSerializer
from packages.permissions import packages_for
from providers.models import Provider

from . import selectors, services
from .filters import OfferFilter
from .models import DeclineReason, Offer, WithdrawnBecause
from .permissions import ANSWERING_ROLES, BROKERING_ROLES, offer_for, offers_for

AnswersOffers = role_permission(*ANSWERING_ROLES)


class OfferSummarySerializer(serializers.Serializer):
    zone = serializers.CharField()
    zone_name = serializers.CharField()
    postcode_district = serializers.CharField()
    weekly_hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    visits = serializers.ListField(child=serializers.DictField())
    start_date = serializers.DateField()
    priority = serializers.CharField()
    source = serializers.CharField()
    needs = serializers.CharField()


class OfferSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)
    decline_reason = OptionalChoiceField(choices=DeclineReason.choices, read_only=True)
    withdrawn_because = OptionalChoiceField(choices=WithdrawnBecause.choices, read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "package",
            "provider",
            "status",
            "round",
            "sent_at",
            "expires_at",
            "answered_at",
            "decline_reason",
            "decline_detail",
            "withdrawn_because",
            "summary",
        ]
        read_only_fields = fields

    @extend_schema(responses=OfferSummarySerializer)
    def get_summary(self, offer) -> dict:
        return OfferSummarySerializer(selectors.offer_summary(offer)).data


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        help_text="no_capacity, not_in_area, skills_needed, call_times, part or other (or the "
        'reason\'s words, like "Can do part of it"); a reason followed by a colon takes the '
        'words after it as the detail ("part: the mornings"); any other text is recorded '
        "as other with that text as the detail.",
    )
    detail = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Words about the reason: which part of the care the provider can do, say.",
    )

    def validated_reason(self) -> tuple[str, str]:
        text = self.validated_data["reason"].strip()
        detail = self.validated_data.get("detail", "").strip()
        head, _, tail = text.partition(":")
        for words, rest in ((text, ""), (head, tail.strip())):
            reason = _reason_named(words)
            if reason is not None:
                return reason, detail or rest
        return DeclineReason.OTHER, detail or text


def _reason_named(words) -> str | None:
    """The decline reason that `words` name, by its code or its label (any case)."""
    key = words.strip().lower().replace("-", " ").replace("_", " ")
    for value, label in DeclineReason.choices:
        if key in (value.replace("_", " "), label.lower()):
            return value
    return None


class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    """Offers: a provider sees its own, a broker those in its zones, others read all."""

    serializer_class = OfferSerializer
    filterset_class = OfferFilter

    def get_queryset(self):
        offers = offers_for(self.request.user)
        if self.action == "decline":  # answered by id; the summary comes after
            return offers
        return selectors.with_summary(offers).order_by("-sent_at", "-pk")

    def filter_queryset(self, queryset):
        # An answer names its offer by id: the list's filters do not apply (their form alone
        # cost a refused accept a sixth of its time in a race).
        if self.action in ("accept", "decline"):
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        if self.action != "accept":
            return super().get_object()
        # With its package, which accept reads, by the query compiled once (offer_for): most
        # accepts of a race are refused, and this read is most of what they cost.
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None  # as DRF's get_object_or_404 answers it ("Not found.")
        offer = offer_for(self.request.user, pk)
        if offer is None:
            raise Http404(f"No {Offer._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, offer)
        return offer

    def get_permissions(self):
        if self.action in ("accept", "decline"):
            return [AnswersOffers()]
        return super().get_permissions()

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, Conflict):
            # An answer to an offer no longer open is a race's expected outcome (49 of 50
            # clients of a broadcast), each one in the access log: logged at INFO with why,
            # where Django's WARNING for every one would bury those an operator must act on.
            log_response(
                "Conflict: %s (%s)",
                self.request.path,
                str(exc),
                response=response,
                request=self.request,
                level="info",
            )
        return response

    def _answer(self, offer):
        answered = selectors.with_summary(offers_for(self.request.user)).get(pk=offer.pk)
        return Response(OfferSerializer(answered).data)

    @extend_schema(request=None, responses=OfferSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        offer = self.get_object()
        return self._answer(services.accept_offer(offer_id=offer.pk, by=request.user, offer=offer))

    @extend_schema(request=DeclineSerializer, responses=OfferSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = self.get_object()
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason, detail = body.validated_reason()
        return self._answer(
            services.decline_offer(offer_id=offer.pk, by=request.user, reason=reason, detail=detail)
        )


class AssignSerializer(serializers.Serializer):
    provider = serializers.SlugRelatedField(slug_field="code", queryset=Provider.objects.all())
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Needed to place with a provider that is not eligible; the timeline keeps it.",
    )


class PackageActionView(APIView):
    """A broker's action on one package in its zones; answers the package."""

    permission_classes = [role_permission(*BROKERING_ROLES)]

    def package(self, request, pk):
        return get_object_or_404(packages_for(request.user), pk=pk)

    def respond(self, request, package):
        """The package as it is now (with the person's identity: logged as a view of it)."""
        package = package_selectors.with_details(packages_for(request.user)).get(pk=package.pk)
        packages_services.log_person_access(
            person_id=package.person_id,
            user=request.user,
            request_or_ip=request,
            via=f"{request.method} {request.path}",
        )
        return Response(PackageSerializer(package, context={"request": request}).data)


class AssignPackageView(PackageActionView):
    @extend_schema(request=AssignSerializer, responses=PackageSerializer)
    def post(self, request, pk):
        package = self.package(request, pk)
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.assign_package(
            package_id=package.pk,
            provider=body.validated_data["provider"],
            by=request.user,
            reason=body.validated_data.get("reason", ""),
            override_reason=body.validated_data.get("override_reason", ""),
        )
        return self.respond(request, package)


class WithdrawOffersView(PackageActionView):
    @extend_schema(request=None, responses=PackageSerializer)
    def post(self, request, pk):
        package = self.package(request, pk)
        services.withdraw_offers(package_id=package.pk, by=request.user)
        return self.respond(request, package)


class RebrokerPackageView(PackageActionView):
    @extend_schema(request=None, responses=PackageSerializer)
    def post(self, request, pk):
        package = self.package(request, pk)
        services.rebroker_package(package_id=package.pk, by=request.user)
        return self.respond(request, package)
