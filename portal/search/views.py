"""/search: one box over everything public, with filters, highlights and pages of 20."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.extensions import db, limiter
from portal.schools import services as school_services
from portal.schools.models import Authority, School
from portal.search import bp, services
from portal.search.models import Kind
from portal.web import configured_limit, htmx_target, int_arg, page_arg, text_arg

YEAR_DIGITS = 4
FIRST_YEAR = 2020
# More than this is not read at all (the box allows QUERY_MAX; a longer one gets a message).
READ_MAX = 10_000


def _problem_message(code: str) -> str:
    return {
        "too_long": _("Search for at most %(most)d characters: a few words work best.", most=services.QUERY_MAX),
        "too_many_terms": _("Search for at most %(most)d words at a time.", most=services.TERMS_MAX),
    }.get(code, "")


def _query() -> str:
    return text_arg("q", READ_MAX)


def _filters() -> tuple[services.Filters, dict]:
    """The filters from the query string; what is not a sensible value is ignored."""
    kind = request.args.get("kind", "")
    kind = Kind(kind) if kind in {k.value for k in Kind} else None
    district_id, school_id = int_arg("district"), int_arg("school")
    year = int_arg("year", max_digits=YEAR_DIGITS)
    district = db.session.get(Authority, district_id) if district_id else None
    school = db.session.get(School, school_id) if school_id else None
    args = {
        "kind": kind.value if kind else None,
        "district": district.id if district else None,
        "school": school.id if school else None,
        "year": year,
    }
    return services.Filters(kind=kind, authority=district, school=school, year=year), {
        key: value for key, value in args.items() if value is not None
    }


@bp.get("/search")
@limiter.limit(
    configured_limit("PORTAL_SEARCH_LIMIT_PER_IP"), scope="search", exempt_when=lambda: current_user.is_authenticated
)
def index():
    query = _query()
    filters, filter_args = _filters()
    results, problem, status = None, "", 200
    if query:
        try:
            results = services.search(query, filters, page=page_arg())
        except services.QueryProblem as refused:
            problem = _problem_message(refused.code)
            status = 422 if problem else 200
    context = {
        "query": query[: services.QUERY_MAX * 2],
        "results": results,
        "problem": problem,
        "filters": filters,
        "filter_args": filter_args,
        "kinds": list(Kind),
    }
    if htmx_target() == "search-results":
        return render_template("search/_results.html", **context), status
    return render_template(
        "search/index.html",
        districts=school_services.districts_for_filter(),
        years=list(range(clock.today().year, FIRST_YEAR - 1, -1)),
        **context,
    ), status
