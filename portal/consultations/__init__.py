"""The consultations feature: proposals open for comment, responses, results and outcomes.
Its routes live in views.py and manage_views.py, imported by create_app() when it registers the
blueprint, as is tasks.py (the daily job about unfinished responses)."""

from flask import Blueprint

from portal.consultations.models import shown_answers

bp = Blueprint("consultations", __name__)
bp.add_app_template_filter(shown_answers, "shown_answers")

VIEW_MODULES = ("views", "manage_views", "tasks")
