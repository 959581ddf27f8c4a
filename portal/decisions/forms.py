"""Forms for drafting and publishing decisions."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Optional, StopValidation

from portal.decisions.models import DECISION_BODY_MAX, DECISION_TITLE_MAX, DecisionRefusal
from portal.forms import AtMost, DayField, PortalForm, in_year_range, int_or_none, text_field
from portal.text import typed_number

MAX_VOTES = 999
VOTES_INVALID = _l("Enter a whole number of votes from 0 to %(max)d.", max=MAX_VOTES)


class VotesField(IntegerField):
    """A number of votes: empty is 0; anything that is not a whole number keeps what was typed
    and gets a translated message (WTForms' own is English only)."""

    def process_formdata(self, valuelist):
        if valuelist and not " ".join(valuelist).strip():
            self.data = 0
            return
        number = typed_number(valuelist[0] if valuelist else "", max_digits=3)  # full-width ２ too
        if number is not None:
            self.data = number
        else:
            self.data = None
            self.raw_data = valuelist
            raise ValueError(VOTES_INVALID)


def listed_or_empty(message):
    """An optional choice: empty, or one of the field's choices (a forged id gets `message`)."""

    def check(form, field):
        if field.data is None and (field.raw_data or [""])[0].strip():
            raise StopValidation(message)
        if field.data is not None and field.data not in {choice.value for choice in field.choices}:
            raise StopValidation(message)

    return check


def _optional_choice(label, message, **kwargs):
    return SelectField(
        label, coerce=int_or_none, validate_choice=False, validators=[listed_or_empty(message)], **kwargs
    )


def _within_votes(form, field):
    if field.process_errors:  # what was typed is not a number: that message says so already
        raise StopValidation()
    if field.data is not None and not 0 <= field.data <= MAX_VOTES:
        raise StopValidation(VOTES_INVALID)


def _votes(label):
    return VotesField(label, default=0, validators=[_within_votes], render_kw={"inputmode": "numeric", "size": 4})


class DecisionForm(PortalForm):
    title = text_field(
        _l("Title of the decision"), DECISION_TITLE_MAX, required_message=_l("Please enter the decision's title.")
    )
    body = TextAreaField(
        _l("Text of the decision"),
        validators=[Optional(), AtMost(DECISION_BODY_MAX)],
        description=_l(
            "Markdown: a blank line between paragraphs, “1.” for numbered points. It is printed in the PDF as written."
        ),
        render_kw={"rows": 14, "maxlength": DECISION_BODY_MAX},
    )
    meeting_id = _optional_choice(_l("Meeting at which it was decided"), DecisionRefusal.UNKNOWN_MEETING.message)
    votes_for = _votes(_l("Votes for"))
    votes_against = _votes(_l("Votes against"))
    votes_abstain = _votes(_l("Abstentions"))
    effective_on = DayField(
        _l("Takes effect on (optional)"),
        validators=[Optional(), in_year_range],
        description=_l("Leave empty if it takes effect on the day it is published."),
    )
    replaces_how = SelectField(
        _l("Effect on an earlier decision"),
        choices=[SelectChoice("supersedes", _l("Supersedes it")), SelectChoice("revokes", _l("Revokes it"))],
        validate_choice=False,
        validators=[Optional()],
    )
    replaces_id = _optional_choice(_l("Earlier decision (optional)"), DecisionRefusal.UNKNOWN_TARGET.message)
    charter_version_id = _optional_choice(
        _l("Adopts a charter version (optional)"),
        DecisionRefusal.UNKNOWN_CHARTER_VERSION.message,
        description=_l("A draft version is adopted when this decision is published."),
    )
    consultation_id = _optional_choice(
        _l("Answers a consultation (optional)"),
        DecisionRefusal.UNKNOWN_CONSULTATION.message,
        description=_l(
            "The consultation whose outcome this decision follows. "
            "Its outcome report lists the decision once both are published."
        ),
    )

    def validate_replaces_how(self, field):
        if field.data not in ("supersedes", "revokes"):
            field.data = "supersedes"  # a forged value: the harmless default, never stored as typed

    def draft_data(self) -> dict:
        """What the services take: the fields of a draft, nothing else that was posted."""
        return {
            "title": self.title.data,
            "body": self.body.data or "",
            "meeting_id": self.meeting_id.data,
            "votes_for": self.votes_for.data or 0,
            "votes_against": self.votes_against.data or 0,
            "votes_abstain": self.votes_abstain.data or 0,
            "effective_on": self.effective_on.data,
            "replaces_id": self.replaces_id.data,
            "replaces_how": self.replaces_how.data,
            "charter_version_id": self.charter_version_id.data,
            "consultation_id": self.consultation_id.data,
        }


class PublishForm(PortalForm):
    confirm = BooleanField(
        _l(
            "I confirm that this text, vote and meeting are what the board decided. "
            "Once published, the decision can never be changed or deleted."
        ),
        validators=[DataRequired(message=_l("Tick the box to confirm before publishing."))],
    )


class DiscardForm(PortalForm):
    # Not "confirm": the page's publish form has that field, and ids are unique on a page.
    confirm_delete = BooleanField(
        _l("I confirm that this draft is to be deleted. It cannot be brought back."),
        validators=[DataRequired(message=_l("Tick the box to confirm before deleting the draft."))],
    )


class DecisionTextForm(PortalForm):
    """The text alone, for its preview as it is typed: the same field, the same limit."""

    body = DecisionForm.body
