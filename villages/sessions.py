"""Sessions, scopes and tokens answer to the database of record, on every node (issue 20, findings 5 and 7).

Sessions are kept in the database and read from the cache (``cached_db``), and a user's scopes are cached too:
both would outlive a logout or a removed scope on the nodes that still reach Redis when the node that made the
change could not. So each user has an *authentication version* (``UserAuthState``), read with the user on every
signed-in request: a LEFT JOIN on the query that loads the user anyway (``ModelBackend.get_user``, the token
lookup), no query of its own. It moves, in the transaction of the change, whenever something a request relies on
is taken away or changed: a session ended (logout, a new sign-in over it), every session ended, a scope or its
division changed. Then:

- a session's copy in the cache carries the version it was last checked at; a copy from an older version is
  checked against the database (one query, once per session and version) and refused if its row is gone;
- the user's scopes are cached under a key holding the version: a change is a new key, read from the database.

A signed-in request therefore costs what it did (session from the cache, the user's query, scopes from the
cache) until the version moves. Token requests read their token with its user and version in one query (no
token cache: the version had to be read anyway, and the row says at once whether it is revoked).

A password changed by any path (the password page, the admin, ``set_password`` and save) revokes the user's API
tokens (``password_saved``); Django itself ends the user's other sessions then (the session's auth hash).
"""

from asgiref.sync import sync_to_async
from django.contrib import auth
from django.contrib.auth import SESSION_KEY, backends, get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.backends import cached_db
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

# The version a session's copy (in the cache) was last checked at, kept in the session's data.
VERSION_KEY = "_shanzhi_auth_version"


def auth_version(user) -> int | None:
    """The user's version if it was read with the user (``select_related("auth_state")``), else None."""
    related = get_user_model().auth_state.related
    if not related.is_cached(user):
        return None
    state = related.get_cached_value(user)
    return state.version if state is not None else 0


def read_auth_version(user_id) -> int:
    from .models import UserAuthState

    return UserAuthState.objects.filter(user_id=user_id).values_list("version", flat=True).first() or 0


def forget_auth_version(user) -> None:
    """Make the user object read its version again (after moving it)."""
    related = get_user_model().auth_state.related
    if related.is_cached(user):
        related.delete_cached_value(user)


def bump_auth_versions(user_ids) -> None:
    """Move these users' versions, in the caller's transaction (ids sorted: two bumps never wait on each other)."""
    from .models import UserAuthState

    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    table = connection.ops.quote_name(UserAuthState._meta.db_table)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with connection.cursor() as cursor:
            # The table name is ours and quoted; the ids are parameters.
            values = ", ".join(["(%s, 1)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (user_id, version) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (user_id) DO UPDATE SET version = {table}.version + 1",
                chunk,
            )


class SessionStore(cached_db.SessionStore):
    """``cached_db``, whose cached copies are checked against the database when the user's version has moved (its
    end moves the version: ``session_deleted``)."""

    from_cache = False
    db_expiry = None

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # as cached_db: a backend may refuse the key; read the database instead
            data = None
        if data is not None:
            self.from_cache = True
            return data
        self.from_cache = False
        row = self._get_session_from_db()
        if not row:
            return {}
        self.db_expiry = row.expire_date
        data = self.decode(row.session_data)
        self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        return data

    def holds(self, version: int) -> bool:
        """Whether this session may still be used by its user, now at ``version``."""
        if self._session.get(VERSION_KEY) == version:
            return True
        expiry = self.db_expiry
        if self.from_cache:
            from django.contrib.sessions.models import Session

            expiry = (
                Session.objects.filter(session_key=self.session_key, expire_date__gt=timezone.now())
                .values_list("expire_date", flat=True)
                .first()
            )
            if expiry is None:
                return False
        if expiry is not None:
            self._session[VERSION_KEY] = version  # its copy only: the row is not written for this
            self._cache.set(self.cache_key, self._session, self.get_expiry_age(expiry=expiry))
        return True

    def forget(self) -> None:
        """Drop this session here and its copy in the cache: its row is gone already."""
        if self.session_key:
            self._cache.delete(self.cache_key)
        self.clear()
        self._session_key = None


def session_deleted(sender, instance, **kwargs) -> None:
    """Receiver of ``post_delete`` of Session: however a live session's row goes (logout, a new key at sign-in,
    signing out everywhere, an ORM delete), its user's version moves in the same transaction, so its copy in any
    node's cache is refused on its next use. (Expired rows need nothing: their copies expire with them.)"""
    if instance.expire_date > timezone.now():
        bump_auth_versions([instance.get_decoded().get(SESSION_KEY)])


def session_keys_of(user) -> list[str]:
    """The keys of the user's sessions in the database. Sessions do not name their user in a column: every
    unexpired row is decoded (a rare action; some thousand rows take a fraction of a second)."""
    from django.contrib.sessions.models import Session

    rows = Session.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
    wanted = str(user.pk)
    return [
        row.session_key for row in rows.iterator(chunk_size=1000) if str(row.get_decoded().get(SESSION_KEY)) == wanted
    ]


def forget_cached_sessions(keys) -> None:
    """Drop the cache's copies of ended sessions (a node that cannot reach Redis leaves them: the version then)."""
    cache = SessionStore()._cache
    copies = [SessionStore.cache_key_prefix + key for key in keys]
    if copies:
        cache.delete_many(copies)
        transaction.on_commit(lambda: cache.delete_many(copies))


class ModelBackend(backends.ModelBackend):
    """Django's, reading the user's version with the user on every signed-in request (a join, not a query)."""

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("auth_state").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def verified_user(request):
    """Django's ``get_user``, then the session checked against the user's version (``SessionStore.holds``)."""
    user = auth.get_user(request)
    if not user.is_authenticated:
        return user
    version = auth_version(user)
    if version is None:  # loaded by another backend
        version = read_auth_version(user.pk)
    holds = getattr(request.session, "holds", None)
    if holds is not None and not holds(version):
        from django.contrib.auth.models import AnonymousUser

        request.session.forget()
        return AnonymousUser()
    return user


class VerifiedAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with ``verified_user`` behind ``request.user``."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: verified_user(request))

        async def auser():
            if not hasattr(request, "_acached_user"):
                request._acached_user = await sync_to_async(verified_user)(request)
            return request._acached_user

        request.auser = auser


def stamp_session(sender, request, user, **kwargs) -> None:
    """Receiver of ``user_logged_in``: a new session starts checked at the user's current version."""
    session = getattr(request, "session", None)
    if session is not None:
        version = auth_version(user)
        session[VERSION_KEY] = read_auth_version(user.pk) if version is None else version


def remember_password(sender, instance, **kwargs) -> None:
    """Receiver of the user model's ``post_init``: the password hash as read, to tell when a save changes it."""
    instance._shanzhi_saved_password = instance.__dict__.get("password")


def _rehashed(before: str, after: str) -> bool:
    """Django's own upgrade of a hash at sign-in (``check_password``): the same password under a stronger hash."""
    try:
        old = identify_hasher(before)
    except ValueError:
        return False
    preferred = get_hasher()
    return after.startswith(f"{preferred.algorithm}$") and (
        old.algorithm != preferred.algorithm or old.must_update(before)
    )


def password_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    """Receiver of the user model's ``post_save``: a changed password hash revokes the user's API tokens."""
    before = getattr(instance, "_shanzhi_saved_password", None)
    after = instance.__dict__.get("password")
    if update_fields is not None and "password" not in update_fields:
        return  # the hash in the database did not change
    instance._shanzhi_saved_password = after
    if created or before is None or after is None or before == after:
        return
    if instance._password is None and _rehashed(before, after):
        return  # set_password() sets _password; check_password's upgrade clears it before saving
    from .services import api_tokens_revoke_all

    api_tokens_revoke_all(user=instance)
