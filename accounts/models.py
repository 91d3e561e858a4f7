"""People who sign in, and the one role each holds."""

from django.contrib.auth.models import AbstractUser
from django.db import models


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
