"""Request ids, structured (JSON) logs and error reporting.

- `RequestIdMiddleware` gives every request an id: the balancer's `X-Request-ID` when the
  request comes from a trusted proxy (HAProxy's `unique-id-format`), a new one otherwise. It
  is sent back in the response header `X-Request-ID`, put on every log line written while the
  request runs, and carried into the tasks the request queues (`current_request_id()` is
  passed along by `outbox.services`, and `bound_request_id()` restores it in the worker).
- `JsonFormatter` writes one JSON object per line (`LOG_FORMAT=json`): time, level, logger,
  message, request id, client address, organisation; exceptions as text.
- `init_sentry()` turns on sentry-sdk (or a self-hosted GlitchTip) when `SENTRY_DSN` is set.
"""

import contextvars
import json
import logging
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("ribambelle_request_id", default="")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("ribambelle_client_ip", default="")

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bound_request_id(request_id: str | None):
    """Run a block (a task in the worker) under the request id that queued it."""
    token = _request_id.set(request_id or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .proxy import is_trusted

        given = request.META.get("HTTP_X_REQUEST_ID", "")
        from_proxy = request.META.get("RIBAMBELLE_PROXY_ADDR")
        request_id = given if given and from_proxy and is_trusted(from_proxy) and _VALID_ID.match(given) else ""
        request.request_id = request_id or new_request_id()
        id_token = _request_id.set(request.request_id)
        ip_token = _client_ip.set(request.META.get("REMOTE_ADDR") or "")
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(id_token)
            _client_ip.reset(ip_token)
        response["X-Request-ID"] = request.request_id
        return response


class ContextFilter(logging.Filter):
    """Adds request_id and client_ip to every record (empty outside a request or task)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get()
        if not getattr(record, "client_ip", None):
            record.client_ip = _client_ip.get()
        return True


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id", "client_ip"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or _request_id.get(),
            "client_ip": getattr(record, "client_ip", "") or _client_ip.get(),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                try:
                    json.dumps(value)
                except TypeError:
                    value = str(value)
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_sentry(dsn: str, *, environment: str = "", release: str = "", traces_sample_rate: float = 0.0) -> bool:
    """Error reporting to Sentry or GlitchTip (the same protocol); nothing personal is sent."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    def _tag_request_id(event, hint):
        if request_id := _request_id.get():
            event.setdefault("tags", {})["request_id"] = request_id
        return event

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), LoggingIntegration(event_level=logging.ERROR)],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        before_send=_tag_request_id,
    )
    return True
