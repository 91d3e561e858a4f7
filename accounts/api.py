"""Tokens over the API.

POST /api/v1/auth/token/: {"username", "password"} -> {"token", "expiry"}; the token
is sent as `Authorization: Token <token>` until it expires or is revoked.
GET /api/v1/auth/tokens/: the caller's live tokens (never their keys);
DELETE /api/v1/auth/tokens/{id}/ revokes one.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from core.net import client_ip

from . import tokens
from .models import ApiToken


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"

    def get_ident(self, request):
        # The client's address through our proxies, as lockout and the access log see it.
        return client_ip(request) or ""


class AccountLocked(exceptions.APIException):
    """An account locked out after repeated failed sign-ins: the same 429 as the sign-in page."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(
            f"Too many failed sign-in attempts: this account is locked for {minutes} minutes. "
            "Try again later, or ask an administrator to unlock it."
        )


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class ObtainTokenView(GenericAPIView):
    # Credentials are the body: a stale token in the header must not stop a new sign-in.
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = [LoginRateThrottle]
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses=IssuedTokenSerializer)
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # django-axes refuses a locked account inside authenticate(), which DRF
            # then reports as wrong credentials: a person typing the right password
            # would be told it is wrong. Axes flags the request it refused.
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked() from None
            raise
        token, key = tokens.issue(serializer.validated_data["user"])
        return Response({"token": key, "expiry": token.expiry})


class TokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The token this request was sent with.")

    class Meta:
        model = ApiToken
        fields = ["id", "created", "expiry", "current"]

    def get_current(self, token) -> bool:
        return token.pk == getattr(self.context["request"].auth, "pk", None)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator has no user
            return self.serializer_class.Meta.model.objects.none()
        return tokens.live_tokens(self.request.user)

    def perform_destroy(self, instance):
        tokens.revoke(user=self.request.user, token_id=instance.pk)
