"""The consultations feature: proposals open for comment, responses, results and outcomes.
Its routes live in views.py and manage_views.py, imported by create_app() when it registers the
blueprint, as is tasks.py (the daily job about unfinished responses)."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)

VIEW_MODULES = ("views", "manage_views", "tasks")
