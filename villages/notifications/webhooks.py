"""A county's group robot: the message in the robot's JSON shape, DingTalk's signature, and one post.

企业微信 (WeCom) group robot: ``{"msgtype": "markdown", "markdown": {"content": …}}`` (content at most 4,096 bytes).
钉钉 (DingTalk) custom robot: ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``; with the "signing"
security setting the address carries ``timestamp`` (milliseconds) and ``sign`` = base64(HMAC-SHA256(secret,
"<timestamp>\\n<secret>")), URL-encoded, as DingTalk documents. Both answer ``{"errcode": 0, "errmsg": "ok"}``.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from urllib.parse import quote_plus, urlsplit, urlunsplit

from .choices import WebhookKind

# WeCom refuses a markdown content over 4,096 bytes; DingTalk takes more, but a digest that long is read by no one.
CONTENT_MAX_BYTES = 4000
TIMEOUT = 5  # seconds: a robot that does not answer in time is tried again later, never holding up the run


class DeliveryError(Exception):
    """The robot could not be reached or refused the message (the reason, for the delivery's record)."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    parts = urlsplit(url)
    extra = f"timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def truncate(content: str, limit: int = CONTENT_MAX_BYTES) -> str:
    """At most ``limit`` bytes of UTF-8, cut at a line's end where one is near."""
    data = content.encode()
    if len(data) <= limit:
        return content
    cut = data[: limit - 4].decode(errors="ignore")
    if "\n" in cut[len(cut) // 2 :]:
        cut = cut[: cut.rindex("\n")]
    return cut + "\n…"


def payload(kind: str, *, title: str, content: str) -> dict:
    content = truncate(content)
    if kind == WebhookKind.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def post(*, kind: str, url: str, secret: str, title: str, content: str) -> None:
    """Post one message; raise DeliveryError with the reason if the robot did not take it."""
    target = signed_url(url, secret) if kind == WebhookKind.DINGTALK and secret else url
    body = json.dumps(payload(kind, title=title, content=content), ensure_ascii=False).encode()
    if urlsplit(target).scheme not in ("http", "https"):
        raise DeliveryError("the address must start with https://")
    # The address is the county administrator's own configuration, http or https only (checked just above).
    headers = {"Content-Type": "application/json; charset=utf-8"}
    request = urllib.request.Request(target, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            answer = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(str(getattr(exc, "reason", exc)) or exc.__class__.__name__) from exc
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return  # a robot (or proxy) answering 2xx without JSON took the message
    errcode = data.get("errcode", 0) if isinstance(data, dict) else 0
    if errcode not in (0, "0"):
        raise DeliveryError(f"errcode {errcode}: {data.get('errmsg', '')}"[:500])
