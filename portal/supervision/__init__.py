"""The responsible supervisor (责任督学): feedback a school leaves unanswered, and parents'
requests for review of its answers, reach the school's supervisor, who answers the parent and may
direct the school to answer by a date. Routes in views.py (the queue under /supervision, a
parent's review request) and manage_views.py (a district assigning supervisors to its schools);
the escalation job in tasks.py."""

from flask import Blueprint

bp = Blueprint("supervision", __name__)

VIEW_MODULES = ("views", "manage_views", "tasks")
