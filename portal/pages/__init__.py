"""Pages that gather several features, and the site-wide addresses: the home page, a school's
page, the person's own page (/me), verifying a copy of an archived PDF (/verify), the language
switch and the health check. They may read any feature; no feature imports them."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

# The modules whose routes attach themselves to the blueprint (create_app imports them).
VIEW_MODULES = ("views", "school", "me", "verify", "privacy", "certificates")
