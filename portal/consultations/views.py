"""Consultations: the public pages (/consultations, a consultation with its responses, results and
outcome, the exports) and the moderators' actions on a consultation. Drafting, questions,
submitting, closing and the outcome form are in manage_views.py.

One consultation page serves everyone: visitors read it, the audience responds on it, and the
moderators of its authority approve it and moderate its responses there (until the cross-school
queue exists). Every form works as a plain POST; htmx swaps the part that changed.
"""

import csv
import io
import json

from flask import abort, current_app, flash, make_response, render_template, request, stream_with_context, url_for
from flask_babel import format_date, format_time, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import audit, policy
from portal.accounts.models import User
from portal.clock import utcnow
from portal.consultations import bp, forms, services
from portal.consultations.models import ConsultationStatus, Phase, QuestionKind, ResponseState, Stance
from portal.documents.download import pdf_response
from portal.domain import DomainError
from portal.extensions import client_address, db, limiter
from portal.schools import services as school_services
from portal.text import render_markdown
from portal.web import (
    current_language,
    found_or_404,
    int_arg,
    is_htmx,
    page_arg,
    redirect_to,
    retry_once_if_database_busy,
)

RESPONSES_SHOWN = services.RESPONSES_PAGE_SIZE
PENDING_SHOWN = 20  # the oldest first; the moderator reloads for the next ones
EXPORT_CHUNK = 64 * 1024  # characters sent at a time: fewer, larger writes than one per row

# Enough for someone who edits their response a few times, too few to hammer the database.
RESPOND_LIMIT = "30 per hour"
# The counter asks after each pause in typing.
CHECK_LIMIT = "600 per hour"
REPORT_LIMIT = "20 per hour;50 per day"


def _limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


def _saved(response) -> bool:
    """Only what was stored counts towards a limit (a redirect, or htmx's fragment), not a form
    with mistakes or a refusal."""
    return response.status_code in (200, 303)


SAVED = {
    ResponseState.PENDING: _l(
        "Your response is saved. It is awaiting moderation: others will see it once a moderator has published it."
    ),
    ResponseState.PUBLISHED: _l("Your response is saved and published."),
}
MODERATED = {
    "publish": _l("The response is published."),
    "reject": _l("The response is rejected. Only the count of rejections, with your reason, is shown publicly."),
    "hide": _l("The response is hidden. Only the count, with your reason, is shown publicly."),
}
REPORTED = _l("Thank you. Your report has gone to the moderators.")
ALREADY_REPORTED = _l("You have already reported this response. The moderators have your report.")
OWN_RESPONSE = _l("This is your own response: you can change it instead of reporting it.")


def _account_key() -> str:
    """Per account: parents behind one school's or one carrier's shared address are not limited together."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"ip:{client_address()}"


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
def index():
    state = request.args.get("state", "")
    state = state if state in services.LIST_STATES else "open"
    filters = {"district": int_arg("district"), "school": int_arg("school")}
    results = services.consultation_list(
        state, utcnow(), district_id=filters["district"], school_id=filters["school"], page=page_arg()
    )
    filter_args = {key: value for key, value in filters.items() if value is not None}
    context = {
        "state": state,
        "results": results,
        "counts": services.published_counts(results.items),
        "filters": filters,
        "filter_args": filter_args,
        "list_args": {"state": state, **filter_args} if state != "open" else filter_args,
        "now": utcnow(),
        "outcome_days": _outcome_days(),
    }
    if is_htmx() and request.headers.get("HX-Target") == "consultation-results":
        return render_template("consultations/_list.html", **context)
    return render_template(
        "consultations/index.html",
        districts=school_services.districts_for_filter(),
        schools=services.schools_for_filter(include_id=filters["school"]),
        **context,
    )


# --- one consultation ---------------------------------------------------------------------


def _respond_context(consultation, now, *, form=None, saved=None, refusal=None) -> dict:
    """What the "respond" part of the page shows: the person's own response and its state, and
    the form (what they typed, or what they wrote before) while it is open to them."""
    phase = consultation.phase(now)
    own = services.response_of(consultation, current_user)
    refusal_to_respond = policy.check(current_user, "respond", consultation)
    may_respond = refusal_to_respond is None
    if form is None and may_respond and phase == Phase.OPEN:
        form = forms.response_form(consultation, own, formdata=None)
    return {
        "consultation": consultation,
        "now": now,
        "phase": phase,
        "own": own,
        "may_respond": may_respond,
        "form": form,
        "saved": saved,
        "refusal": refusal,
        "owner_name": services.owner_name(consultation, current_language()),
        # Why a logged-in person may not respond (a block, or the audience) and what to do about it.
        "audience_message": refusal_to_respond.message
        if refusal_to_respond is not None and refusal_to_respond.kind != policy.RefusalKind.LOGIN
        else None,
        "body_max": forms.RESPONSE_BODY_MAX,
        "body_length": forms.characters(form.body.data) if form is not None else 0,
    }


def _list_context(consultation, *, stance=None, before=None) -> dict:
    """A page of published responses (newest first), and whether there are older ones."""
    items = services.published_responses(consultation, stance=stance, before_id=before, limit=RESPONSES_SHOWN + 1)
    moderator = policy.can(current_user, "moderate_consultation", consultation)
    shown = items[:RESPONSES_SHOWN]
    return {
        "responses": shown,
        "has_more": len(items) > RESPONSES_SHOWN,
        "stance": stance,
        "stances": list(Stance),
        "questions": list(consultation.questions),
        "moderator": moderator,
        # The school and the moderators know who wrote an anonymous response; nobody else does.
        "sees_authors": moderator or policy.can(current_user, "publish_outcome", consultation),
        "report_counts": services.open_report_counts(shown) if moderator else {},
    }


def _show_context(consultation, now, **given) -> dict:
    context = _respond_context(
        consultation, now, form=given.get("form"), saved=given.get("saved"), refusal=given.get("respond_refusal")
    )
    context.update(_list_context(consultation))
    moderator = context["moderator"]
    outcome = consultation.status == ConsultationStatus.OUTCOME_PUBLISHED
    context.update(
        {
            "proposal_html": render_markdown(consultation.proposal),
            "results": services.results(consultation),
            "rejected": services.rejected_by_reason(consultation),
            "outcome_overdue": consultation.outcome_overdue(now, _outcome_days()),
            "outcome_days": _outcome_days(),
            "themes": list(consultation.themes) if outcome else [],
            "outcome_heard_html": render_markdown(consultation.outcome_heard, shift_headings=2) if outcome else "",
            "outcome_changes_html": render_markdown(consultation.outcome_changes, shift_headings=2) if outcome else "",
            "answering_decisions": services.answering_decisions(consultation) if outcome else [],
            "moderation_refusal": given.get("moderation_refusal"),
            "send_back_form": given.get("send_back_form") or forms.SendBackForm(formdata=None),
            "pending": services.pending_responses(consultation, limit=PENDING_SHOWN) if moderator else [],
            "state_counts": {state.value: count for state, count in services.moderation_counts(consultation).items()}
            if moderator
            else {},
            "moderate_forms": given.get("moderate_forms", {}),
        }
    )
    return context


@bp.get("/consultations/<int:consultation_id>")
def show(consultation_id):
    consultation = _consultation_or_404(consultation_id)
    return render_template("consultations/show.html", **_show_context(consultation, utcnow()))


def _refused(consultation, status: int, message, *, part: str = "respond"):
    """A request the consultation's state or the person's place refuses: the page with the
    reason where it belongs (`part`: "respond" or "moderation"), nothing changed. htmx swaps
    only 2xx and 422, so it is sent to the page, which shows the reason at the top."""
    if is_htmx():
        flash(str(message), "error")
        return make_response("", status, {"HX-Redirect": _show_url(consultation, part)})
    given = {"respond_refusal": message} if part == "respond" else {"moderation_refusal": message}
    return make_response(
        render_template("consultations/show.html", **_show_context(consultation, utcnow(), **given)), status
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
        abort(_refused(consultation, 403, refusal.message))
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
            return services.submit_response(current_user, consultation, data, now)
    except IntegrityError:
        return services.submit_response(current_user, consultation, data, now)


@bp.post("/consultations/<int:consultation_id>/response")
@limiter.limit(
    _limit("PORTAL_RESPONSE_LIMIT_PER_ACCOUNT", RESPOND_LIMIT),
    key_func=_account_key,
    deduct_when=_saved,
    scope="consultation-respond",
)
def respond(consultation_id):
    consultation = _consultation_or_404(consultation_id)
    _require_responder(consultation)
    now = utcnow()
    if not consultation.is_open(now):
        return _refused(consultation, 409, _not_open_message(consultation, now))
    form = forms.response_form(consultation)
    if not form.validate_on_submit():
        return _respond_section(consultation, now, 422, form=form)
    try:
        response = _submit(consultation, form.response_data(), now)
    except DomainError as error:
        db.session.rollback()
        if error.reason == "not_open":
            return _refused(consultation, 409, _not_open_message(consultation, utcnow()))
        form.body.errors.append(forms.too_long(forms.RESPONSE_BODY_MAX))  # "body_too_long": the form checks it first
        return _respond_section(consultation, now, 422, form=form)
    db.session.commit()
    message = SAVED.get(response.state, SAVED[ResponseState.PENDING])
    if is_htmx():
        return _respond_section(consultation, now, saved=message)
    flash(str(message), "success")
    return redirect_to(_show_url(consultation, "respond"))


@bp.post("/consultations/<int:consultation_id>/response/check")
@limiter.limit(
    _limit("PORTAL_RESPONSE_CHECK_LIMIT_PER_ACCOUNT", CHECK_LIMIT), key_func=_account_key, scope="consultation-check"
)
def check_response(consultation_id):
    """The counter under the comments, and their message if they are too long, while they are
    typed (htmx). Nothing is stored; the full form checks again when it is sent."""
    consultation = _consultation_or_404(consultation_id)
    _require_responder(consultation)
    if not is_htmx():
        return redirect_to(_show_url(consultation, "respond"))
    form = forms.BodyCheckForm()
    valid = form.validate()
    return render_template(
        "consultations/_body_count.html",
        field=form.body,
        body_length=forms.characters(form.body.data),
        body_max=forms.RESPONSE_BODY_MAX,
        checked=True,
    ), 200 if valid else 422


# --- published responses ------------------------------------------------------------------


def _stance_arg():
    value = request.args.get("stance", "")
    return Stance(value) if value in {stance.value for stance in Stance} else None


@bp.get("/consultations/<int:consultation_id>/responses")
def responses(consultation_id):
    """Published responses, a page at a time (keyset: `before` is the last id seen) and by
    stance. To htmx: more items for the list ("load more"), or the list section (the filter)."""
    consultation = _consultation_or_404(consultation_id)
    stance = _stance_arg()
    context = {"consultation": consultation, **_list_context(consultation, stance=stance, before=int_arg("before"))}
    context["published"] = (
        services.results(consultation).published
        if not is_htmx() or request.headers.get("HX-Target") == "responses"
        else None
    )
    target = request.headers.get("HX-Target") if is_htmx() else None
    if target == "response-list":
        return render_template("consultations/_response_items.html", more=True, **context)
    if target == "responses":
        return render_template("consultations/_responses.html", **context)
    return render_template("consultations/responses.html", before=int_arg("before"), **context)


@bp.post("/consultations/<int:consultation_id>/responses/<int:response_id>/report")
@limiter.limit(
    _limit("PORTAL_REPORT_LIMIT_PER_ACCOUNT", REPORT_LIMIT),
    key_func=_account_key,
    deduct_when=_saved,
    scope="consultation-report",
)
def report(consultation_id, response_id):
    consultation = _consultation_or_404(consultation_id)
    policy.require(current_user, "report_response", consultation)
    response = services.response_in(consultation, response_id)
    if response is None or response.state != ResponseState.PUBLISHED:
        abort(404)  # only published responses are seen, so only they can be reported
    form = forms.ReportForm()
    status, message = 200, None
    if form.validate_on_submit():
        try:
            services.report_response(current_user, response, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            if error.reason == "already_reported":
                message = ALREADY_REPORTED  # a second click, or a second try: the report stands
            elif error.reason == "own_response":
                form.reason.errors.append(OWN_RESPONSE)
                status = 422
            else:
                abort(404)
        else:
            db.session.commit()
            message = REPORTED
    else:
        status = 422
    if message is not None and not is_htmx():
        flash(str(message), "success")
        return redirect_to(
            url_for("consultations.responses", consultation_id=consultation.id, before=response.id + 1)
            + f"#response-{response.id}"
        )
    template = "consultations/_report.html" if is_htmx() else "consultations/report.html"
    return render_template(
        template,
        consultation=consultation,
        response=response,
        form=form,
        done=message,
        questions=list(consultation.questions),
    ), status


# --- exports ------------------------------------------------------------------------------


def _export_name(consultation, extension: str) -> str:
    return f"consultation-{consultation.id}-responses.{extension}"


def _spreadsheet_safe(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ (or a tab or return before them) as a
    formula. A leading apostrophe makes them show it as the text it is."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _answer_text(question, value):
    if value is None:
        return None
    if question.kind == QuestionKind.TEXT:
        return value if isinstance(value, str) else None
    indexes = value if isinstance(value, list) else [value]
    chosen = [
        question.choices[index] for index in indexes if isinstance(index, int) and 0 <= index < len(question.choices)
    ]
    if question.kind == QuestionKind.SINGLE:
        return chosen[0] if chosen else None
    return chosen


def _local_time(moment) -> str:
    return to_user_timezone(moment).isoformat(timespec="seconds") if moment else ""


def _streamed(chunks, content_type: str, filename: str):
    response = current_app.response_class(stream_with_context(chunks), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/consultations/<int:consultation_id>/responses.csv")
def export_csv(consultation_id):
    """Published responses as CSV: UTF-8 with a BOM (so that Excel reads the Chinese right),
    one row per response, streamed from the database a batch at a time. Names only where the
    author chose to show theirs."""
    consultation = _consultation_or_404(consultation_id)
    questions = list(consultation.questions)
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
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([_spreadsheet_safe(cell) for cell in header])
        for record in services.export_records(consultation):
            answers = record.answers or {}
            cells = []
            for question in questions:
                answer = _answer_text(question, answers.get(str(question.id)))
                cells.append("; ".join(answer) if isinstance(answer, list) else answer or "")
            writer.writerow(
                [
                    record.id,
                    _local_time(record.published_at),
                    _spreadsheet_safe(record.name) if record.name else anonymous,
                    stance_labels.get(record.stance, record.stance),
                    *[_spreadsheet_safe(cell) for cell in cells],
                    _spreadsheet_safe(record.body or ""),
                ]
            )
            if buffer.tell() >= EXPORT_CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return _streamed(rows(), "text/csv; charset=utf-8", _export_name(consultation, "csv"))


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
    head = {
        "consultation": {
            "id": consultation.id,
            "title": consultation.title,
            "owner": services.owner_name(consultation, "zh"),
            "url": url_for("consultations.show", consultation_id=consultation.id, _external=True),
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
        for record in services.export_records(consultation):
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
                    if (answer := _answer_text(question, answers.get(str(question.id)))) not in (None, [], "")
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

    response = _streamed(chunks(), "application/json; charset=utf-8", _export_name(consultation, "json"))
    response.headers["Content-Disposition"] = f'inline; filename="{_export_name(consultation, "json")}"'
    return response


@bp.get("/consultations/<int:consultation_id>/outcome.pdf")
def outcome_pdf(consultation_id):
    consultation = _consultation_or_404(consultation_id)
    document = found_or_404(services.outcome_document(consultation))
    return pdf_response(document, f"{consultation.title} {_('Outcome')}")


# --- moderators: approval -----------------------------------------------------------------


def _approval_conflict(consultation, reason: str):
    """Why approving or sending back did nothing: who acted first and how, or what stands in the way."""
    if reason == "closes_in_the_past":
        return _(
            "Its closing time has passed, so it cannot be approved. Send it back so that the school can change its dates."
        )
    last = audit.last_action(consultation, ("consultation.approve", "consultation.send_back"))
    name = (last.name if last else "") or _("another moderator")
    if (
        consultation.status
        in (ConsultationStatus.APPROVED, ConsultationStatus.CLOSED, ConsultationStatus.OUTCOME_PUBLISHED)
        and consultation.approved_at
    ):
        approver = db.session.get(User, consultation.approved_by_id) if consultation.approved_by_id else None
        return _(
            "%(name)s already approved this consultation on %(date)s. Nothing was changed.",
            name=approver.display_name if approver else name,
            date=_date(consultation.approved_at),
        )
    if consultation.status == ConsultationStatus.DRAFT and last is not None and last.action == "consultation.send_back":
        return _(
            "%(name)s already sent this consultation back to the school on %(date)s. Nothing was changed.",
            name=name,
            date=_date(last.at),
        )
    return _(
        "This consultation is not awaiting approval (it is: %(phase)s). Nothing was changed.",
        phase=consultation.phase(utcnow()).label,
    )


@bp.post("/consultations/<int:consultation_id>/approve")
@retry_once_if_database_busy
def approve(consultation_id):
    # The row stays locked until the commit: of two moderators approving at once, the second
    # waits, then finds it approved and is told by whom.
    consultation = _consultation_or_404(consultation_id, for_update=True)
    policy.require(current_user, "moderate_consultation", consultation)
    if not forms.ApproveForm().validate_on_submit():
        return _refused(
            consultation, 422, _("Something was wrong with this form. Please try again."), part="moderation"
        )
    now = utcnow()
    try:
        services.approve(current_user, consultation, now)
    except DomainError as error:
        db.session.rollback()
        consultation = _consultation_or_404(consultation_id)
        return _refused(consultation, 409, _approval_conflict(consultation, error.reason), part="moderation")
    db.session.commit()
    if consultation.phase(now) == Phase.OPEN:
        flash(
            _("The consultation is approved and open for comment until %(date)s.", date=_date(consultation.closes_at)),
            "success",
        )
    else:
        flash(_("The consultation is approved. It opens on %(date)s.", date=_date(consultation.opens_at)), "success")
    return redirect_to(_show_url(consultation))


@bp.post("/consultations/<int:consultation_id>/send-back")
@retry_once_if_database_busy
def send_back(consultation_id):
    consultation = _consultation_or_404(consultation_id, for_update=True)
    policy.require(current_user, "moderate_consultation", consultation)
    form = forms.SendBackForm()
    if not form.validate_on_submit():
        return render_template(
            "consultations/show.html", **_show_context(consultation, utcnow(), send_back_form=form)
        ), 422
    try:
        services.send_back(current_user, consultation, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        consultation = _consultation_or_404(consultation_id)
        return _refused(consultation, 409, _approval_conflict(consultation, error.reason), part="moderation")
    db.session.commit()
    flash(_("The consultation is sent back to the school with your reason. It is a draft again."), "success")
    return redirect_to(_show_url(consultation))


# --- moderators: responses ----------------------------------------------------------------


def _moderation_conflict(response):
    """Who acted on the response first, and how."""
    moderator = db.session.get(User, response.moderated_by_id) if response.moderated_by_id else None
    name = moderator.display_name if moderator else _("another moderator")
    date = _date(response.moderated_at) if response.moderated_at else ""
    if response.state == ResponseState.PUBLISHED:
        return _("%(name)s already published this response on %(date)s. Nothing was changed.", name=name, date=date)
    if response.state == ResponseState.REJECTED:
        return _(
            "%(name)s already rejected this response on %(date)s (“%(reason)s”). Nothing was changed.",
            name=name,
            date=date,
            reason=response.reject_reason,
        )
    if response.state == ResponseState.HIDDEN:
        return _(
            "%(name)s already hid this response on %(date)s (“%(reason)s”). Nothing was changed.",
            name=name,
            date=date,
            reason=response.reject_reason,
        )
    return _("This response is awaiting moderation: publish it or reject it. Nothing was changed.")


def _moderation_item(consultation, response, *, form=None, done=None, status=200):
    context = {
        "consultation": consultation,
        "response": response,
        "questions": list(consultation.questions),
        "form": form,
        "done": done,
        "sees_authors": True,
    }
    if is_htmx():
        return render_template("consultations/_moderation_item.html", **context), status
    if done is not None:
        flash(str(done), "success")
        return redirect_to(_show_url(consultation, "moderation"))
    forms_given = {response.id: form} if form is not None else {}
    return render_template(
        "consultations/show.html", **_show_context(consultation, utcnow(), moderate_forms=forms_given)
    ), status


@bp.post("/consultations/<int:consultation_id>/responses/<int:response_id>/moderate")
@retry_once_if_database_busy
def moderate_response(consultation_id, response_id):
    consultation = _consultation_or_404(consultation_id)
    policy.require(current_user, "moderate_consultation", consultation)
    # Locked until the commit: of two moderators acting at once, the second sees the first's action.
    response = found_or_404(services.response_in(consultation, response_id, for_update=True))
    form = forms.ModerateForm()
    if not form.validate_on_submit():
        return _moderation_item(consultation, response, form=form, status=422)
    action = form.action.data
    try:
        if action == "publish":
            services.publish_response(current_user, response)
        elif action == "reject":
            services.reject_response(current_user, response, form.reason.data)
        else:
            services.hide_response(current_user, response, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        response = found_or_404(services.response_in(consultation, response_id))
        if error.reason == "reason_required":
            form.reason.errors.append(forms.REASON_MISSING)
            return _moderation_item(consultation, response, form=form, status=422)
        return _refused(consultation, 409, _moderation_conflict(response), part="moderation")
    db.session.commit()
    return _moderation_item(consultation, response, done=MODERATED[action])


from portal.consultations import manage_views  # noqa: E402,F401  (the management pages)
