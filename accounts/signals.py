"""Tokens revoked when what they stand for changes, however the account is changed.

The password, role and organisation are compared with the stored row before each save
(create_account, the Django admin, changepassword, the services); zones when they
are set. A save of only `last_login` (every sign-in) reads nothing.
"""

from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from . import tokens
from .models import User

CREDENTIAL_FIELDS = ("password", "role", "provider_id")


@receiver(pre_save, sender=User)
def _note_credential_change(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._credentials_changed = ()
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & {"password", "role", "provider"}:
        return
    stored = User.objects.filter(pk=instance.pk).values(*CREDENTIAL_FIELDS).first()
    if stored is not None:
        instance._credentials_changed = tuple(
            name for name in CREDENTIAL_FIELDS if stored[name] != getattr(instance, name)
        )


@receiver(post_save, sender=User)
def _revoke_on_credential_change(sender, instance, created, raw=False, **kwargs):
    changed = getattr(instance, "_credentials_changed", ())
    if changed:
        names = ", ".join(name.removesuffix("_id") for name in changed)
        tokens.revoke_all(instance, because=f"{names} changed")
    instance._credentials_changed = ()


@receiver(m2m_changed, sender=User.zones.through)
def _revoke_on_zones_change(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        return
    tokens.revoke_all(instance, because="zones changed")
