"""The charter's public pages: the text in force, the history, a version, what changed. Its
management (drafting, preview, adoption) is in manage_views.py."""

import logging
from datetime import UTC, time

from flask import abort, make_response, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from wtforms import SelectChoice

from portal import clock, policy
from portal.charters import bp, forms, services, structure
from portal.documents.download import pdf_response
from portal.documents.services import find_by_sha256
from portal.extensions import db
from portal.text import render_markdown, whole_number
from portal.web import found_or_404, not_modified, page_validators, query_args, school_or_404, with_validators

log = logging.getLogger(__name__)

MAX_VERSION_NUMBER_DIGITS = 9
IN_FORCE = ("in_force", "ending")  # CharterState values of the version in force


def _may_manage(school) -> bool:
    return policy.can(current_user, "manage_charter", school)


def _readable_version_or_404(school, number: int):
    """A version as the person asking may see it: drafts exist only for those who manage the
    charter; for everyone else a draft is not found, as if it did not exist (it may still change,
    and its text is not the school's word yet)."""
    version = services.get_version(school, number)
    if version is None or (not version.is_adopted and not _may_manage(school)):
        abort(404)
    return version


# --- Public pages ------------------------------------------------------------------------------


def _school_parts(school) -> tuple:
    """What a charter page shows of its school."""
    return (school.id, school.slug, school.name_zh, school.name_en)


def _version_parts(versions) -> list[tuple]:
    """What identifies the versions a page shows, as plain values (the same, whichever way the
    database hands back a timestamp's zone)."""
    return [(v.id, v.number, str(v.status), v.updated_at.astimezone(UTC).isoformat()) for v in versions]


@bp.get("/schools/<slug>/charter")
@query_args()
def current(slug):
    school = school_or_404(slug)
    today = clock.today()
    return _render_version(school, services.in_force_version(school, today), today=today)


@bp.get("/schools/<slug>/charter/versions/<int:n>")
@query_args()
def version(slug, n):
    school = school_or_404(slug)
    shown = _readable_version_or_404(school, n)
    return _render_version(school, shown, today=clock.today())


@bp.get("/schools/<slug>/charter/versions/<int:n>.pdf")
def version_pdf(slug, n):
    """The archived PDF of an adopted version, exactly as signed at adoption. Drafts have none
    (not found, whoever asks), nor have versions adopted before the portal archived charters."""
    school = school_or_404(slug)
    version = services.get_version(school, n)
    if version is None or not version.is_adopted or not version.document_sha256:
        abort(404)
    document = find_by_sha256(version.document_sha256)
    if document is None:
        abort(404)
    return pdf_response(document, f"{school.name_zh}章程第{version.number}版")


def _render_version(school, version, *, today):
    """The page of a version. An adopted version never changes: the page changes only when a
    later version is adopted, or a day passes (a version adopted in advance comes into force),
    so visitors' browsers revalidate it (ETag, Last-Modified) and get 304 until then."""
    adopted = services.adopted_versions(school)
    current = next((v for v in adopted if v.status_on(today, adopted).value in IN_FORCE), None)
    upcoming = next((v for v in adopted if v.status_on(today, adopted).value == "not_yet_in_force"), None)
    previous = services.previous_adopted(version) if version else None
    shown = [v for v in (version, current, upcoming, previous) if v is not None]
    validators = page_validators(
        "charter-version",
        today.isoformat(),
        _school_parts(school),
        _version_parts(shown),
        last_modified=max([*(v.updated_at for v in shown), clock.local_to_utc(today, time.min)]),
    )
    if (answer := not_modified(validators)) is not None:
        return answer
    page = render_template(
        "charters/version.html",
        school=school,
        version=version,
        status=version.status_on(today, adopted) if version else None,
        document=structure.parse(version.body) if version else None,
        text_lang=structure.text_language(version.body) if version else None,
        is_current=version is not None and current is not None and version.id == current.id,
        current=current,
        upcoming=upcoming,
        previous=previous,
        can_manage=_may_manage(school),
    )
    return with_validators(make_response(page), validators)


@bp.get("/schools/<slug>/charter/versions")
@query_args()
def versions(slug):
    school = school_or_404(slug)
    adopted = services.adopted_versions(school)
    # Newest first; each version is compared with the one below it.
    today = clock.today()
    history = [
        (version, adopted[index + 1] if index + 1 < len(adopted) else None, version.status_on(today, adopted))
        for index, version in enumerate(adopted)
    ]
    return render_template("charters/versions.html", school=school, history=history, can_manage=_may_manage(school))


def _version_number_arg(name: str) -> int | None:
    """A version number from the query string: None when absent, 404 when not a number (no
    page can link to that, so there is nothing to show)."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    return found_or_404(whole_number(value, MAX_VERSION_NUMBER_DIGITS))


@bp.get("/schools/<slug>/charter/diff")
@query_args("from", "to")
def diff(slug):
    school = school_or_404(slug)
    may_manage = _may_manage(school)
    older_number, newer_number = _version_number_arg("from"), _version_number_arg("to")
    older = _readable_version_or_404(school, older_number) if older_number is not None else None
    newer = _readable_version_or_404(school, newer_number) if newer_number is not None else None

    choices = services.versions_of(school) if may_manage else services.adopted_versions(school)
    # Visitors see adopted versions only, which never change: the page changes when another
    # version is adopted (the picker lists it), and not otherwise.
    validators = page_validators(
        "charter-diff",
        structure.DIFF_FORMAT,
        _school_parts(school),
        _version_parts(choices),
        last_modified=max((v.updated_at for v in choices), default=None),
    )
    if (answer := not_modified(validators)) is not None:
        return answer
    picker = forms.ComparePickerForm(formdata=None)
    picker.from_.choices = picker.to.choices = [SelectChoice(v.number, _version_choice_label(v)) for v in choices]
    if older is not None and newer is not None:
        picker.from_.data, picker.to.data = older.number, newer.number
    elif len(choices) >= 2:  # the picker suggests the latest change
        picker.from_.data, picker.to.data = choices[1].number, choices[0].number

    changes = None
    if older is not None and newer is not None and older.id != newer.id:
        changes = services.compare(older, newer)
        _keep_stored_comparison()
    page = render_template(
        "charters/diff.html",
        school=school,
        older=older,
        newer=newer,
        changes=changes,
        picker=picker,
        can_compare=len(choices) >= 2,
        text_lang=structure.text_language(newer.body) if newer is not None else None,
    )
    return with_validators(make_response(page), validators)


def _keep_stored_comparison():
    """Commit the comparison services.compare stored, if it did. Storing is a saving, not the
    page's purpose: when it cannot be saved now (SQLite's other writer holds the lock), the page
    is shown all the same, and the comparison is stored next time."""
    try:
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.warning("a charter comparison could not be stored now; it will be next time", exc_info=True)


def _version_choice_label(version) -> str:
    if version.is_adopted:
        return _("Version %(number)d, %(date)s", number=version.number, date=format_date(version.adopted_on))
    return _("Version %(number)d (draft)", number=version.number)


@bp.app_template_filter("charter_markdown")
def charter_markdown(text: str, shift_headings: int = 1):
    """Markdown of a charter, sanitised (portal.text): scripts, iframes, `javascript:` links
    and hx- attributes typed into a charter come out inert."""
    return render_markdown(text, shift_headings=shift_headings)


@bp.app_template_filter("charter_lang")
def charter_lang(text: str) -> str:
    """The `lang` of a piece of text people typed (a change note), which may be in either language."""
    return structure.text_language(text)
