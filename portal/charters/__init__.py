"""The charters feature. Its routes live in views.py (the public pages) and manage_views.py (the
management), imported by create_app() when it registers the blueprint, so that importing this
package's models never pulls in every other feature."""

from flask import Blueprint

bp = Blueprint("charters", __name__)
