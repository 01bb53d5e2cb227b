"""The project's JSON parser (``DEFAULT_PARSER_CLASSES``): what Python's ``json`` accepts but the API must not.

- Nesting deeper than ``MAX_DEPTH`` is refused before it is parsed: ``json`` recurses once per level, so
  100,000 ``[`` raised RecursionError (a 500). No body of this API nests more than a few levels.
- A lone surrogate (``"\\ud800"``, half of a UTF-16 pair) is refused: ``json`` decodes the escape into a Python
  string that cannot be encoded as UTF-8, which failed later (a 500 from the renderer or the database driver).
- Errors are a 400 in the request's language, never the parser's English.
"""

import codecs
import json
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32
# A JSON string (skipped whole, so brackets inside it do not count) or a bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def has_lone_surrogate(value) -> bool:
    """Any string (key or value) of the parsed body holding half a surrogate pair (depth is bounded already)."""
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError):
            raise ParseError(_("The request body is not text in %(encoding)s.") % {"encoding": encoding}) from None
        if nesting_depth_exceeds(text):
            raise ParseError(
                _("The request body nests more than %(depth)d levels of lists and objects.") % {"depth": MAX_DEPTH}
            )
        try:
            data = json.loads(text, parse_constant=strict_constant if api_settings.STRICT_JSON else None)
        except json.JSONDecodeError as exc:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)d, column %(column)d).")
                % {"line": exc.lineno, "column": exc.colno}
            ) from None
        except ValueError:  # NaN or Infinity, which JSON does not have
            raise ParseError(_("The request body holds NaN or Infinity, which are not JSON numbers.")) from None
        if has_lone_surrogate(data):
            raise ParseError(
                _("The request body holds a lone surrogate (half of a UTF-16 pair), which is not a character.")
            )
        return data
