"""People who sign in, and the one role each holds."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    BROKER = "broker", "Broker"
    COMMISSIONER = "commissioner", "Commissioner"
    FINANCE = "finance", "Finance officer"
    PROVIDER = "provider", "Provider"


class User(AbstractUser):
    """A person who signs in, with exactly one role.

    A provider user belongs to one provider organisation and sees only its
    work. A broker may be limited to some zones; with none listed, a broker
    works in every zone.
    """

    # Left out of the audit trail (core.audit): they change on every save, or are secret.
    audit_exclude = ("password", "last_login")

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.BROKER)
    provider = models.ForeignKey(
        "providers.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    zones = models.ManyToManyField(
        "zones.Zone",
        blank=True,
        related_name="brokers",
        help_text="Zones a broker is limited to; none means every zone.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_valid", condition=models.Q(role__in=Role.values)
            ),
            models.CheckConstraint(
                name="provider_user_has_provider",
                condition=(
                    models.Q(role="provider", provider__isnull=False)
                    | (~models.Q(role="provider") & models.Q(provider__isnull=True))
                ),
            ),
        ]

    def has_role(self, *roles):
        return self.is_authenticated and self.is_active and self.role in roles

    @property
    def is_admin(self):
        return self.role == Role.ADMIN


class ApiToken(AbstractAuthToken):
    """A credential for the API, kept only as its digest (django-rest-knox), until `expiry`.

    Addressed by an id of its own so that the tokens page and the revoke endpoint can
    name one without showing its digest, let alone the token.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "-created"], name="apitoken_user_newest")]

    def __str__(self):
        return f"{self.user} token of {self.created:%Y-%m-%d %H:%M}"
