"""Moderation's forms: reporting a response (anyone), and the moderators' actions on a response,
on a consultation, in bulk, and blocking an author."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, StopValidation

from portal.consultations.models import REASON_MAX as CONSULTATION_REASON_MAX
from portal.forms import AtMost, PortalForm
from portal.moderation.models import BLOCK_REASON_MAX, REASON_MAX, STANDARD_REASONS
from portal.moderation.services import RESPONSE_ACTIONS, ModerationRefusal

# The reasons moderators give most often (portal.moderation.models); "other" (or any text)
# needs the details.
REASON_MISSING = ModerationRefusal.REASON_REQUIRED.message
ACTION_UNKNOWN = ModerationRefusal.UNKNOWN_ACTION.message

CONSULTATION_ACTIONS = ("approve", "send_back")
BLOCK_DURATIONS = {"1": 1, "7": 7, "30": 30, "permanent": None}


class ReasonMixin:
    def given_reason(self) -> str:
        """The reason as stored: the standard reason's key (shown in each reader's language, see
        moderation.models.reason_label), and the details after it."""
        chosen = (self.reason.data or "").strip()
        detail = (self.reason_detail.data or "").strip()
        key = chosen if chosen in STANDARD_REASONS else ("" if chosen == "other" else chosen)
        return f"{key}: {detail}" if key and detail else (key or detail)


class ResponseActionForm(ReasonMixin, PortalForm):
    action = HiddenField(validators=[DataRequired(message=ACTION_UNKNOWN)])
    # The state the moderator saw: an action on a response that changed since is refused (409).
    expected = HiddenField()
    reason = StringField(_l("Reason"), validators=[AtMost(REASON_MAX)])
    reason_detail = TextAreaField(
        lazy_pgettext("moderation reason", "Details"),
        validators=[AtMost(REASON_MAX)],
        render_kw={"rows": 2},
    )

    def validate_action(self, field):
        if field.data not in RESPONSE_ACTIONS:
            raise StopValidation(ACTION_UNKNOWN)

    def validate_reason(self, field):
        if self.action.data in ("reject", "hide") and not self.given_reason():
            raise StopValidation(REASON_MISSING)


class ConsultationActionForm(PortalForm):
    action = HiddenField(validators=[DataRequired(message=ACTION_UNKNOWN)])
    reason = TextAreaField(
        _l("What the school should change"),
        validators=[AtMost(CONSULTATION_REASON_MAX)],
        render_kw={"rows": 2},
    )

    def validate_action(self, field):
        if field.data not in CONSULTATION_ACTIONS:
            raise StopValidation(ACTION_UNKNOWN)

    def validate_reason(self, field):
        if self.action.data == "send_back" and not (field.data or "").strip():
            raise StopValidation(_l("Write what the school should change."))  # nothing to choose from here


class BulkApproveForm(PortalForm):
    pass  # the ids are read as a list of integers from `response_id`


class BlockForm(PortalForm):
    days = SelectField(
        _l("For how long"),
        choices=[
            SelectChoice("1", _l("1 day")),
            SelectChoice("7", _l("7 days")),
            SelectChoice("30", _l("30 days")),
            SelectChoice("permanent", _l("Until lifted")),
        ],
        validate_choice=True,
    )
    reason = TextAreaField(
        _l("Reason (the person is told)"),
        validators=[
            DataRequired(message=ModerationRefusal.BLOCK_REASON_REQUIRED.message),
            AtMost(BLOCK_REASON_MAX),
        ],
        render_kw={"rows": 2},
    )


class UnblockForm(PortalForm):
    pass


class ReportForm(PortalForm):
    reason = TextAreaField(
        _l("What is wrong with this response?"),
        validators=[DataRequired(message=_l("Please say why.")), AtMost(REASON_MAX)],
        description=_l(
            "For example: insults, personal data, advertising. "
            "The moderators read it; the author does not see who reported it. At most %(max)s characters.",
            max=f"{REASON_MAX:,}",
        ),
        render_kw={"rows": 3},
    )
