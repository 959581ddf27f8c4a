"""The decisions feature: drafting, publishing, the public archive, verification and feeds. Its
routes live in views.py, imported by create_app() when it registers the blueprint."""

from flask import Blueprint

bp = Blueprint("decisions", __name__)
