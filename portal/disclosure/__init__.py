"""The disclosure checklist (校务公开): what each school must publish without being asked, by when,
and whether it has. Its routes live in views.py (the public checklist, the commission's overview)
and manage_views.py (a school admin publishing against an item)."""

from flask import Blueprint

bp = Blueprint("disclosure", __name__)
