"""Search over everything public: schools, decisions, charters, approved minutes, consultations
and their outcomes (/search), and a consultation's published responses from its own page.

The index is kept in the transaction of each change by listeners of the features' events
(indexing.py); the features never import this package."""

from flask import Blueprint

bp = Blueprint("search", __name__)

VIEW_MODULES = ("indexing", "views")
