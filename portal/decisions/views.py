"""Decisions: the public archive (/decisions), a decision's page and its archived PDF, and the
Atom feeds. Drafting and publishing under /schools/<slug>/manage/decisions are in manage_views."""

from flask import current_app, make_response, render_template, request
from flask_babel import gettext as _

from portal import clock
from portal.decisions import bp, feeds, services
from portal.documents.download import pdf_response
from portal.schools import services as school_services
from portal.text import plain_excerpt, render_markdown
from portal.web import (
    current_language,
    found_or_404,
    html_lang,
    htmx_target,
    int_arg,
    page_arg,
    public_url,
    query_args,
    school_or_404,
    text_arg,
)

SEARCH_MAX = 100
YEAR_DIGITS = 4


# --- the archive --------------------------------------------------------------------------


def _archive_filters() -> dict:
    """The archive's filters from the query string. Anything that is not a sensible value (text
    for an id, a 12-digit number, a year of 5 digits) is ignored; an id nobody has finds nothing."""
    return {
        "q": text_arg("q", SEARCH_MAX),
        "district": int_arg("district"),
        "school": int_arg("school"),
        "year": int_arg("year", max_digits=YEAR_DIGITS),
    }


@bp.get("/decisions")
@query_args("q", "district", "school", "year", "page")
def index():
    filters = _archive_filters()
    results = services.archive_page(
        services.ArchiveFilters(
            district_id=filters["district"], school_id=filters["school"], year=filters["year"], text=filters["q"]
        ),
        page=page_arg(),
    )
    context = {
        "results": results,
        "filters": filters,
        "filter_args": {key: value for key, value in filters.items() if value not in (None, "")},
        "today": clock.today(),
    }
    if htmx_target() == "decision-results":
        return render_template("decisions/_results.html", **context)
    return render_template(
        "decisions/index.html",
        districts=school_services.districts_for_filter(),
        schools=services.schools_for_archive_filter(include_id=filters["school"]),
        years=services.archive_years(),
        **context,
    )


# --- one decision -------------------------------------------------------------------------


@bp.get("/decisions/<int:decision_id>")
@query_args()
def show(decision_id):
    # Drafts are not found here, whoever asks: they live in the school's management area.
    decision = found_or_404(services.published_decision(decision_id))
    return render_template(
        "decisions/show.html",
        decision=decision,
        school=decision.school,
        body_html=render_markdown(decision.body),
        present=services.present_count(decision.meeting) if decision.meeting is not None else None,
        today=clock.today(),
    )


@bp.get("/decisions/<int:decision_id>.pdf")
def pdf(decision_id):
    decision, document = found_or_404(services.decision_document(decision_id))
    return pdf_response(document, f"{decision.number or ''} {decision.title}")


# --- feeds --------------------------------------------------------------------------------


def _feed_response(decisions, *, feed_id: str, title: str, self_url: str, page_url: str):
    entries = [
        feeds.Entry(
            decision_id=decision.id,
            title=f"{decision.number} {decision.title}",
            url=public_url("decisions.show", decision_id=decision.id),
            published=decision.published_at,
            summary=plain_excerpt(decision.body, 300),
            author=decision.school.name(current_language()),
        )
        for decision in decisions
    ]
    body = feeds.render_feed(
        feed_id=feed_id,
        title=title,
        self_url=self_url,
        page_url=page_url,
        language=html_lang(),
        public_url=current_app.config["PORTAL_PUBLIC_URL"],
        entries=entries,
    )
    response = make_response(body)
    response.headers["Content-Type"] = feeds.MEDIA_TYPE
    # Feed readers poll: with an ETag they get a 304 until a decision is published.
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/feeds/decisions.atom")
@query_args()
def feed():
    return _feed_response(
        services.feed_decisions(),
        feed_id="decisions",
        title=_("Decisions of Chongqing's schools"),
        self_url=public_url("decisions.feed"),
        page_url=public_url("decisions.index"),
    )


@bp.get("/schools/<slug>/feed.atom")
@query_args()
def school_feed(slug):
    school = school_or_404(slug)
    return _feed_response(
        services.feed_decisions(school),
        feed_id=f"school/{school.id}/decisions",
        title=_("Decisions of %(school)s", school=school.name(current_language())),
        self_url=public_url("decisions.school_feed", slug=school.slug),
        page_url=public_url("decisions.index", school=school.id),
    )
