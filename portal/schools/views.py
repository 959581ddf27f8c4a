"""The school directory (/schools). A school's own page gathers every feature: portal/pages/school.py."""

from flask import render_template, request
from flask_login import current_user

from portal import policy
from portal.schools import bp, services
from portal.schools.models import SchoolType
from portal.web import htmx_target, int_arg, page_arg, query_args, text_arg


@bp.get("/schools")
@query_args("q", "district", "type", "page")
def index():
    page = page_arg()
    filters = {
        "q": text_arg("q", 100),  # without control characters: PostgreSQL refuses a NUL
        "district": int_arg("district"),
        "type": request.args.get("type", "") if request.args.get("type") in {t.value for t in SchoolType} else "",
    }
    results = services.search_schools(
        query=filters["q"], authority_id=filters["district"], school_type=filters["type"] or None, page=page
    )
    context = {
        "results": results,
        "filters": filters,
        "filter_args": {key: value for key, value in filters.items() if value},
        "can_add_school": policy.can(current_user, "add_schools"),
        "districts": services.districts_for_filter(),
        "school_types": {school_type: school_type.label for school_type in SchoolType},
    }
    template = "schools/_results.html" if htmx_target() == "school-results" else "schools/index.html"
    return render_template(template, **context)
