"""The accounts feature. Its routes live in views.py, imported by create_app() when it registers
the blueprint, so that importing this package's models never pulls in every other feature."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

# Its routes (public and management) and its background jobs.
VIEW_MODULES = ("views", "manage_views", "tasks")
