"""Forms of the school's inbox: replying to feedback and moving it on. (The form that sends
feedback is in forms.py.)"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, StopValidation

from portal.feedback.models import REPLY_BODY_MAX, FeedbackStatus
from portal.forms import AtMost, PortalForm

STATUS_UNKNOWN = _l("Choose one of the statuses offered.")
VISIBILITY_UNKNOWN = _l("Choose who may read the reply.")


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
            AtMost(REPLY_BODY_MAX),
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
