"""Consultations: loading, drafting and the lifecycle (submitted, approved or sent back, closed
early), and the outcome ("you said, we did"). Responding and the running tallies are in
responses.py; the public lists in lists.py.

Services flush and never commit; the caller commits once (CONVENTIONS.md §4). Every change that
matters writes an audit event in the same transaction.
"""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import Select, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal import audit, events
from portal.accounts.models import Membership, Role
from portal.clock import local_date, utcnow
from portal.consultations import responses
from portal.consultations.models import (
    MAX_CHOICES,
    MAX_QUESTIONS,
    Audience,
    Consultation,
    ConsultationRefusal,
    ConsultationStatus,
    ModerationMode,
    OutcomeTheme,
    Phase,
    Question,
    QuestionKind,
    Response,
    ResponseState,
)
from portal.documents import render
from portal.documents.models import DocumentKind
from portal.documents.render import body_fingerprint, verify_url
from portal.documents.services import archive_pdf, find_by_sha256
from portal.domain import DomainError
from portal.extensions import db
from portal.schools.models import Authority, School
from portal.text import nfc, render_markdown

# --- loading ------------------------------------------------------------------------------


@functools.cache
def _consultation_query(for_update: bool) -> Select:
    # Built once and run with the id: the consultation's page asks on every visit, and building
    # a select with its loader options costs more than running it (bench/profile_page.py).
    query = (
        select(Consultation)
        .where(Consultation.id == bindparam("consultation_id"))
        .options(
            joinedload(Consultation.school).joinedload(School.authority),
            joinedload(Consultation.authority),
            # Joined with its consultation for the page (one query); loaded apart when locking it.
            selectinload(Consultation.questions) if for_update else joinedload(Consultation.questions),
        )
    )
    if for_update:
        query = query.with_for_update(of=Consultation).execution_options(populate_existing=True)
    return query


def consultation_by_id(consultation_id: int, *, for_update: bool = False) -> Consultation | None:
    """A consultation with its owner and questions (whatever its status: callers check who may see it)."""
    query = _consultation_query(for_update)
    return db.session.execute(query, {"consultation_id": consultation_id}).unique().scalar_one_or_none()


def owner_name(consultation: Consultation, language: str) -> str:
    if consultation.school is not None:
        return consultation.school.name(language)
    return consultation.authority.name_en if language == "en" else consultation.authority.name_zh


# --- the audience -------------------------------------------------------------------------


def verified_parent_count(consultation: Consultation) -> int:
    """How many verified parents the audience has (participation rate = responders / this)."""
    query = select(func.count(func.distinct(Membership.user_id))).where(Membership.role == Role.PARENT)
    if consultation.school_id is not None:
        query = query.where(Membership.school_id == consultation.school_id)
    else:
        under = select(School.id).join(Authority).where(Authority.path.startswith(consultation.authority.path))
        query = query.where(Membership.school_id.in_(under))
    return db.session.scalar(query)


# --- drafting and the lifecycle -----------------------------------------------------------

DETAIL_FIELDS = ("title", "summary", "proposal", "audience", "moderation", "opens_at", "closes_at")


def _details(data: dict) -> dict:
    values = {name: data[name] for name in DETAIL_FIELDS if name in data}
    for name in ("title", "summary", "proposal"):
        if name in values:
            values[name] = nfc(values[name])
    if "audience" in values:
        values["audience"] = Audience(values["audience"])
    if "moderation" in values:
        values["moderation"] = ModerationMode(values["moderation"])
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens is not None and closes is not None and closes <= opens:
        raise DomainError(ConsultationRefusal.CLOSES_BEFORE_OPENING)
    return values


def create_consultation(
    actor, *, school: School | None = None, authority: Authority | None = None, data: dict
) -> Consultation:
    """A new draft of `school` (or of `authority`). Refuses with CLOSES_BEFORE_OPENING."""
    if (school is None) == (authority is None):
        raise ValueError("a consultation belongs to a school or to an authority")
    consultation = Consultation(
        school=school,
        authority=authority if school is None else None,
        status=ConsultationStatus.DRAFT,
        created_by_id=getattr(actor, "id", None),
    )
    consultation.title = ""
    consultation.edit(**_details(data))
    db.session.add(consultation)
    db.session.flush()
    audit.record(actor, "consultation.create", consultation, **consultation.audit_scope, title=consultation.title)
    return consultation


def update_consultation(actor, consultation: Consultation, data: dict) -> list[str]:
    """Save the draft's details; returns what changed. Refuses with NOT_A_DRAFT once submitted."""
    values = _details(data)
    changed = [name for name, value in values.items() if getattr(consultation, name) != value]
    if changed:
        consultation.edit(**{name: values[name] for name in changed})
        db.session.flush()
        audit.record(actor, "consultation.edit", consultation, **consultation.audit_scope, fields=changed)
    return changed


def _clean_choices(kind: QuestionKind, choices) -> list[str]:
    if kind == QuestionKind.TEXT:
        return []
    cleaned = [nfc(choice) for choice in (choices or []) if nfc(choice)]
    if len(cleaned) < 2:
        raise DomainError(ConsultationRefusal.TOO_FEW_CHOICES)
    if len(cleaned) > MAX_CHOICES:
        raise DomainError(ConsultationRefusal.TOO_MANY_CHOICES)
    if len(set(cleaned)) != len(cleaned):
        raise DomainError(ConsultationRefusal.DUPLICATE_CHOICES)
    return cleaned


def add_question(actor, consultation: Consultation, *, kind, prompt: str, choices=None) -> Question:
    """Add a question at the end (at most MAX_QUESTIONS). Refuses with NOT_A_DRAFT,
    TOO_MANY_QUESTIONS, TOO_FEW_CHOICES, TOO_MANY_CHOICES, DUPLICATE_CHOICES."""
    if consultation.status != ConsultationStatus.DRAFT:
        raise DomainError(ConsultationRefusal.NOT_A_DRAFT)
    if len(consultation.questions) >= MAX_QUESTIONS:
        raise DomainError(ConsultationRefusal.TOO_MANY_QUESTIONS)
    kind = QuestionKind(kind)
    position = max((question.position for question in consultation.questions), default=0) + 1
    question = Question(kind=kind, prompt=nfc(prompt), choices=_clean_choices(kind, choices), position=position)
    consultation.questions.append(question)
    db.session.flush()
    audit.record(
        actor,
        "consultation.question_add",
        consultation,
        **consultation.audit_scope,
        question=question.id,
        kind=kind.value,
    )
    return question


def remove_question(actor, consultation: Consultation, question_id: int) -> None:
    if consultation.status != ConsultationStatus.DRAFT:
        raise DomainError(ConsultationRefusal.NOT_A_DRAFT)
    question = next((q for q in consultation.questions if q.id == question_id), None)
    if question is None:
        raise DomainError(ConsultationRefusal.UNKNOWN_QUESTION)
    consultation.questions.remove(question)
    db.session.flush()
    # Close the gap so that positions stay 1..n (the unique constraint is on (consultation, position)).
    for number, remaining in enumerate(sorted(consultation.questions, key=lambda q: q.position), start=1):
        if remaining.position != number:
            remaining.position = number
            db.session.flush()
    audit.record(actor, "consultation.question_remove", consultation, **consultation.audit_scope, question=question_id)


def submission_problems(consultation: Consultation, now: datetime) -> list[ConsultationRefusal]:
    """What a draft still lacks before it can be submitted for approval."""
    problems = []
    if not consultation.title:
        problems.append(ConsultationRefusal.TITLE_MISSING)
    if not consultation.proposal:
        problems.append(ConsultationRefusal.PROPOSAL_MISSING)
    if consultation.closes_at <= now:
        problems.append(ConsultationRefusal.CLOSES_IN_THE_PAST)
    return problems


def submit(actor, consultation: Consultation, now: datetime | None = None) -> None:
    """Send the draft to the moderators of its authority for approval."""
    now = now or utcnow()
    problems = submission_problems(consultation, now)
    if consultation.status == ConsultationStatus.DRAFT and problems:
        raise DomainError(problems[0])
    consultation.submit(now)
    db.session.flush()
    audit.record(actor, "consultation.submit", consultation, **consultation.audit_scope)
    events.emit("consultation.submitted", consultation, actor)


def approve(actor, consultation: Consultation, now: datetime | None = None) -> None:
    """A moderator approves it: it opens at its opening time. Prepares its tallies."""
    now = now or utcnow()
    consultation.approve(getattr(actor, "id", None), now)
    responses.prepare_tallies(consultation)
    db.session.flush()
    audit.record(actor, "consultation.approve", consultation, **consultation.audit_scope)
    events.emit("consultation.approved", consultation, actor)
    if consultation.phase(now) == Phase.OPEN:  # opening later: announced then (notifications' schedule)
        events.emit("consultation.opened", consultation, actor)


def send_back(actor, consultation: Consultation, reason: str) -> None:
    """A moderator returns it to its authors as a draft, saying why. Refuses with REASON_REQUIRED,
    NOT_SUBMITTED."""
    reason = nfc(reason)
    if not reason:
        raise DomainError(ConsultationRefusal.REASON_REQUIRED)
    consultation.send_back(reason)
    db.session.flush()
    audit.record(actor, "consultation.send_back", consultation, **consultation.audit_scope, reason=reason)
    events.emit("consultation.sent_back", consultation, actor, reason=reason)


def discard_draft(actor, consultation: Consultation) -> None:
    """Delete a draft (never approved: nobody but its authors and the moderators saw it), with
    its questions. Refuses anything else (NOT_A_DRAFT). Audited, with its title."""
    if consultation.status != ConsultationStatus.DRAFT:
        raise DomainError(ConsultationRefusal.NOT_A_DRAFT)
    audit.record(actor, "consultation.discard", consultation, **consultation.audit_scope, title=consultation.title)
    events.emit("consultation.discarded", consultation, actor)
    db.session.delete(consultation)
    db.session.flush()


def close_early(actor, consultation: Consultation, reason: str, now: datetime | None = None) -> None:
    reason = nfc(reason)
    if not reason:
        raise DomainError(ConsultationRefusal.REASON_REQUIRED)
    consultation.close_early(now or utcnow(), reason)
    db.session.flush()
    audit.record(actor, "consultation.close", consultation, **consultation.audit_scope, reason=reason)


# --- managing: the lists and the outcome ----------------------------------------------------

OUTCOME_TEXT_MAX = 20_000


THEME_TITLE_MAX = 200


MAX_THEMES = 8


@dataclass
class ConsultationWork:
    """What waits for the people who run one owner's consultations: drafts (and the drafts a
    moderator sent back), those awaiting approval, those closed without an outcome (and, of these,
    the ones whose outcome is overdue)."""

    drafts: int = 0
    sent_back: int = 0
    submitted: int = 0
    closed_without_outcome: int = 0
    outcome_overdue: int = 0


def work_by_owner(school_ids, authority_ids, now: datetime) -> dict[tuple[str, int], ConsultationWork]:
    """For each school of `school_ids` ("school", id) and authority of `authority_ids`
    ("authority", id), the consultations it owns that wait for its staff. One aggregate query,
    whatever the number of owners; the phases are the model's rules."""
    found = {("school", i): ConsultationWork() for i in school_ids}
    found |= {("authority", i): ConsultationWork() for i in authority_ids}
    if not found:
        return found
    rows = db.session.execute(
        _work_by_owner_query(),
        {
            "school_ids": list(school_ids),
            "authority_ids": list(authority_ids),
            "now": now,
            "closed_before": now - timedelta(days=outcome_due_days()),
        },
    )
    for school_id, authority_id, *numbers in rows:
        key = ("school", school_id) if school_id is not None else ("authority", authority_id)
        if key in found:
            found[key] = ConsultationWork(*numbers)
    return found


@functools.cache
def _work_by_owner_query() -> Select:
    # Built once and run with its owners and times (_consultation_query says why): /me builds it
    # for staff on every visit, and its five conditions were a fifth of the page for fifty schools.
    now = bindparam("now")

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (
        select(
            Consultation.school_id,
            Consultation.authority_id,
            counted(Consultation.in_phase(Phase.DRAFT, now)),
            counted(Consultation.in_phase(Phase.SENT_BACK, now)),
            counted(Consultation.in_phase(Phase.SUBMITTED, now)),
            counted(Consultation.in_phase(Phase.CLOSED, now)),
            counted(Consultation.outcome_due_before(now, bindparam("closed_before"))),
        )
        .where(
            or_(
                Consultation.school_id.in_(bindparam("school_ids", expanding=True)),
                Consultation.authority_id.in_(bindparam("authority_ids", expanding=True)),
            )
        )
        .group_by(Consultation.school_id, Consultation.authority_id)
    )


def outcome_due_days() -> int:
    """Within how many days of closing an outcome is due (PORTAL_OUTCOME_DAYS); later, the
    pages mark it overdue."""
    return int(current_app.config.get("PORTAL_OUTCOME_DAYS", 30)) if has_app_context() else 30


def consultations_of(*, school: School | None = None, authority: Authority | None = None) -> list[Consultation]:
    """Every consultation of the school (or of the authority itself, not its schools'), whatever
    its status, newest first: for their management pages."""
    owner = Consultation.school_id == school.id if school is not None else Consultation.authority_id == authority.id
    return list(
        db.session.scalars(
            select(Consultation).where(owner).order_by(Consultation.created_at.desc(), Consultation.id.desc())
        )
    )


def response_counts(consultations: list[Consultation]) -> dict[int, dict[ResponseState, int]]:
    """{consultation id: {state: how many responses}} for a list, in one query."""
    ids = [consultation.id for consultation in consultations]
    counts: dict[int, dict[ResponseState, int]] = {ident: {} for ident in ids}
    if ids:
        rows = db.session.execute(
            select(Response.consultation_id, Response.state, func.count())
            .where(Response.consultation_id.in_(ids))
            .group_by(Response.consultation_id, Response.state)
        ).all()
        for ident, state, count in rows:
            counts[ident][ResponseState(state)] = count
    return counts


def published_outcome(consultation_id: int) -> Consultation | None:
    """A consultation whose outcome is published (what an archived outcome PDF records)."""
    consultation = consultation_by_id(consultation_id)
    if consultation is None or consultation.status != ConsultationStatus.OUTCOME_PUBLISHED:
        return None
    return consultation


def _clean_themes(themes, most: int) -> list[tuple[str, int]]:
    cleaned = []
    for title, count in themes or []:
        title = nfc(title)
        if not title and count in (None, ""):
            continue  # an empty row of the form
        if not title or len(title) > THEME_TITLE_MAX:
            raise DomainError(ConsultationRefusal.THEME_TITLE)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DomainError(ConsultationRefusal.THEME_COUNT)
        if count > most:
            raise DomainError(ConsultationRefusal.THEME_COUNT_TOO_HIGH)
        cleaned.append((title, count))
    if len(cleaned) > MAX_THEMES:
        raise DomainError(ConsultationRefusal.TOO_MANY_THEMES)
    return cleaned


def outcome_pdf_context(
    consultation: Consultation, *, heard: str, changes: str, themes: list[tuple[str, int]], published_on
) -> dict:
    """The plain data the outcome's PDF is rendered from (CONVENTIONS.md §8): who consulted on
    what and when, who took part (published responses, by stance and by choice), the themes
    heard, what was heard and what changes, and the published decisions that answer it."""
    counts = responses.results(consultation)
    return {
        "lang": "zh-CN",
        "title": consultation.title,
        "owner_name": owner_name(consultation, "zh"),
        "summary": consultation.summary,
        "opens_on": local_date(consultation.opens_at),
        "closed_on": local_date(consultation.closed_at),
        "closed_early": consultation.closed_early_at is not None,
        "close_reason": consultation.close_reason,
        "published_on": published_on,
        "audience": consultation.audience.value,
        "verified_parents": verified_parent_count(consultation) if consultation.audience == Audience.PARENTS else None,
        "responses": counts.published,
        "stances": {stance.value: count for stance, count in counts.stances},
        "choice_results": [
            {"prompt": question.prompt, "choices": [{"choice": choice, "count": count} for choice, count in choices]}
            for question, choices in counts.questions
        ],
        "themes": [{"title": title, "count": count} for title, count in themes],
        "heard_html": str(render_markdown(heard)),
        "changes_html": str(render_markdown(changes)),
        "decisions": [
            {"number": decision.number, "title": decision.title} for decision in consultation.answering_decisions
        ],
        "verify_url": verify_url(),
        "fingerprint": body_fingerprint(f"{heard}\n\n{changes}"),
    }


def publish_outcome(actor, consultation: Consultation, data: dict, now: datetime | None = None) -> Consultation:
    """Publish the "you said, we did" report of a closed consultation, in one step: render its
    PDF, archive it (signed, stored by SHA-256, logged), record the outcome and its themes on the
    consultation and write the audit event "consultation.outcome_publish" — all in the caller's
    transaction. Reads `heard`, `changes` (Markdown) and `themes` ([(title, count)], a count at
    most the number of published responses) from `data`. Refuses with OUTCOME_PUBLISHED,
    NOT_CLOSED, HEARD_MISSING, CHANGES_MISSING, OUTCOME_TOO_LONG, THEME_TITLE, THEME_COUNT,
    THEME_COUNT_TOO_HIGH, TOO_MANY_THEMES — or raises whatever rendering, signing or storing
    raised; the caller then rolls back and nothing has changed."""
    now = now or utcnow()
    if consultation.status == ConsultationStatus.OUTCOME_PUBLISHED:
        raise DomainError(ConsultationRefusal.OUTCOME_PUBLISHED)
    if consultation.phase(now) != Phase.CLOSED:
        raise DomainError(ConsultationRefusal.NOT_CLOSED)
    heard, changes = nfc(data.get("heard")), nfc(data.get("changes"))
    if not heard:
        raise DomainError(ConsultationRefusal.HEARD_MISSING)
    if not changes:
        raise DomainError(ConsultationRefusal.CHANGES_MISSING)
    if len(heard) > OUTCOME_TEXT_MAX or len(changes) > OUTCOME_TEXT_MAX:
        raise DomainError(ConsultationRefusal.OUTCOME_TOO_LONG)
    themes = _clean_themes(data.get("themes"), responses.results(consultation).published)

    context = outcome_pdf_context(
        consultation, heard=heard, changes=changes, themes=themes, published_on=local_date(now)
    )
    pdf = render.render_pdf("outcome", context)
    document = archive_pdf(
        actor,
        kind=DocumentKind.OUTCOME,
        object_type="outcome",
        object_id=consultation.id,
        pdf_bytes=pdf,
        school_id=consultation.school_id,
        text_sha256=context["fingerprint"],
    )
    consultation.publish_outcome(now, heard=heard, changes=changes, document_sha256=document.sha256)
    consultation.themes = [
        OutcomeTheme(position=position, title=title, count=count)
        for position, (title, count) in enumerate(themes, start=1)
    ]
    db.session.flush()
    audit.record(
        actor,
        "consultation.outcome_publish",
        consultation,
        **consultation.audit_scope,
        sha256=document.sha256,
        themes=len(themes),
        decisions=[decision["number"] for decision in context["decisions"]],
    )
    events.emit("consultation.outcome_published", consultation, actor)
    return consultation


def authority_by_id(authority_id: int) -> Authority | None:
    """The authority at /authorities/<id>/..., or None (also for ids no database holds)."""
    return db.session.get(Authority, authority_id)


def outcome_document(consultation: Consultation):
    """The archived PDF of the outcome report, or None (not published, or published without one)."""
    if consultation.status != ConsultationStatus.OUTCOME_PUBLISHED or not consultation.outcome_document_sha256:
        return None
    return find_by_sha256(consultation.outcome_document_sha256)
