"""Notifications: telling people what happened — in the portal (/me/notifications, a count in the
header) and by mail (at once or in a daily digest), as each person chooses; following schools
and consultations; the mail queue and the jobs that send it.

Features never import this package: they announce what happened (portal.events) and the
listeners here decide who is told what. create_app imports the modules below: the listeners
(they subscribe, and declare the jobs), what it adds to other pages (the header's count, the
follow buttons), the person's pages (views.py) and the mail queue (manage_views.py)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

VIEW_MODULES = ("listeners", "page_parts", "views", "manage_views")
