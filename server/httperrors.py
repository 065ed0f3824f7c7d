"""HTTP errors as the protocol's `error` message: every error under /api/ and every refusal.

Under ``/api/`` a client is a program (the page's fetches, a script): whatever goes
wrong — a refused request, an unknown route, a wrong method, a body past the
limit, an unexpected exception — it gets ``{"type": "error", "code", "message",
"field", "request_type", "request_id"}`` as JSON, with ``request_type`` the
documented name of the request and ``request_id`` echoed from a JSON body that
carried one. The Origin refusal is that JSON error on every path. Elsewhere (the
page, /static/) a person's browser gets Flask's HTML pages.
"""

from __future__ import annotations

import logging

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from . import protocol
from .protocol import ProtocolError

log = logging.getLogger(__name__)

# Flask endpoint -> the request's name in docs/protocol.md's HTTP table.
REQUEST_TYPES = {
    "api.datasets": "datasets", "api.samples": "samples", "api.models": "models",
    "api.download_model": "download_model", "api.upload_model": "upload_model",
    "api.predict": "predict",
}
# error code -> HTTP status (the codes with no entry are 400)
STATUS = {"no_model": 404, "not_found": 404, "forbidden": 403, "too_large": 413,
          "busy": 503, "internal": 500}
# HTTP status -> error code, for Werkzeug's own exceptions
CODES = {403: "forbidden", 404: "not_found", 413: "too_large"}


class Refused(HTTPException):
    """A refusal that is the JSON error on every path (the Origin check's 403)."""

    code = 403


def json_error(code: str, message: str, field: str | None = None, endpoint=None):
    """The `error` message of the current request as a JSON response."""
    request_type = REQUEST_TYPES.get(endpoint or request.endpoint or "")
    return jsonify(protocol.error(code, message, field, request_type, _request_id())), \
        STATUS.get(code, 400)


def _endpoint_taking(methods) -> str | None:
    """The endpoint of this path for another method (a 405 has no ``request.endpoint``)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in sorted(set(methods or ()) - {"HEAD", "OPTIONS"}):
        try:
            return adapter.match(method=method)[0]
        except HTTPException:
            continue
    return None


def _request_id():
    """The JSON body's ``request_id``, when it has a valid one (never read past the limit)."""
    length = request.content_length
    limit = request.max_content_length
    if not request.is_json or (length is not None and limit is not None and length > limit):
        return None
    try:
        body = request.get_json(silent=True)
    except HTTPException:  # a body cut off at the limit
        return None
    rid = body.get("request_id") if isinstance(body, dict) else None
    return rid if protocol.is_request_id(rid) else None


def _under_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _protocol_error(exc: ProtocolError):
    return json_error(exc.code, exc.message, exc.field)


def _http_error(exc: HTTPException):
    if not (_under_api() or isinstance(exc, Refused)):
        return exc  # Flask's HTML page
    if isinstance(exc, InternalServerError) and exc.original_exception is not None:
        return _unexpected(exc.original_exception)
    status = exc.code or 500
    code = CODES.get(status, "bad_message" if status < 500 else "internal")
    message, endpoint = exc.description or exc.name, None
    if status == 404:
        message = f"no such route: {request.method} {request.path}"
    elif status == 405:
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        message = f"{request.method} is not allowed on {request.path} (allowed: {allowed})"
        endpoint = _endpoint_taking(exc.valid_methods)
    elif status == 413:
        message = (f"the request is larger than the limit of {request.max_content_length} "
                   "bytes")
    response, _ = json_error(code, message, endpoint=endpoint)
    return response, status


def _unexpected(exc: BaseException):
    """An exception nobody expected: logged with its traceback, answered as `internal`."""
    if not _under_api():
        raise exc  # Flask's own handling: logged, an HTML 500 (propagated when testing)
    log.error("%s %s failed", request.method, request.path, exc_info=exc)
    return json_error("internal", f"internal error: {exc.__class__.__name__}")


def init_app(app):
    app.register_error_handler(ProtocolError, _protocol_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
