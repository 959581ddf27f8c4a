"""Oversight, for the commission's moderators and admins: the dashboard (/oversight) of how
consultations, moderation and feedback are going in their districts and schools, and the audit
log (/audit). It reads every feature's records and changes none of them."""

from flask import Blueprint

from portal.oversight.charts import label_lines

bp = Blueprint("oversight", __name__)

# The bar charts' labels in lines (macros/charts.html): the consultation results draw them too.
bp.add_app_template_filter(label_lines, "chart_label_lines")
