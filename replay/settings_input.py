"""The zone settings a simulation tries, checked before it is queued as a replay checks them.

Given per zone (`{"ZONE-CODE": {zone fields}}`, as the replay command's
S.json) or once for every zone chosen (`{zone fields}`); answered per zone.
"""

from types import SimpleNamespace

from django.core.exceptions import ValidationError

from zones.api import ZoneSerializer
from zones.models import Zone

from . import reserve


class SettingsError(ValueError):
    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(str(errors))


def zone_fields() -> set[str]:
    """The settings a simulation may try: the zone's own fields, and its reserve providers."""
    return set(ZoneSerializer().fields) - {"code", "name", "postcode_districts"} | {reserve.FIELD}


def checked(zone_codes: list[str], settings: dict) -> tuple[list[str], dict]:
    """The zone codes (known ones, in order) and the settings by zone, or SettingsError."""
    codes = list(dict.fromkeys(code.strip().upper() for code in zone_codes if code.strip()))
    zones = {zone.code: zone for zone in Zone.objects.filter(code__in=codes)}
    if unknown := [code for code in codes if code not in zones]:
        raise SettingsError({"zones": [f"No zone has the code {', '.join(unknown)}."]})
    fields = zone_fields()
    if settings and set(settings) <= fields:  # the same settings for every zone chosen
        targets = codes or list(Zone.objects.values_list("code", flat=True))
        settings = {code: dict(settings) for code in targets}
    by_zone = {}
    for code, changes in settings.items():
        zone = zones.get(code) or Zone.objects.filter(code=code).first()
        if zone is None:
            raise SettingsError({"settings": {code: ["No zone has this code."]}})
        if not isinstance(changes, dict):
            raise SettingsError({"settings": {code: ["Give the zone's fields as an object."]}})
        if extra := set(changes) - fields:
            message = f"Not a zone setting: {', '.join(sorted(extra))}."
            raise SettingsError({"settings": {code: [message]}})
        own = {name: value for name, value in changes.items() if name != reserve.FIELD}
        serializer = ZoneSerializer(
            zone, data=own, partial=True, context={"request": SimpleNamespace(user=None)}
        )
        if not serializer.is_valid():
            raise SettingsError({"settings": {code: serializer.errors}})
        if reserve.FIELD in changes:
            try:
                reserve.check(zone, changes[reserve.FIELD])
            except ValidationError as error:
                raise SettingsError(
                    {"settings": {code: {reserve.FIELD: error.messages}}}
                ) from error
        if changes:
            by_zone[code] = changes
    return codes, by_zone
