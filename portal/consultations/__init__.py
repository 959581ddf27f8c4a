"""The consultations feature: proposals open for comment, responses, results and outcomes.
Its routes live in views.py, imported by create_app() when it registers the blueprint."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)
