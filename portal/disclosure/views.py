"""The disclosure checklist's public pages: a school's checklist (/schools/<slug>/disclosure), one
published disclosure and its PDF; and the commission staff's overview of their schools
(/disclosure, with its CSV). (Publishing is in manage_views.py.)"""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock, policy
from portal.disclosure import bp, services
from portal.disclosure.models import DisclosureCategory, ItemState
from portal.documents.download import pdf_response
from portal.web import csv_response, current_language, found_or_404, query_args, school_or_404


@bp.get("/schools/<slug>/disclosure")
@query_args()
def school(slug):
    school = school_or_404(slug)
    checklist = services.checklist(school, clock.today())
    return render_template(
        "disclosure/school.html",
        school=school,
        checklist=checklist,
        categories=list(DisclosureCategory),
        can_manage=policy.can(current_user, "manage_disclosure", school),
    )


@bp.get("/schools/<slug>/disclosure/<int:disclosure_id>")
@query_args()
def published(slug, disclosure_id):
    # Drafts are not found here, whoever asks: they live in the school's management area.
    school = school_or_404(slug)
    disclosure = found_or_404(services.published_disclosure(school, disclosure_id))
    return render_template("disclosure/published.html", school=school, disclosure=disclosure)


@bp.get("/schools/<slug>/disclosure/<int:disclosure_id>.pdf")
def pdf(slug, disclosure_id):
    school = school_or_404(slug)
    disclosure = found_or_404(services.published_disclosure(school, disclosure_id))
    document = found_or_404(disclosure.document)
    return pdf_response(document, f"{school.name(current_language())} {disclosure.item.title(current_language())}")


# --- the commission's overview ----------------------------------------------------------------


def _overview():
    policy.require(current_user, "oversee_disclosure")
    sort = request.args.get("sort", "")
    sort = sort if sort in services.SORTS else "overdue"
    schools = services.schools_overseen(policy.overseen_authorities(current_user))
    return services.overview(schools, clock.today(), sort), sort


@bp.get("/disclosure")
def overview():
    lists, sort = _overview()
    return render_template(
        "disclosure/overview.html",
        lists=lists,
        sort=sort,
        categories=list(DisclosureCategory),
        overall=services.overall_completeness(lists),
        overdue_by_category=services.overdue_by_category(lists),
    )


def _percent(value) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


@bp.get("/disclosure.csv")
def overview_csv():
    lists, _sort = _overview()
    language = current_language()
    categories = list(DisclosureCategory)
    header = [
        _("School"),
        _("District"),
        _("Completeness"),
        _("Published"),
        pgettext_state(ItemState.NOT_YET_DUE),
        pgettext_state(ItemState.OVERDUE),
        _("Items"),
        *[str(category.label) for category in categories],
    ]
    rows = [header]
    for checklist in lists:
        rows.append(
            [
                checklist.school.name(language),
                checklist.school.authority.name(language),
                _percent(checklist.completeness),
                checklist.published,
                checklist.count(ItemState.NOT_YET_DUE),
                checklist.overdue,
                len(checklist.rows),
                *[_percent(checklist.category_completeness(category)) for category in categories],
            ]
        )
    return csv_response(rows, f"disclosure-{clock.today().isoformat()}.csv")


def pgettext_state(state: ItemState) -> str:
    return str(state.label)
