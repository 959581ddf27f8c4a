"""Deny by default, and the headers every response carries."""

from flask import Flask, request
from flask_login import current_user

from portal import policy
from portal.extensions import login_manager

# No inline scripts or styles anywhere: htmx is configured by a <meta> tag and our own files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def register(app: Flask) -> None:
    @app.before_request
    def _require_login_unless_public():
        # An unknown URL has no endpoint: let it fall through to the 404 page.
        if request.endpoint is None or request.endpoint in policy.PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("PORTAL_HTTPS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages that depend on who is logged in must not be stored by shared caches.
        if request.endpoint != "static" and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store" if current_user.is_authenticated else "no-cache"
        headers.add("Vary", "Cookie")
        # One address answers with a whole page or, to htmx, a fragment of it: a browser going
        # back must not be given the fragment from its cache as if it were the page.
        if response.mimetype == "text/html":
            response.vary.update(("HX-Request", "HX-Target"))
        return response
