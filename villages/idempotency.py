"""Idempotent writes: a retried API call or a form posted twice makes one record.

- API: a POST/PUT/PATCH/DELETE under /api/ sent with an ``Idempotency-Key`` header. The first successful (2xx)
  answer is stored per user and key; a retry with the same key gets that answer again (header
  ``Idempotent-Replayed: true``) and the view does not run. The same key with another method, address or body
  is refused with 422.
- Browser forms: every ``<form method="post">`` the application renders gets a hidden one-time token
  (``_once``), added to the page on its way out, so forms added later have it without doing anything. The
  first post of a token that succeeds (a redirect, the Post/Redirect/Get rule every form view follows) is
  stored; posting the same token again with the same fields answers with the same redirect instead of a second
  write. Posting it again with other fields (back button, an edit, submit) is refused with a page (422) saying
  the form was already sent and linking back to a fresh one: a create form run again would make a second record
  where the user meant to correct the first, and the middleware cannot tell a create from an edit, so the
  edit is never dropped in silence nor applied as a guess.

The record is inserted in the same transaction as the view's writes (``INSERT … ON CONFLICT DO NOTHING``, one
statement; then one to store the answer or drop the record): a second request with the same key waits on the
unique index until the first commits, then replays it; a failed or crashed first request leaves nothing, so the
retry runs. Records expire after SHANZHI_IDEMPOTENCY_HOURS; a beat task purges the expired ones every hour, and
a key whose record has expired may be used again at once.
"""

import hashlib
import json
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

HEADER = "HTTP_IDEMPOTENCY_KEY"
FORM_FIELD = "_once"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY = 255
_FORM = re.compile(rb"(<form\b[^>]*\bmethod\s*=\s*[\"']?post[\"']?[^>]*>)", re.IGNORECASE)


def _ttl():
    return timedelta(hours=getattr(settings, "SHANZHI_IDEMPOTENCY_HOURS", 24))


def _api_user(request):
    """The API caller, authenticated as the view will do it (token or session); None when that fails."""
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request
    from rest_framework.settings import api_settings

    drf = Request(request, authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES])
    try:
        user = drf.user
    except APIException:
        return None
    return user if user.is_authenticated else None


def _problem(request, api, status, message):
    if api:
        return HttpResponse(json.dumps({"detail": message}), status=status, content_type="application/json")
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# Not part of what a form says: the one-time token itself and the CSRF token (which changes with the session).
_NOT_FIELDS = {FORM_FIELD, "csrfmiddlewaretoken"}


def form_fields_digest(request) -> bytes:
    """The posted form's fields as one canonical string: by name (sorted), each with its values in the order
    posted, the tokens left out; each file by its field, name and content digest (read in chunks, then rewound
    for the view)."""
    fields = sorted((name, values) for name, values in request.POST.lists() if name not in _NOT_FIELDS)
    files = []
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            content = hashlib.sha256()
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)
            files.append([name, upload.name, content.hexdigest()])
    return json.dumps([fields, files], ensure_ascii=False, separators=(",", ":")).encode()


def _form_already_sent(request, record):
    """The page answering a form token posted again with other fields (or to another address): the first post
    stands, this one is not applied; a fresh copy of the form (a new token) is one link away."""
    from django.shortcuts import render
    from django.utils.http import url_has_allowed_host_and_scheme

    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = request.path
    context = {"back": back, "first": record.location if record.status_code else ""}
    return render(request, "villages/form_already_sent.html", context, status=422)


def _claim(user, key: str, fingerprint: str) -> int | None:
    """Insert the key's record, in one statement: its id, or None when the user already has a live record of
    that key. A concurrent request with the key waits on the unique index until the first one commits (then
    finds its record) or rolls back (then inserts its own). A record past its expiry is deleted and the key
    claimed anew; the rest of the expired records go in the hourly purge (``purge_expired``)."""
    from .models import IdempotencyRecord

    ops = connection.ops
    table = ops.quote_name(IdempotencyRecord._meta.db_table)
    now = timezone.now()
    columns = ["user_id", "key", "fingerprint", "content_type", "location", "body", "created_at", "expires_at"]
    values = [user.pk, key, fingerprint, "", "", b"", now, now + _ttl()]
    values[-2:] = [ops.adapt_datetimefield_value(v) for v in values[-2:]]
    sql = (
        f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({ops.quote_name('user_id')}, {ops.quote_name('key')}) DO NOTHING "
        f"RETURNING {ops.quote_name('id')}"
    )
    with connection.cursor() as cursor:
        for _attempt in range(2):
            cursor.execute(sql, values)
            row = cursor.fetchone()
            if row is not None:
                return row[0]
            if not IdempotencyRecord.objects.filter(user=user, key=key, expires_at__lt=now).delete()[0]:
                return None
    return None


PURGE_BATCH = 10_000


def purge_expired(*, batch: int = PURGE_BATCH) -> int:
    """Delete records past their expiry, at most ``batch`` of them (the beat task runs it every hour, so a
    backlog goes in steps that never hold locks for long). Returns how many went."""
    from .models import IdempotencyRecord

    old = IdempotencyRecord.objects.filter(expires_at__lt=timezone.now()).order_by("expires_at")
    deleted, _by_model = IdempotencyRecord.objects.filter(
        pk__in=list(old.values_list("pk", flat=True)[:batch])
    ).delete()
    return deleted


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        keyed = self._key(request)
        response = self.get_response(request) if keyed is None else self._once(request, *keyed)
        return self._add_form_tokens(response)

    def _key(self, request):
        if request.method not in WRITE_METHODS:
            return None
        api = request.path.startswith("/api/")
        if api:
            key = request.META.get(HEADER, "").strip()
            if not key:
                return None
            user = _api_user(request)
        else:
            content_type = request.content_type or ""
            if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
                return None
            key = request.POST.get(FORM_FIELD, "").strip()
            user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated:
            return None
        # An API key is bound to its whole request; a form token to its address and its fields, read canonically
        # (a browser's bodies differ between two posts of the same fields: multipart boundaries, field order).
        body = request.body if api else form_fields_digest(request)
        digest = hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body)
        return user, key[:MAX_KEY], digest.hexdigest(), api

    def _once(self, request, user, key, fingerprint, api):
        from .models import IdempotencyRecord

        with transaction.atomic():
            record_id = _claim(user, key, fingerprint)
            if record_id is None:
                # Another request with this key committed first (we waited for it on the unique index).
                return self._replay(request, IdempotencyRecord.objects.get(user=user, key=key), fingerprint, api)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            keep = (200 <= response.status_code < 300) if api else (300 <= response.status_code < 400)
            record = IdempotencyRecord.objects.filter(pk=record_id)
            if keep and not response.streaming:
                record.update(
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    location=response.get("Location", "")[:500],
                    body=bytes(response.content),
                )
            else:
                record.delete()  # not a success: the same key may be tried again
            return response

    def _replay(self, request, record, fingerprint, api):
        if record.fingerprint != fingerprint:
            if not api:
                return _form_already_sent(request, record)
            message = _("This idempotency key was already used for another request; use a new key.")
            return _problem(request, api, 422, message)
        response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
        if record.location:
            response["Location"] = record.location
        response["Idempotent-Replayed"] = "true"
        return response

    def _add_form_tokens(self, response):
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        content = response.content
        if b"<form" not in content and b"<FORM" not in content:
            return response

        def token(match):
            field = f'<input type="hidden" name="{FORM_FIELD}" value="{secrets.token_urlsafe(16)}">'
            return match.group(1) + field.encode()

        response.content = _FORM.sub(token, content)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
