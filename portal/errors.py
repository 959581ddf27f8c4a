"""Translated error pages. The same template serves every code; htmx gets a short fragment."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db, login_manager
from portal.policy import Refusal, RefusalKind
from portal.web import is_htmx

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
}


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


def register(app: Flask) -> None:
    app.register_error_handler(Refusal, render_refusal)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(400)

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:  # abort(response), e.g. the redirect to log in
            return error
        return render_error(error.code)

    @app.errorhandler(InternalServerError)
    def _server_error(error):
        db.session.rollback()
        return render_error(500)
