"""/api/v1/packages/: record, read and move care packages through their lifecycle.

Every answer that shows a person's identity is written to the access log.
"""

from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role
from core import clock, fresh
from core.permissions import BROKERS, has_role, may_broker_zone, role_permission
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from . import selectors, services, validation
from .filters import PackageFilter
from .models import (
    PERSON_CONTACT,
    PERSON_IDENTITY,
    Goal,
    GoalStatus,
    Package,
    PackageVersion,
    Person,
    Priority,
    Purpose,
    Review,
    ReviewOutcome,
    Source,
    Visit,
)
from .nhs import normalise_nhs_number
from .permissions import (
    HAND_BACK_ROLES,
    PACKAGE_READERS,
    PACKAGE_WRITERS,
    packages_for,
)


def _django_to_drf(check, value):
    """Run a rule from packages.validation, reporting its ValidationError the DRF way."""
    try:
        return check(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from error


class NextOfKinSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    relationship = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": 500},
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "relationship": {"type": "string", "maxLength": 100},
                    "phone": {"type": "string", "maxLength": 30},
                },
                "additionalProperties": False,
            },
        ],
        "nullable": True,
    }
)
class NextOfKinField(serializers.Field):
    """Who to call about the person: a text ("Jane Smith, daughter, 07700 900123") or
    {"name", "relationship", "phone"}, kept and answered as given."""

    default_error_messages = {
        "invalid": 'Give next of kin as a text or as {{"name", "relationship", "phone"}}.'
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            return _django_to_drf(validation.check_next_of_kin_text, data.strip())
        if not isinstance(data, dict) or set(data) - set(NextOfKinSerializer().fields):
            self.fail("invalid")
        kin = NextOfKinSerializer(data=data)
        kin.is_valid(raise_exception=True)
        return {key: value.strip() for key, value in kin.validated_data.items() if value.strip()}

    def to_representation(self, value):
        return value


class PersonSerializer(serializers.ModelSerializer):
    """The person a package is for: identity, and how to reach them and get in (contact)."""

    # Declared, not derived from the model: a known NHS number is not a uniqueness error.
    nhs_number = serializers.CharField(max_length=20)
    postcode = serializers.CharField(max_length=10)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    next_of_kin = NextOfKinField(required=False, allow_null=True)
    access_notes = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="How carers get in: a key safe and its code, a door to use.",
    )

    class Meta:
        model = Person
        fields = ["id", *PERSON_IDENTITY, *PERSON_CONTACT]
        read_only_fields = ["id"]

    def validate_phone(self, value):
        return _django_to_drf(validation.clean_phone, value)

    def to_representation(self, person):
        """Contact details only when recorded: a person without them reads as in v1."""
        data = super().to_representation(person)
        for field in PERSON_CONTACT:
            if not data[field]:
                del data[field]
        return data

    def validate_nhs_number(self, value):
        return _django_to_drf(normalise_nhs_number, value)

    def validate_postcode(self, value):
        postcode = _django_to_drf(normalise_postcode, value)
        _django_to_drf(zone_for_postcode, postcode)
        return postcode

    def validate_date_of_birth(self, value):
        _django_to_drf(validation.check_date_of_birth, value)
        return value


class VisitSerializer(serializers.ModelSerializer):
    # Longer than a day's code, so that "monday" meets the rule's message naming the seven.
    days = serializers.ListField(child=serializers.CharField(max_length=20))
    time = serializers.TimeField(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"])
    duration_minutes = serializers.IntegerField()
    carers = serializers.IntegerField(default=1)
    purpose = serializers.ChoiceField(choices=Purpose.choices)

    class Meta:
        model = Visit
        fields = ["id", "days", "time", "duration_minutes", "carers", "purpose"]
        read_only_fields = ["id"]

    def validate_days(self, value):
        return _django_to_drf(validation.clean_days, value)

    def validate_carers(self, value):
        _django_to_drf(validation.check_carers, value)
        return value

    def validate(self, attrs):
        try:
            validation.check_duration(attrs["duration_minutes"], attrs["purpose"])
        except DjangoValidationError as error:
            raise serializers.ValidationError({"duration_minutes": error.messages}) from error
        return attrs


class FlexiblePlanSerializer(serializers.Serializer):
    week_hours = serializers.ListField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2)
    )
    contingency_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("0")
    )
    total_hours = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    cap_hours = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)

    def validate_week_hours(self, value):
        return _django_to_drf(validation.check_week_hours, value)

    def validate_contingency_hours(self, value):
        _django_to_drf(validation.check_contingency, value)
        return value


# A provider caring for the package from a day until a day (null: until further notice).
# Built with type(): "from" is a Python keyword, so it cannot be declared in a class body.
PlacementSerializer = type(
    "PlacementSerializer",
    (serializers.Serializer,),
    {
        "provider": serializers.CharField(source="provider.code"),
        "from": serializers.DateField(source="starts_on"),
        "until": serializers.DateField(source="ends_on", allow_null=True),
    },
)


class ReferrerSerializer(serializers.Serializer):
    """Who referred the person, to call back: a ward, a social worker, a reablement team."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    organisation = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    def validate_phone(self, value):
        return _django_to_drf(validation.clean_phone, value)


class CurrentOfferSerializer(serializers.Serializer):
    provider = serializers.CharField(source="provider.code")
    expires_at = serializers.DateTimeField()


# Each package's placements and offers, written by one serializer for every package: a
# serializer made a package copied its fields each time, a third of a list's cost.
PLACEMENTS = PlacementSerializer(many=True)
CURRENT_OFFERS = CurrentOfferSerializer(many=True)


class PackageSerializer(serializers.ModelSerializer):
    """A package with its person (identity), visits and plan; the POST body has the same shape.

    Brokers also see `current_offers`: who holds an offer of it now, and until when."""

    person = PersonSerializer()
    # The schedule in force today (a change from a later date shows in .../changes/).
    visits = VisitSerializer(many=True, source="current_visits")
    flexible_plan = FlexiblePlanSerializer(required=False, allow_null=True, source="current_plan")
    weekly_hours = serializers.DecimalField(
        max_digits=7, decimal_places=2, read_only=True, source="current_version.weekly_hours"
    )
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    next_provider = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    placements = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=Source.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.STANDARD)
    referrer = ReferrerSerializer(required=False, allow_null=True)
    goals = serializers.ListField(
        child=serializers.ChoiceField(choices=Goal.choices),
        required=False,
        max_length=len(Goal.values),
        help_text="The outcomes the package aims at, each once.",
    )
    preferences = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="What matters to the person about their care: times, carers, language.",
    )
    fill_overdue = serializers.BooleanField(
        read_only=True, help_text="Open for longer than its zone's fill target since submitted."
    )
    current_offers = serializers.SerializerMethodField(
        help_text="The pending offers: {provider, expires_at} (brokers only)."
    )
    update_person = serializers.BooleanField(
        default=False,
        write_only=True,
        help_text=(
            "A known NHS number joins the person already recorded; details that differ from "
            "their record answer 400 naming the fields, unless this is true: then the record "
            "is updated (only by a broker who sees every live package of that person)."
        ),
    )

    class Meta:
        model = Package
        fields = [
            "id",
            "status",
            "zone",
            "person",
            "source",
            "priority",
            "start_date",
            "hospital_ready_on",
            "needs",
            "referrer",
            "goals",
            "preferences",
            "visits",
            "flexible_plan",
            "weekly_hours",
            "submitted_at",
            "placed_at",
            "provider",
            "placements",
            "handed_back_until",
            "next_provider",
            "review_due_on",
            "escalated",
            "escalated_at",
            "fill_overdue",
            "current_offers",
            "brokering_round",
            "ended_on",
            "cancel_reason",
            "created_at",
            "update_person",
        ]
        read_only_fields = [
            "id",
            "status",
            "handed_back_until",
            "review_due_on",
            "weekly_hours",
            "submitted_at",
            "placed_at",
            "escalated",
            "escalated_at",
            "brokering_round",
            "ended_on",
            "cancel_reason",
            "created_at",
        ]

    @extend_schema_field(PlacementSerializer(many=True))
    def get_placements(self, package) -> list:
        """Who cares for it from when until when: each placement that covers a day."""
        placements = [
            p for p in package.placements.all() if p.ends_on is None or p.covers(p.ends_on)
        ]
        return PLACEMENTS.to_representation(placements)

    def validate_start_date(self, value):
        _django_to_drf(lambda day: validation.check_near_today(day, what="start date"), value)
        return value

    @extend_schema_field(CurrentOfferSerializer(many=True))
    def get_current_offers(self, package):
        offers = getattr(package, "current_offers", None)
        if offers is None:  # not prefetched: one package answered after an action
            offers = selectors.with_current_offers(Package.objects.filter(pk=package.pk))
            offers = offers.get().current_offers
        return CURRENT_OFFERS.to_representation(offers)

    def get_fields(self):
        fields = super().get_fields()
        if not has_role(getattr(self.context.get("request"), "user", None), *BROKERS):
            del fields["current_offers"]  # rivals' names are not a provider's to know
        return fields

    def validate_visits(self, value):
        _django_to_drf(validation.check_visit_count, value)
        return value

    def validate_goals(self, value):
        return list(dict.fromkeys(value))  # each once, in the order given

    def validate(self, attrs):
        postcode = attrs.get("person", {}).get("postcode")
        if postcode is None:  # a PATCH that leaves the postcode as it is
            return attrs
        zone = zone_for_postcode(postcode)
        if not may_broker_zone(self.context["request"].user, zone):
            message = services.OUTSIDE_YOUR_ZONES.format(zone=zone.code)
            raise serializers.ValidationError({"person": {"postcode": [message]}})
        return attrs


def as_changes(validated) -> dict:
    """A PATCH body's validated data in the shape the services take (the referral's)."""
    renamed = {"current_visits": "visits", "current_plan": "flexible_plan"}
    return {renamed.get(field, field): value for field, value in validated.items()}


class ChangeSerializer(serializers.ModelSerializer):
    """A change of a placed package's visits from a date (a version after the first)."""

    visits = VisitSerializer(many=True)
    flexible_plan = FlexiblePlanSerializer(required=False, allow_null=True)
    effective_from = serializers.DateField()
    reason = serializers.CharField(max_length=2000)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PackageVersion
        fields = [
            "id",
            "package",
            "number",
            "effective_from",
            "visits",
            "flexible_plan",
            "weekly_hours",
            "reason",
            "created_at",
            "created_by",
        ]
        read_only_fields = ["id", "package", "number", "weekly_hours", "created_at"]

    def validate_visits(self, value):
        _django_to_drf(validation.check_visit_count, value)
        return value

    def to_representation(self, version):
        data = super().to_representation(version)
        data["package"] = str(version.package_id)
        return data


class ReviewGoalSerializer(serializers.Serializer):
    goal = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=GoalStatus.choices)


class ReviewSerializer(serializers.ModelSerializer):
    """A review of a placed package: its goals, what follows, the next review."""

    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    goals = ReviewGoalSerializer(many=True, required=False, default=list)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    next_review_on = serializers.DateField(required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "package",
            "held_on",
            "outcome",
            "notes",
            "goals",
            "next_review_on",
            "weekly_hours_before",
            "created_at",
            "created_by",
        ]
        read_only_fields = ["id", "package", "weekly_hours_before", "created_at"]

    def to_representation(self, review):
        data = super().to_representation(review)
        data["package"] = str(review.package_id)
        return data


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class HandBackSerializer(ReasonSerializer):
    last_day = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="With notice: the provider's last day of care, today to 28 days ahead.",
    )


class EndSerializer(serializers.Serializer):
    ended_on = serializers.DateField(required=False, allow_null=True)


class PackageViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PackageSerializer
    filterset_class = PackageFilter

    def get_permissions(self):
        if self.action in ("hand_back", "review_request"):
            return [role_permission(*HAND_BACK_ROLES)()]
        return [role_permission(*PACKAGE_WRITERS, read_roles=(*PACKAGE_READERS, Role.PROVIDER))()]

    def get_queryset(self):
        packages = selectors.with_details(packages_for(self.request.user))
        if has_role(self.request.user, *BROKERS):
            packages = selectors.with_current_offers(packages)
        return packages.order_by("-created_at")

    def _respond(self, package_id, status_code=status.HTTP_200_OK, packages=None):
        """The package as it is now, logged as a view of its person."""
        packages = self.get_queryset() if packages is None else selectors.with_details(packages)
        package = packages.get(pk=package_id)
        services.log_person_access(
            person_id=package.person_id,
            user=self.request.user,
            request_or_ip=self.request,
            via=f"{self.request.method} {self.request.path}",
        )
        return Response(self.get_serializer(package).data, status=status_code)

    def list(self, request, *args, **kwargs):
        """A page of packages, each a view of its person; as JSON its bytes are reused while
        nothing on the page has changed (core.fresh)."""
        if request.accepted_renderer.format == "json":
            vary = (request.accepted_media_type,)
            response, person_ids = fresh.page(request, self._rendered_page, vary=vary)
        else:
            response, person_ids = self._page()
        services.log_people_access(
            person_ids=person_ids,
            user=request.user,
            request_or_ip=request,
            via=f"GET {request.path}",
        )
        return response

    def _page(self):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        return response, [package.person_id for package in page]

    def _rendered_page(self):
        """The page made into its bytes now, as DRF would after the view, to be kept."""
        response, person_ids = self._page()
        response.accepted_renderer = self.request.accepted_renderer
        response.accepted_media_type = self.request.accepted_media_type
        response.renderer_context = self.get_renderer_context()
        return response.render(), person_ids

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object().pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            package = services.create_package(
                by=request.user,
                person=data.pop("person"),
                visits=data.pop("current_visits"),
                flexible_plan=data.pop("current_plan", None),
                update_person=data.pop("update_person"),
                package=data,
            )
        except services.PersonDiffers as differs:
            # Said where the POST body has the fields: under "person".
            raise serializers.ValidationError({"person": differs.message_dict}) from differs
        return self._respond(package.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        """A draft takes any field of the POST body; an open package its visits, flexible
        plan, priority, start date and needs (a new brokering round); a placed one is 409."""
        package = self.get_object()
        services.require_editable(package)
        serializer = self.get_serializer(package, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = as_changes(serializer.validated_data)
        update_person = changes.pop("update_person", False)
        try:
            services.edit_package(
                by=request.user,
                package_id=package.pk,
                changes=changes,
                update_person=update_person,
            )
        except services.PersonDiffers as differs:
            raise serializers.ValidationError({"person": differs.message_dict}) from differs
        return self._respond(package.pk)

    @extend_schema(request=ChangeSerializer, responses={201: ChangeSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=ChangeSerializer)
    def changes(self, request, pk=None):
        """A placed package's visits changed from a date; GET lists the changes."""
        package = self.get_object()
        if request.method == "GET":
            changes = selectors.changes_of(package)
            page = self.paginate_queryset(changes)
            return self.get_paginated_response(ChangeSerializer(page, many=True).data)
        body = _parsed(ChangeSerializer, request)
        version = services.change_package(
            by=request.user,
            package_id=package.pk,
            effective_from=body["effective_from"],
            visits=body["visits"],
            flexible_plan=body.get("flexible_plan"),
            reason=body["reason"],
        )
        return Response(
            ChangeSerializer(selectors.changes_of(package).get(pk=version.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ReviewSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=ReviewSerializer)
    def reviews(self, request, pk=None):
        """A placed package's reviews: POST records one (`end` ends the package)."""
        package = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(package.reviews.select_related("created_by"))
            return self.get_paginated_response(ReviewSerializer(page, many=True).data)
        body = _parsed(ReviewSerializer, request)
        review = services.record_review(by=request.user, package_id=package.pk, **body)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"], url_path="review-request")
    def review_request(self, request, pk=None):
        """The provider caring for the package asks for a review, saying why."""
        package_id = self.get_object().pk
        body = _parsed(ReasonSerializer, request)
        services.ask_for_review(by=request.user, package_id=package_id, reason=body["reason"])
        return self._respond(package_id)

    @extend_schema(request=None, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        package = services.submit_package(package_id=self.get_object().pk, by=request.user)
        return self._respond(package.pk)

    @extend_schema(request=ReasonSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        package_id = self.get_object().pk
        body = _parsed(ReasonSerializer, request)
        services.cancel_package(package_id=package_id, by=request.user, reason=body["reason"])
        return self._respond(package_id)

    @extend_schema(request=HandBackSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"], url_path="hand-back")
    def hand_back(self, request, pk=None):
        package_id = self.get_object().pk
        body = _parsed(HandBackSerializer, request)
        services.hand_back_package(
            package_id=package_id,
            by=request.user,
            reason=body["reason"],
            last_day=body.get("last_day"),
        )
        # Handed back, it is no longer the provider's to see: this answer is its last look.
        return self._respond(package_id, packages=Package.objects.all())

    @extend_schema(request=EndSerializer, responses=PackageSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        package_id = self.get_object().pk
        body = _parsed(EndSerializer, request)
        services.end_package(package_id=package_id, by=request.user, ended_on=body.get("ended_on"))
        return self._respond(package_id)


def _parsed(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ReviewsDueFilter(django_filters.FilterSet):
    due_before = django_filters.DateFilter(
        field_name="review_due_on",
        lookup_expr="lte",
        help_text="Reviews due on or before this date (default: today).",
    )


class ReviewsDueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/api/v1/reviews/: placed packages whose review is due, the soonest first."""

    serializer_class = PackageSerializer
    filterset_class = ReviewsDueFilter
    permission_classes = [role_permission(read_roles=PACKAGE_READERS)]

    def get_queryset(self):
        packages = selectors.reviews_due(packages_for(self.request.user))
        if "due_before" not in self.request.query_params:
            packages = packages.filter(review_due_on__lte=clock.today())
        return selectors.with_details(packages)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.log_people_access(
            person_ids=[package.person_id for package in page],
            user=request.user,
            request_or_ip=request,
            via=f"GET {request.path}",
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
