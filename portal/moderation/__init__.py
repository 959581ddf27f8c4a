"""Moderation: the moderators' queue (/moderation) and their decisions on responses, reports on
published responses, the reasons moderators give, and blocks. Its routes live in views.py,
imported by create_app() when it registers the blueprint."""

from flask import Blueprint

from portal.moderation.models import STANDARD_REASONS, counts_by_reason, reason_label

bp = Blueprint("moderation", __name__)

# Other features' pages show what moderation decided without importing it: a stored reason in the
# reader's language, the public counts of responses not published by reason, and the reasons a
# moderator chooses from (a consultation's page offers "hide" with them).
bp.add_app_template_filter(reason_label, "moderation_reason")
bp.add_app_template_filter(counts_by_reason, "moderation_reason_counts")
bp.add_app_template_global(STANDARD_REASONS, "moderation_reasons")
