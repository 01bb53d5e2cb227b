"""Nested lists filtered by the reader's scope, in the serializer, so every view that uses it gets them scoped.

The top-level rows of a response come from ``visible_to(user)``; the rows nested in them do not. A county-wide
problem (共性) visible to a township listed every village it applies to, across the county (issue 20, finding 10).
A field that lists rows carrying a division keeps those the reader may see, as the pages do.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from villages.scopes import can_see


def reader(context):
    """The user a serializer answers; a scoped field without one is a programming error, not an empty list."""
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured("A scoped field needs the request in the serializer's context.")
    return request.user


def in_scope_codes(context, codes) -> list[str]:
    """The division codes of ``codes`` the reader may see."""
    user = reader(context)
    return [code for code in codes if can_see(user, code)]


class ScopedManyRelatedField(serializers.ManyRelatedField):
    """A many-relation's rows whose division code (at ``code_path``, dotted) lies in the reader's scopes: the same
    test as ``scope_q``, in Python over the prefetched rows, so the list costs no query per row."""

    def __init__(self, *, code_path: str = "code", **kwargs):
        self.code_path = code_path.split(".")
        super().__init__(**kwargs)

    def _code(self, row) -> str:
        for part in self.code_path:
            row = getattr(row, part)
        return row

    def to_representation(self, iterable):
        user = reader(self.context)
        return [self.child_relation.to_representation(row) for row in iterable if can_see(user, self._code(row))]


def scoped_codes(*, code_path: str = "code", **kwargs) -> ScopedManyRelatedField:
    """The codes of a many-relation to divisions (or to rows with a division at ``code_path``), in scope only."""
    return ScopedManyRelatedField(
        child_relation=serializers.SlugRelatedField(slug_field="code", read_only=True),
        code_path=code_path,
        read_only=True,
        **kwargs,
    )
