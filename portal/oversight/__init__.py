"""Oversight, for the commission's moderators and admins: the dashboard (/oversight) of how
consultations, moderation and feedback are going in their districts and schools, and the audit
log (/audit). It reads every feature's records and changes none of them."""

from flask import Blueprint

bp = Blueprint("oversight", __name__)
