"""The API's parsers: DRF's, within limits of size and depth.

JSON and form bodies larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or JSON nested
deeper than MAX_JSON_DEPTH, are a 400 before they are decoded (a body nested
3,000 levels deep once made Python's decoder give up with a 500). Multipart
bodies keep Django's own limits; a file's size is its reader's to check.
"""

import io
import re

from django.conf import settings
from rest_framework import exceptions, parsers

# No body of ours nests deeper than a package's flexible plan inside its POST (3 levels).
MAX_JSON_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def read_limited(stream) -> bytes:
    """The body, refused with a 400 once it passes DATA_UPLOAD_MAX_MEMORY_SIZE bytes."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise exceptions.ParseError(body_too_large())
    return body


def body_too_large() -> str:
    return f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON `text` (brackets inside strings ignored)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser within limits of size and depth."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_limited(stream)
        try:
            text = body.decode(settings.DEFAULT_CHARSET)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return super().parse(io.BytesIO(body), media_type, parser_context)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(read_limited(stream)), media_type, parser_context)
