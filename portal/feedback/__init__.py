"""The suggestion box: feedback to a school outside consultations, followed by its sender to an
answer. Its routes live in views.py (sending, following) and manage_views.py (the school's
inbox), imported by create_app() when it registers the blueprint."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)
