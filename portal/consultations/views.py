"""Consultations' public pages: /consultations, a consultation with its responses, results and
outcome, responding, and the exports. Drafting, questions, submitting, closing and the outcome
form are in manage_views.py.

One consultation page serves everyone: visitors read it, the audience responds on it, and the
moderators of its authority find its part of the moderation queue there (the moderation feature's
pages and actions). Every form works as a plain POST; htmx swaps the part that changed.
"""

import json
from itertools import chain

from flask import abort, current_app, flash, make_response, render_template, request, stream_with_context, url_for
from flask_babel import format_date, format_time, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import policy
from portal.accounts import services as account_services
from portal.clock import local_date, utcnow
from portal.consultations import bp, cards, forms, lists, responses, services
from portal.consultations.models import ConsultationStatus, Phase, ResponseState, Stance, answer_words
from portal.documents.download import pdf_response
from portal.domain import DomainError
from portal.extensions import db, limiter
from portal.schools import services as school_services
from portal.text import render_markdown
from portal.web import (
    account_key,
    configured_limit,
    conflict,
    csv_response,
    current_language,
    extras,
    found_or_404,
    htmx_target,
    int_arg,
    is_htmx,
    not_modified,
    page_arg,
    page_validators,
    public_url,
    query_args,
    redirect_to,
    stored_only,
    text_arg,
    unavailable_says,
    with_validators,
)

RESPONSES_SHOWN = responses.RESPONSES_PAGE_SIZE
EXPORT_CHUNK = 64 * 1024  # characters sent at a time: fewer, larger writes than one per row

SAVED = {
    ResponseState.PENDING: _l(
        "Your response is saved. It is awaiting moderation: others will see it once a moderator has published it."
    ),
    ResponseState.PUBLISHED: _l("Your response is saved and published."),
}


def _consultation_or_404(consultation_id: int, *, for_update: bool = False):
    consultation = found_or_404(services.consultation_by_id(consultation_id, for_update=for_update))
    # Not approved yet: it exists only for those who draft, answer for or approve it.
    if not policy.can(current_user, "view_consultation", consultation):
        abort(404)
    return consultation


def _outcome_days() -> int:
    return current_app.config.get("PORTAL_OUTCOME_DAYS", 30)


def _show_url(consultation, anchor: str = "") -> str:
    return url_for("consultations.show", consultation_id=consultation.id) + (f"#{anchor}" if anchor else "")


# --- the list -----------------------------------------------------------------------------


@bp.get("/consultations")
@query_args("state", "district", "school", "page")
def index():
    state = request.args.get("state", "")
    state = state if state in lists.LIST_STATES else "open"
    filters = {"district": int_arg("district"), "school": int_arg("school")}
    results = lists.consultation_list(
        state, utcnow(), district_id=filters["district"], school_id=filters["school"], page=page_arg()
    )
    filter_args = {key: value for key, value in filters.items() if value is not None}
    context = {
        "state": state,
        "results": results,
        "counts": lists.published_counts(results.items),
        "filters": filters,
        "filter_args": filter_args,
        "list_args": {"state": state, **filter_args} if state != "open" else filter_args,
        "now": utcnow(),
        "outcome_days": _outcome_days(),
    }
    if htmx_target() == "consultation-results":
        return render_template("consultations/_list.html", **context)
    return render_template(
        "consultations/index.html",
        districts=school_services.districts_for_filter(),
        schools=lists.schools_for_filter(include_id=filters["school"]),
        **context,
    )


# --- one consultation ---------------------------------------------------------------------


def _respond_context(consultation, now, *, form=None, saved=None, refusal=None) -> dict:
    """What the "respond" part of the page shows: the person's own response and its state, and
    the form (what they typed, or what they wrote before) while it is open to them."""
    phase = consultation.phase(now)
    own = responses.response_of(consultation, current_user)
    refusal_to_respond = policy.check(current_user, "respond", consultation)
    may_respond = refusal_to_respond is None
    draft = None  # what they started and did not send, when the form is filled from it
    if form is None and may_respond and phase == Phase.OPEN:
        draft = responses.draft_of(consultation, current_user) if own is None else None
        form = forms.response_form(consultation, own, draft=draft, formdata=None)
    return {
        "consultation": consultation,
        "now": now,
        "phase": phase,
        "own": own,
        "draft": draft,
        "may_respond": may_respond,
        "form": form,
        "saved": saved,
        "refusal": refusal,
        "owner_name": services.owner_name(consultation, current_language()),
        # Why a logged-in person may not respond (a block, or the audience) and what to do about it.
        "audience_message": refusal_to_respond.message
        if refusal_to_respond is not None and refusal_to_respond.kind != policy.RefusalKind.LOGIN
        else None,
        # Said before an edit is sent: saving it takes the response back to the moderators.
        "edit_goes_to_moderators": own is not None
        and responses.state_after_saving(consultation, own) == ResponseState.PENDING,
        "body_max": forms.RESPONSE_BODY_MAX,
        "body_length": forms.characters(form.body.data) if form is not None else 0,
    }


# The filter box over a consultation's responses: at most this many characters, and words.
RESPONSE_WORDS_MAX_LENGTH = 100
RESPONSE_WORDS_MAX = 5


def _words_arg() -> tuple[str, list[str]]:
    """What was typed in the responses' filter box, and its words (at most RESPONSE_WORDS_MAX)."""
    typed = text_arg("words", RESPONSE_WORDS_MAX_LENGTH)
    return typed, typed.split()[:RESPONSE_WORDS_MAX]


def _list_context(consultation, *, stance=None, before=None, words=("", [])) -> dict:
    """A page of published responses (newest first), and whether there are older ones."""
    typed, word_list = words
    items = responses.published_responses(
        consultation, stance=stance, before_id=before, limit=RESPONSES_SHOWN + 1, words=word_list
    )
    moderator = policy.can(current_user, "moderate_consultation", consultation)
    shown = items[:RESPONSES_SHOWN]
    # The school and the moderators know who wrote an anonymous response; nobody else does.
    sees_authors = moderator or policy.can(current_user, "publish_outcome", consultation)
    badges = account_services.staff_badges(r.author_id for r in shown if r.show_name or sees_authors)
    return {
        "responses": shown,
        # Each card made once per process for what it shows (web.made_once); the viewer's actions around it.
        "cards": cards.response_cards(shown, badges),
        "has_more": len(items) > RESPONSES_SHOWN,
        "stance": stance,
        "words": typed,
        "stances": list(Stance),
        "questions_shown": cards.questions_shown(consultation.questions),
        "moderator": moderator,
        "sees_authors": sees_authors,
    }


def _show_context(consultation, now, **given) -> dict:
    context = _respond_context(
        consultation, now, form=given.get("form"), saved=given.get("saved"), refusal=given.get("respond_refusal")
    )
    context.update(_list_context(consultation))
    moderator = context["moderator"]
    outcome = consultation.status == ConsultationStatus.OUTCOME_PUBLISHED
    counts = responses.moderation_counts(consultation) if moderator else {}
    results, rejected = responses.results_and_rejection_reasons(consultation)  # one query
    context.update(
        {
            "proposal_html": render_markdown(consultation.proposal),
            # The results section is made once per process for these counts (web.made_once).
            "results": cards.ResultsShown.of(results),
            "rejected": tuple(rejected),
            "outcome_overdue": consultation.outcome_overdue(now, _outcome_days()),
            "outcome_days": _outcome_days(),
            "themes": list(consultation.themes) if outcome else [],
            "outcome_heard_html": render_markdown(consultation.outcome_heard, shift_headings=2) if outcome else "",
            "outcome_changes_html": render_markdown(consultation.outcome_changes, shift_headings=2) if outcome else "",
            "answering_decisions": consultation.answering_decisions if outcome else [],
            "today": local_date(now),  # the schools' date: where those decisions stand
            # For moderators: how many await them (their part of the queue is the moderation feature's).
            "state_counts": {state.value: count for state, count in counts.items()},
            **extras("consultation", consultation),  # what other features add: the follow button
        }
    )
    return context


@bp.get("/consultations/<int:consultation_id>")
@query_args()
def show(consultation_id):
    consultation = _consultation_or_404(consultation_id)
    return render_template("consultations/show.html", **_show_context(consultation, utcnow()))


def _not_in_audience(consultation, message):
    """Someone outside the audience learns how to join it, on the consultation's page (403).
    htmx does not swap a 403: it is sent to the page, which shows the reason where they respond."""
    if is_htmx():
        flash(str(message), "error")
        return make_response("", 403, {"HX-Redirect": _show_url(consultation, "respond")})
    context = _show_context(consultation, utcnow(), respond_refusal=message)
    return make_response(render_template("consultations/show.html", **context), 403)


def _not_open(consultation, now):
    """The consultation is not (or no longer) open: 409, with the "respond" part as it is now."""
    message = _not_open_message(consultation, now)
    return conflict(
        "consultations/show.html",
        "consultations/_respond.html",
        page_context=lambda: _show_context(consultation, now, respond_refusal=message),
        **_respond_context(consultation, now, refusal=message),
    )


def _date(moment) -> str:
    """A moment as the pages say it: the date and the time, on the schools' clock."""
    return f"{format_date(moment, 'long')} {format_time(moment, 'short')}"


def _not_open_message(consultation, now):
    if consultation.phase(now) == Phase.SCHEDULED:
        return _(
            "This consultation is not open yet: it opens on %(date)s. Nothing was saved.",
            date=_date(consultation.opens_at),
        )
    return _(
        "This consultation closed on %(date)s, so responses are no longer accepted. Nothing was saved.",
        date=_date(consultation.closed_at),
    )


def _require_responder(consultation):
    """Visitors log in first; a blocked person is told why and until when. Someone outside the
    audience learns how to join it on the consultation's page (403)."""
    refusal = policy.check(current_user, "respond", consultation)
    if refusal is not None and refusal.kind == policy.RefusalKind.NOT_IN_AUDIENCE:
        abort(_not_in_audience(consultation, refusal.message))
    if refusal is not None:
        raise refusal


def _respond_section(consultation, now, status=200, **given):
    """After a response was posted: htmx gets the "respond" part alone, a plain POST the page."""
    if is_htmx():
        return render_template("consultations/_respond.html", **_respond_context(consultation, now, **given)), status
    return render_template("consultations/show.html", **_show_context(consultation, now, **given)), status


def _submit(consultation, data, now):
    """The person's response, saved once however often the same form arrives at the same moment
    (two clicks, htmx retrying): if another request created it between our look and our insert,
    the unique constraint refuses ours, and this one edits (or, identical, leaves) that one."""
    try:
        with db.session.begin_nested():
            return responses.submit_response(current_user, consultation, data, now)
    except IntegrityError:
        return responses.submit_response(current_user, consultation, data, now)


@bp.post("/consultations/<int:consultation_id>/response")
@unavailable_says(
    _l("Your response was not saved"),
    _l("The portal could not store your response, so it has not been received. Please send it again in a moment."),
)
@limiter.limit(
    configured_limit("PORTAL_RESPONSE_LIMIT_PER_ACCOUNT"),
    key_func=account_key,
    deduct_when=stored_only,
    scope="consultation-respond",
)
def respond(consultation_id):
    consultation = _consultation_or_404(consultation_id)
    _require_responder(consultation)
    now = utcnow()
    if not consultation.is_open(now):
        return _not_open(consultation, now)
    form = forms.response_form(consultation)
    if not form.validate_on_submit():
        _keep_unfinished(consultation, form, now)
        return _respond_section(consultation, now, 422, form=form)
    try:
        response = _submit(consultation, form.response_data(), now)
    except DomainError as error:
        db.session.rollback()
        if error.field is None:  # it closed meanwhile
            return _not_open(consultation, utcnow())
        form[error.field].errors.append(error.message)
        _keep_unfinished(consultation, form, now)
        return _respond_section(consultation, now, 422, form=form)
    db.session.commit()
    message = SAVED.get(response.state, SAVED[ResponseState.PENDING])
    if is_htmx():
        return _respond_section(consultation, now, saved=message)
    flash(str(message), "success")
    return redirect_to(_show_url(consultation, "respond"))


def _keep_unfinished(consultation, form, now) -> None:
    """What the person typed is kept as their unfinished response (not when they edit one they
    sent), so they find it when they come back and are told before the consultation closes."""
    responses.keep_draft(current_user, consultation, form.typed_data(), now)
    db.session.commit()


# A write (the unfinished response is kept as it is typed): its transaction takes the write lock.
@bp.post("/consultations/<int:consultation_id>/response/check")
@limiter.limit(
    configured_limit("PORTAL_RESPONSE_CHECK_LIMIT_PER_ACCOUNT"), key_func=account_key, scope="consultation-check"
)
def check_response(consultation_id):
    """The counter under the comments, and their message if they are too long, while they are
    typed (htmx). What is typed so far (the whole form) is kept as an unfinished response; the
    full form checks again when it is sent."""
    consultation = _consultation_or_404(consultation_id)
    _require_responder(consultation)
    if not is_htmx():
        return redirect_to(_show_url(consultation, "respond"))
    now = utcnow()
    if consultation.is_open(now):
        _keep_unfinished(consultation, forms.response_form(consultation), now)
    form = forms.BodyCheckForm()
    valid = form.validate()
    return render_template(
        "consultations/_body_count.html",
        field=form.body,
        body_length=forms.characters(form.body.data),
        body_max=forms.RESPONSE_BODY_MAX,
        checked=True,
    ), 200 if valid else 422


@bp.post("/consultations/<int:consultation_id>/response/draft/discard")
def discard_draft(consultation_id):
    """Forget what the person started (only ever their own: it is looked up by who asks)."""
    consultation = _consultation_or_404(consultation_id)
    responses.discard_draft(current_user, consultation)
    db.session.commit()
    now = utcnow()
    message = _("What you had started is discarded.")
    if is_htmx():
        return _respond_section(consultation, now, saved=message)
    flash(message, "success")
    return redirect_to(_show_url(consultation, "respond"))


# --- published responses ------------------------------------------------------------------


def _stance_arg():
    value = request.args.get("stance", "")
    return Stance(value) if value in {stance.value for stance in Stance} else None


@bp.get("/consultations/<int:consultation_id>/responses", endpoint="responses")
@query_args("stance", "words", "before")
def response_list(consultation_id):
    """Published responses, a page at a time (keyset: `before` is the last id seen) and by
    stance. To htmx: more items for the list ("load more"), or the list section (the filter)."""
    consultation = _consultation_or_404(consultation_id)
    stance = _stance_arg()
    context = {
        "consultation": consultation,
        **_list_context(consultation, stance=stance, before=int_arg("before"), words=_words_arg()),
    }
    target = htmx_target()
    context["published"] = responses.results(consultation).published if target in (None, "responses") else None
    if target == "response-list":
        return render_template("consultations/_response_items.html", more=True, **context)
    if target == "responses":
        return render_template("consultations/_responses.html", **context)
    return render_template("consultations/responses.html", before=int_arg("before"), **context)


# --- exports ------------------------------------------------------------------------------


def _export_name(consultation, extension: str) -> str:
    return f"consultation-{consultation.id}-responses.{extension}"


def _local_time(moment) -> str:
    return to_user_timezone(moment).isoformat(timespec="seconds") if moment else ""


def _export_validators(consultation, questions, kind: str):
    """The ETag and Last-Modified of an export, for a visitor (web.page_validators): from what it
    shows of the consultation and its questions, and from responses.export_version."""
    version = responses.export_version(consultation)
    changes = [consultation.updated_at, version.responses_changed, version.authors_changed]
    shown = (
        consultation.title,
        services.owner_name(consultation, "zh"),
        public_url("consultations.show", consultation_id=consultation.id),
        # Moments as numbers: the same moment whichever object of time zone the driver gave it.
        *(moment.timestamp() if moment else None for moment in (consultation.opens_at, consultation.closed_at)),
        tuple((q.id, q.kind.value, q.prompt, tuple(q.choices or ())) for q in questions),
        version.published,
        *(moment.timestamp() if moment else None for moment in changes),
    )
    return page_validators(
        f"responses.{kind}", consultation.id, shown, last_modified=max(filter(None, changes)), is_page=False
    )


@bp.get("/consultations/<int:consultation_id>/responses.csv")
def export_csv(consultation_id):
    """Published responses as CSV: UTF-8 with a BOM (so that Excel reads the Chinese right),
    one row per response, streamed from the database a batch at a time. Names only where the
    author chose to show theirs."""
    consultation = _consultation_or_404(consultation_id)
    questions = list(consultation.questions)
    validators = _export_validators(consultation, questions, "csv")
    if (answer := not_modified(validators)) is not None:
        return answer
    anonymous = _("Anonymous")
    stance_labels = {stance.value: str(stance.label) for stance in Stance}
    header = [
        _("Response no."),
        _("Published"),
        _("Respondent"),
        _("Stance"),
        *[question.prompt for question in questions],
        _("Comments"),
    ]

    def rows():
        for record in responses.export_records(consultation):
            answers = record.answers or {}
            cells = []
            for question in questions:
                answer = answer_words(question, answers.get(str(question.id)))
                cells.append("; ".join(answer) if isinstance(answer, list) else answer or "")
            published = _local_time(record.published_at)
            stance = stance_labels.get(record.stance, record.stance)
            yield [record.id, published, record.name or anonymous, stance, *cells, record.body or ""]

    return with_validators(csv_response(chain([header], rows()), _export_name(consultation, "csv")), validators)


def _json(value) -> str:
    # As typed, but never markup a browser could mistake the file for: <, > and & are escaped
    # (JSON readers turn them back into the same characters).
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@bp.get("/consultations/<int:consultation_id>/responses.json")
def export_json(consultation_id):
    """Published responses as JSON, streamed: the consultation and its questions, then the
    responses one by one. `name` is null for anonymous responses."""
    consultation = _consultation_or_404(consultation_id)
    questions = list(consultation.questions)
    validators = _export_validators(consultation, questions, "json")
    if (answer := not_modified(validators)) is not None:
        return answer
    head = {
        "consultation": {
            "id": consultation.id,
            "title": consultation.title,
            "owner": services.owner_name(consultation, "zh"),
            "url": public_url("consultations.show", consultation_id=consultation.id),
            "opens_at": _local_time(consultation.opens_at),
            "closes_at": _local_time(consultation.closed_at),
            "questions": [
                {
                    "id": question.id,
                    "kind": question.kind.value,
                    "prompt": question.prompt,
                    "choices": list(question.choices),
                }
                for question in questions
            ],
        },
    }

    def chunks():
        pending = [_json(head)[:-1] + ', "responses": [']
        size, first = 0, True
        for record in responses.export_records(consultation):
            answers = record.answers or {}
            item = {
                "id": record.id,
                "published_at": _local_time(record.published_at),
                "stance": record.stance,
                "name": record.name,
                "body": record.body or "",
                "answers": {
                    str(question.id): answer
                    for question in questions
                    if (answer := answer_words(question, answers.get(str(question.id)))) not in (None, [], "")
                },
            }
            text = ("" if first else ",") + _json(item)
            first = False
            pending.append(text)
            size += len(text)
            if size >= EXPORT_CHUNK:
                yield "".join(pending)
                pending, size = [], 0
        pending.append("]}")
        yield "".join(pending)

    content_type = "application/json; charset=utf-8"
    response = current_app.response_class(stream_with_context(chunks()), content_type=content_type)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="{_export_name(consultation, "json")}"'
    return with_validators(response, validators)


@bp.get("/consultations/<int:consultation_id>/outcome.pdf")
def outcome_pdf(consultation_id):
    consultation = _consultation_or_404(consultation_id)
    document = found_or_404(services.outcome_document(consultation))
    return pdf_response(document, _("Outcome of %(title)s", title=consultation.title))
