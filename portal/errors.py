"""Translated error pages. The same template serves every code; htmx gets a short fragment.

Faults are answered here, in one place: when the database cannot be reached, is full, or a lock
does not clear in time, or the disk is full while something is written, every page answers 503
with the "temporarily unavailable" page and Retry-After. The transaction is rolled back whole, so
nothing is half done. A view that changes something names what did not happen
(`web.unavailable_says`: "nothing was published"), and the page offers to send the same form
again. The page is drawn without the database, so it works for logged-in people too (their
account is not loaded for it).
"""

import errno

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, SecurityError

from portal.extensions import db, login_manager
from portal.policy import Refusal, RefusalKind
from portal.web import is_htmx, unavailable_words

MESSAGES = {
    400: (
        _l("Bad request"),
        _l(
            "The page could not understand this request. "
            "If you were sending a form, it may have expired: go back, reload the page and try again."
        ),
    ),
    403: (
        _l("Not allowed"),
        _l(
            "Your account does not have permission to do this. If you think it should, ask your school's administrator."
        ),
    ),
    404: (
        _l("Page not found"),
        _l("There is nothing at this address. It may have been moved, or the link may be mistyped."),
    ),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than the portal accepts. Please send something smaller.")),
    422: (_l("Could not process"), _l("Some of what you sent could not be processed. Please check it and try again.")),
    429: (
        _l("Too many attempts"),
        _l("There have been too many attempts in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The portal ran into an unexpected problem and nothing was changed. Please try again in a moment."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("The portal cannot reach its records at the moment, so nothing was changed. Please try again in a minute."),
    ),
}
# Seconds a browser or a client is told to wait before trying again after a 503: the database
# gone or full takes a while; a lock that did not clear is usually free again in a few seconds.
RETRY_AFTER_SECONDS = 30
RETRY_AFTER_BUSY_SECONDS = 5
# An OSError with these numbers is the disk (or the account's quota) full: a fault, not a bug.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
# Posted fields never written back into a page (the "send again" form).
SECRET_FIELDS = ("password",)


def render_error(code: int, message=None):
    title, standard_message = MESSAGES.get(code) or MESSAGES[500 if code >= 500 else 400]
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, title=title, message=message or standard_message), code


def render_refusal(refusal: Refusal):
    """What policy.require() refused, as the person needs to hear it: a visitor is sent to log in
    (and comes back), an object out of scope is not found, a blocked person is told why and until
    when, someone outside a consultation's audience how to join it; anyone else gets "not allowed"."""
    if refusal.kind == RefusalKind.LOGIN:
        return login_manager.unauthorized()
    if refusal.kind == RefusalKind.NOT_FOUND:
        return render_error(404)
    if refusal.kind == RefusalKind.BLOCKED:
        template = "errors/_blocked.html" if is_htmx() else "errors/blocked.html"
        return render_template(template, message=refusal.message), 403
    if refusal.kind == RefusalKind.NOT_IN_AUDIENCE:
        return render_error(403, refusal.message)
    return render_error(403)


# For a request whose Host is not the portal's (TRUSTED_HOSTS): a page of its own, in both
# languages, made of nothing that needs the request's address (it has none that can be trusted).
UNKNOWN_HOST_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>400 错误的请求 · Bad request</title></head>
<body><h1>错误的请求 <span lang="en">· Bad request</span></h1>
<p>此地址不属于本平台。请检查链接的网址。</p>
<p lang="en">This address does not belong to the portal. Please check the link.</p>
</body></html>
"""


def render_unknown_host(error):
    return UNKNOWN_HOST_PAGE, 400, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _no_route_takes_it(error) -> bool:
    """Whether an address werkzeug answered 405 to is no address at all. Werkzeug matches an
    address's shape and method before it reads the numbers in it, so where a page's GET and POST
    are two routes (a report's form and its sending), /consultations/0/responses/1/report was "not
    allowed" for GET, though no route takes it for any method (web.IdConverter: 0 is no id)."""
    methods = getattr(error, "valid_methods", None)
    if not methods:  # a 405 a view gave itself: as it is
        return False
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(method=method)
        except NotFound:
            continue
        except HTTPException:  # a redirect to the address with its slash, say: the address exists
            return False
        return False
    return True


def register(app: Flask) -> None:
    app.register_error_handler(Refusal, render_refusal)
    app.register_error_handler(SecurityError, render_unknown_host)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(400)

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:  # abort(response), e.g. the redirect to log in
            return error
        if error.code == 405:
            if _no_route_takes_it(error):
                return render_error(404)
            # Which methods the address takes (RFC 9110: a 405 says so), as werkzeug's own page did.
            page, code = render_error(405)
            return page, code, {"Allow": ", ".join(error.valid_methods or ())}
        if error.code == 429 and getattr(error, "response", None) is not None:
            return error.response  # a limit that answers in its own words (its on_breach)
        return render_error(error.code)

    @app.errorhandler(InternalServerError)
    def _server_error(error):
        db.session.rollback()
        return render_error(500)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(OSError)
    def _fault(error):
        if not is_fault(error):
            raise error  # a bug (a constraint, a type, a missing file): the 500 page, its traceback in the log
        return render_unavailable(error)


def is_fault(error: BaseException) -> bool:
    """A fault of what the portal stands on, which a later try may not meet, rather than a bug:
    the database unreachable, lost, full or locked for longer than the busy timeout (SQLite's
    "database is locked", "database or disk is full"), or the disk full while writing."""
    if isinstance(error, DisconnectionError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return isinstance(error, OSError) and error.errno in DISK_FULL


def _busy(error) -> bool:
    return isinstance(error, OperationalError) and "locked" in str(error.orig)


def render_unavailable(error=None):
    """503 and Retry-After, on a page that needs nothing from the database: the person is treated
    as a visitor while it is drawn (loading their account would ask the database again). The
    transaction is rolled back: nothing of the request is kept. The words are the view's own when
    it gave some (web.unavailable_says), with a button that sends the same form again."""
    current_app.logger.warning("unavailable (%s %s): %r", request.method, request.path, error)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone; the session is dropped below
        pass
    db.session.remove()
    g._login_user = login_manager.anonymous_user()
    retry_after = RETRY_AFTER_BUSY_SECONDS if _busy(error) else RETRY_AFTER_SECONDS
    headers = {"Retry-After": str(retry_after)}
    words = unavailable_words()
    if words is None:
        body, status = render_error(503)
        return body, status, headers
    title, message = words
    template = "errors/_error.html" if is_htmx() else "errors/unavailable.html"
    body = render_template(
        template, code=503, title=title, message=message, send_again=_send_again(), retry_after=retry_after
    )
    return body, 503, headers


def _send_again() -> list[tuple[str, str]] | None:
    """The fields of the form that met the fault, to send them again with one press: what the
    person typed is not lost. None when there is nothing to send again (not a form, or a file or
    a password in it: those are never written back into a page)."""
    if request.method != "POST" or request.files:
        return None
    fields = list(request.form.items(multi=True))
    if any(secret in name for name, _value in fields for secret in SECRET_FIELDS):
        return None
    return fields
