"""The supervisor's answer, a sender's request for review, and a district assigning a supervisor."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Optional, StopValidation

from portal.accounts.forms import email_field
from portal.accounts.models import PUBLIC_CONTACT_MAX
from portal.forms import AtMost, DayField, PortalForm, in_year_range, text_field
from portal.supervision.models import ANSWER_MAX, REASON_MAX


class AnswerForm(PortalForm):
    answer = TextAreaField(
        _l("Your answer to the sender"),
        validators=[
            DataRequired(message=_l("Please write your answer.")),
            AtMost(ANSWER_MAX),
        ],
        render_kw={"rows": 6, "maxlength": ANSWER_MAX},
    )
    public = BooleanField(_l("Public: it may be shown with the feedback, without the sender's name"))
    answer_by = DayField(
        _l("Direct the school to answer by (optional)"),
        validators=[Optional(), in_year_range],
        description=_l("The school is told, and the day is shown on the item."),
    )


class ReviewForm(PortalForm):
    reason = TextAreaField(
        _l("Why the answer does not satisfy you"),
        validators=[
            DataRequired(message=_l("Please say why the answer does not satisfy you.")),
            AtMost(REASON_MAX),
        ],
        description=_l(
            "The supervisor reads it with the school's answer. At most %(max)s characters.", max=f"{REASON_MAX:,}"
        ),
        render_kw={"rows": 4, "maxlength": REASON_MAX},
    )


SCHOOL_UNKNOWN = _l("Choose one of the schools of your area.")


def _one_of_the_schools(form, field):
    if field.data not in {value for value, _label in field.choices}:
        raise StopValidation(SCHOOL_UNKNOWN)


class AssignForm(PortalForm):
    school = SelectField(_l("School"), validate_choice=False, validators=[_one_of_the_schools])
    # Their account's address, or one that gets an invitation (the role waits for its account).
    email = email_field(
        _l("The supervisor's email address"),
        required_message=_l("Enter the supervisor's email address."),
        autocomplete="off",
    )
    public_contact = text_field(
        _l("Public contact"),
        PUBLIC_CONTACT_MAX,
        description=_l(
            "Shown on the school's page: an office phone or address. Not a personal phone unless they agree."
        ),
    )

    def __init__(self, *args, schools=(), language="zh", **kwargs):
        super().__init__(*args, **kwargs)
        self.school.choices = [(str(school.id), school.name(language)) for school in schools]
