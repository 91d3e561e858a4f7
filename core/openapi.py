"""The OpenAPI document as the answers are: a postprocessing hook for drf-spectacular.

The API writes every time as HH:MM (REST_FRAMEWORK's TIME_FORMAT), which is not
OpenAPI's `format: time` (HH:MM:SS with an offset): a client validating the
answers against the document rejected every visit. Each schema of a time is
rewritten to the pattern the answers follow.
"""

HOUR_MINUTE = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"}


def times_as_hour_minute(result, generator, request, public):
    """Every `{"type": "string", "format": "time"}` in the document becomes HH:MM."""
    _rewrite(result)
    return result


def _rewrite(node):
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node.update(HOUR_MINUTE)
        for value in node.values():
            _rewrite(value)
    elif isinstance(node, list):
        for value in node:
            _rewrite(value)
