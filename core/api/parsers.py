"""The API's request parsers: Django's body-size cap on every body, and a nesting cap on JSON so
that a hostile body is a 4xx before any recursion can blow up (DESIGN.md, input at the edge)."""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# A JSON string (escapes included) or one bracket. An unterminated string runs to the end of the
# body: were the scan to fail there, it would start again at every later quote, in quadratic time
# (json.loads refuses such a body anyway). Possessive quantifiers keep each match linear.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\Z)|[\[\]{}]', re.S)


def json_nesting_exceeds(text: str, limit: int) -> bool:
    """Whether arrays/objects in `text` nest deeper than `limit` (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        bracket = text[token.start()]
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than `API_JSON_MAX_DEPTH` with a 400 before
    parsing (json's recursion would otherwise end in a RecursionError, a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from exc
        limit = settings.API_JSON_MAX_DEPTH
        if json_nesting_exceeds(text, limit):
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels.")
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


class MultiPartParser(parsers.MultiPartParser):
    """Django caps the form fields of a multipart body, not its files: cap the whole body too."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        too_big = declared and declared.isascii() and declared.isdigit() \
            and int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if too_big:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return super().parse(stream, media_type, parser_context)
