"""Moderation and oversight: the audit log (/audit), and later the moderators' queue, blocks and
the oversight dashboard. Routes live in views.py, imported by create_app()."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)
