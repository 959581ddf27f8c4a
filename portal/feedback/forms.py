"""Forms of the suggestion box: sending feedback, and the school's reply and status changes."""

import re
import secrets

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation

from portal.feedback.models import FEEDBACK_BODY_MAX, REPLY_BODY_MAX, FeedbackCategory, FeedbackStatus
from portal.forms import PortalForm, one_of_the_choices, too_long

CATEGORY_UNKNOWN = _l("Please choose what your feedback is about.")
STATUS_UNKNOWN = _l("Choose one of the statuses offered.")
VISIBILITY_UNKNOWN = _l("Choose who may read the reply.")

_TOKEN = re.compile(r"[0-9a-f]{32}")


def new_submission_token() -> str:
    """A fresh token for one feedback form: however often that form is sent (two clicks, a
    retried request, the back button), it makes one item."""
    return secrets.token_hex(16)


def is_submission_token(value) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


class FeedbackForm(PortalForm):
    category = SelectField(
        _l("Topic"),
        choices=[SelectChoice("", _l("Choose a topic")), *(SelectChoice(c.value, c.label) for c in FeedbackCategory)],
        validate_choice=False,
        validators=[DataRequired(message=CATEGORY_UNKNOWN), one_of_the_choices(CATEGORY_UNKNOWN)],
    )
    body = TextAreaField(
        _l("Your feedback"),
        validators=[
            DataRequired(message=_l("Please write your feedback.")),
            Length(max=FEEDBACK_BODY_MAX, message=too_long(FEEDBACK_BODY_MAX)),
        ],
        description=_l(
            "What happened or what you suggest, and what you would like the school to do. At most %(max)d characters.",
            max=FEEDBACK_BODY_MAX,
        ),
        render_kw={"rows": 8, "maxlength": FEEDBACK_BODY_MAX},
    )
    private = BooleanField(
        _l("Keep it private"),
        description=_l(
            "Only the school's board and administrators will read it, and their answer is shown only to you. "
            "Otherwise the school may show your feedback and its answer on its page, never with your name."
        ),
    )
    # Written into the form when it is shown; see new_submission_token().
    submission_token = HiddenField()


def _visibility(form, field):
    """Not sent (the item is private, so the choice is not offered): private. Anything else but
    the two choices is refused."""
    if field.data in (None, ""):
        field.data = "private"
    elif field.data not in {choice.value for choice in field.choices}:
        raise StopValidation(VISIBILITY_UNKNOWN)


class ReplyForm(PortalForm):
    reply = TextAreaField(
        _l("Reply"),
        validators=[
            DataRequired(message=_l("Please write the reply.")),
            Length(max=REPLY_BODY_MAX, message=too_long(REPLY_BODY_MAX)),
        ],
        render_kw={"rows": 6, "maxlength": REPLY_BODY_MAX},
    )
    visibility = RadioField(
        _l("Who may read it"),
        choices=[
            SelectChoice("private", _l("Only the sender")),
            SelectChoice(
                "public",
                _l("Everyone: it may be shown on the school's page with the feedback, without the sender's name"),
            ),
        ],
        default="private",
        validate_choice=False,
        validators=[_visibility],
    )
    mark_answered = BooleanField(_l("This answers the feedback: mark it as answered"), default=True)


def _known_status(form, field):
    if field.data not in {status.value for status in FeedbackStatus}:
        raise StopValidation(STATUS_UNKNOWN)


class StatusForm(PortalForm):
    """One button per status the item may move to (`status`), and the status the page showed
    (`current`): if someone changed it meanwhile, the change is refused rather than applied blind."""

    status = HiddenField(validators=[_known_status])
    current = HiddenField(validators=[_known_status])
