"""The words of each notification, in the reader's language, from the plain values it keeps.

A value that has words of its own is kept as what it is and put into words when read: a school's
name in both languages ({"zh": ..., "en": ...}), a feedback status, a moderation reason, a date.
"""

from datetime import date, datetime

from flask_babel import format_date, format_time, get_locale, ngettext
from flask_babel import lazy_gettext as _l

from portal.feedback.models import FeedbackStatus
from portal.moderation.models import REPORTED, reason_label
from portal.text import quoted_inside

REPORTED_WORDS = _l("several people reported it; it stays hidden until a moderator decides")

TEXTS = {
    "feedback.sent": _l("New feedback %(reference)s to %(school)s."),
    "feedback.status_changed": _l("%(school)s marked your feedback %(reference)s “%(status)s”."),
    "feedback.answered": _l("%(school)s answered your feedback %(reference)s."),
    "feedback.replied": _l("%(school)s replied to your feedback %(reference)s."),
    "feedback.escalated": _l("Your feedback %(reference)s to %(school)s went to the school's responsible supervisor."),
    "feedback.escalated.supervisor": _l("Feedback %(reference)s to %(school)s was referred to you as its supervisor."),
    "feedback.supervisor_answered": _l(
        "The responsible supervisor answered your feedback %(reference)s to %(school)s."
    ),
    "feedback.supervisor_directed": _l(
        "The responsible supervisor asks %(school)s to answer feedback %(reference)s by %(date)s."
    ),
    "feedback.reminder": _l("Feedback %(reference)s to %(school)s has waited %(days)d working days for an answer."),
    "feedback.overdue": _l("Feedback %(reference)s to %(school)s is overdue: no answer within %(days)d working days."),
    "response.published": _l("Your response to “%(title)s” is published."),
    "response.rejected": _l("Your response to “%(title)s” was not published. Reason: %(reason)s"),
    "response.hidden": _l("Your response to “%(title)s” was hidden. Reason: %(reason)s"),
    "response.restored": _l("Your response to “%(title)s” is published again."),
    "response.unfinished": _l(
        "You started a response to “%(title)s” but have not sent it. The consultation closes on %(closes)s: "
        "what you typed is kept for you until then."
    ),
    "response.reported": _l(
        "A response to “%(title)s” was reported %(count)d times and is hidden until a moderator decides."
    ),
    "response.reported_held": _l(
        "A response to “%(title)s” was reported %(count)d times, mostly from accounts too new to hide it: "
        "it stays visible until a moderator decides."
    ),
    "consultation.submitted": _l("“%(title)s” by %(owner)s is waiting for approval."),
    "consultation.approved": _l("Your consultation “%(title)s” is approved."),
    "consultation.sent_back": _l("Your consultation “%(title)s” was sent back to you: %(reason)s"),
    "consultation.opened": _l("%(owner)s asks for your views on “%(title)s”, until %(closes)s."),
    "consultation.outcome_published": _l(
        "The outcome of “%(title)s” is published: what was heard and what changes. "
        "Decisions that answer it: %(decisions)s"
    ),
    "decision.published": _l("%(school)s published decision %(number)s: %(title)s"),
    "charter.adopted": _l("%(school)s adopted version %(number)d of its charter."),
    "minutes.approved": _l("The minutes of “%(title)s” (%(body)s, %(school)s) are approved."),
    "personal_data.export_failed": _l(
        "The copy of your data you asked for could not be prepared. "
        "Please ask for it again on the page “A copy of your data”."
    ),
    "moderation.waiting": _l("%(count)d items have waited more than 2 working days in the moderation queue."),
}


def reader_language() -> str:
    """ "zh" or "en": the language the words are being written in (a request's, or a mail's)."""
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


def in_words(name: str, value):
    """One value as the reader reads it."""
    if isinstance(value, dict) and "zh" in value:  # a name in both languages
        return value.get(reader_language()) or value["zh"]
    if name == "title" and isinstance(value, str) and reader_language() == "zh":
        return quoted_inside(value)  # the Chinese words set it in 《》
    if name == "status":
        return FeedbackStatus(value).label
    if name == "reason":
        return REPORTED_WORDS if value == REPORTED else reason_label(value)
    if name == "closes" and isinstance(value, str):  # to the minute, as the consultation's page says it
        moment = datetime.fromisoformat(value)
        return f"{format_date(moment, 'long')} {format_time(moment, 'short')}"
    if name == "date" and isinstance(value, str):
        return format_date(date.fromisoformat(value), "long")
    if name == "decisions" and isinstance(value, list):
        return ("、" if reader_language() == "zh" else ", ").join(str(number) for number in value) or "—"
    return value


def digest_subject(count: int) -> str:
    return ngettext("Your portal digest: %(num)d new item", "Your portal digest: %(num)d new items", count)


def words(event: str, params: dict) -> str:
    """What a notification of `event` says, in the current language."""
    values = {name: in_words(name, value) for name, value in (params or {}).items()}
    try:
        return str(TEXTS[event]) % values
    except (KeyError, TypeError, ValueError):  # an old notification missing a value: say what we can
        return str(TEXTS.get(event, event)).split("%")[0].strip() or event


def both_names(record) -> dict:
    """A school's or an authority's name in both languages, as notifications keep it."""
    name_zh = getattr(record, "name_zh", "") or ""
    name_en = getattr(record, "name_en", "") or name_zh
    return {"zh": name_zh, "en": name_en}
