"""The form of the suggestion box's public page: sending feedback. (The school's reply and status
changes are in manage_forms.py.)"""

import re
import secrets

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired

from portal.feedback.models import FEEDBACK_BODY_MAX, FeedbackCategory
from portal.forms import AtMost, PortalForm, one_of_the_choices

CATEGORY_UNKNOWN = _l("Please choose what your feedback is about.")

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
            AtMost(FEEDBACK_BODY_MAX),
        ],
        description=_l(
            "What happened or what you suggest, and what you would like the school to do. At most %(max)s characters.",
            max=f"{FEEDBACK_BODY_MAX:,}",
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
