"""Forms for managing consultations: the details of a draft, its questions, closing it early
and its outcome. (The forms of the public pages, responding and moderating, are in forms.py.)"""

from datetime import date, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, StopValidation

from portal.clock import local_date, local_time, local_to_utc
from portal.consultations.models import (
    CHOICE_MAX,
    MAX_CHOICES,
    PROPOSAL_MAX,
    QUESTION_PROMPT_MAX,
    REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Audience,
    ModerationMode,
    QuestionKind,
)
from portal.consultations.services import MAX_THEMES, OUTCOME_TEXT_MAX, THEME_TITLE_MAX
from portal.forms import AtMost, ClockField, DayField, PortalForm, Required, choice_field, in_year_range, text_field
from portal.text import typed_number

# A new draft opens a week from today (time enough for the moderators' approval) and stays open
# four weeks: the defaults of the form, which the school changes as it likes.
DEFAULT_OPENS_IN_DAYS = 7
DEFAULT_OPEN_DAYS = 28
DEFAULT_OPENS_AT = time(8, 0)
DEFAULT_CLOSES_AT = time(18, 0)

CLOSES_BEFORE_OPENING = _l("The consultation must close after it opens.")


def _long_text(label, max_length, *, required_message=None, description=None, rows=10):
    validators = [DataRequired(message=required_message)] if required_message else [Optional()]
    validators.append(AtMost(max_length))
    return TextAreaField(
        label,
        validators=validators,
        description=description,
        render_kw={"rows": rows, "maxlength": max_length},
    )


class ConsultationForm(PortalForm):
    """The details of a draft. The dates are typed on the schools' clock (Beijing time) and
    stored in UTC."""

    title = text_field(
        _l("Title of the consultation"),
        TITLE_MAX,
        required_message=_l("Please enter the consultation's title."),
        description=_l("What people are asked about, such as 关于调整课后服务时间的意见征集."),
    )
    summary = _long_text(
        _l("Summary (optional)"),
        SUMMARY_MAX,
        description=_l("Two or three sentences shown in lists and at the top of the consultation's page."),
        rows=3,
    )
    proposal = _long_text(
        _l("The proposal"),
        PROPOSAL_MAX,
        description=_l(
            "In Markdown: a blank line between paragraphs, a line starting with ## is a heading, "
            "a line starting with - is a list item. It is needed before the draft can be submitted."
        ),
        rows=14,
    )
    audience = choice_field(_l("Who may respond"), Audience, _l("Please choose who may respond."))
    moderation = choice_field(
        _l("Moderation"),
        ModerationMode,
        _l("Please choose how responses are moderated."),
        default=ModerationMode.PRE.value,
    )
    opens_on = DayField(
        _l("Opens on"), validators=[Required(message=_l("Please enter the day it opens.")), in_year_range]
    )
    opens_time = ClockField(
        _l("Opening time (Beijing time)"),
        default=DEFAULT_OPENS_AT,
        validators=[Required(message=_l("Please enter the time it opens."))],
    )
    closes_on = DayField(
        _l("Closes on"), validators=[Required(message=_l("Please enter the day it closes.")), in_year_range]
    )
    closes_time = ClockField(
        _l("Closing time (Beijing time)"),
        default=DEFAULT_CLOSES_AT,
        validators=[Required(message=_l("Please enter the time it closes."))],
    )

    @classmethod
    def for_new(cls, today: date):
        """An empty draft's form, with the default dates filled in."""
        opens = today + timedelta(days=DEFAULT_OPENS_IN_DAYS)
        return cls(formdata=None, opens_on=opens, closes_on=opens + timedelta(days=DEFAULT_OPEN_DAYS))

    @classmethod
    def for_consultation(cls, consultation):
        return cls(
            formdata=None,
            obj=consultation,
            audience=consultation.audience.value,
            moderation=consultation.moderation.value,
            opens_on=local_date(consultation.opens_at),
            opens_time=local_time(consultation.opens_at),
            closes_on=local_date(consultation.closes_at),
            closes_time=local_time(consultation.closes_at),
        )

    def validate_closes_on(self, field):
        if self.errors_in("opens_on", "opens_time", "closes_on", "closes_time"):
            return
        if (field.data, self.closes_time.data) <= (self.opens_on.data, self.opens_time.data):
            raise StopValidation(CLOSES_BEFORE_OPENING)

    def errors_in(self, *names) -> bool:
        return any(self[name].errors or self[name].process_errors or self[name].data is None for name in names)

    def details(self) -> dict:
        """What the services take: the details of a draft, nothing else that was posted."""
        return {
            "title": self.title.data,
            "summary": self.summary.data or "",
            "proposal": self.proposal.data or "",
            "audience": self.audience.data,
            "moderation": self.moderation.data,
            "opens_at": local_to_utc(self.opens_on.data, self.opens_time.data),
            "closes_at": local_to_utc(self.closes_on.data, self.closes_time.data),
        }


class QuestionForm(PortalForm):
    kind = SelectField(
        _l("Kind of question"),
        choices=[SelectChoice(kind.value, kind.label) for kind in QuestionKind],
        default=QuestionKind.TEXT.value,
        validate_choice=False,
    )
    prompt = text_field(_l("Question"), QUESTION_PROMPT_MAX, required_message=_l("Please enter the question."))
    choices = TextAreaField(
        _l("Choices (for choice questions)"),
        description=_l("One choice a line, from 2 to %(max)d choices.", max=MAX_CHOICES),
        render_kw={"rows": 4},
    )

    def validate_kind(self, field):
        if field.data not in {kind.value for kind in QuestionKind}:
            raise StopValidation(_l("Please choose what kind of question this is."))

    def validate_choices(self, field):
        if self.kind.data == QuestionKind.TEXT.value:
            return
        lines = self.choice_list()
        if len(lines) < 2:
            raise StopValidation(_l("A choice question needs at least 2 choices, one a line."))
        if len(lines) > MAX_CHOICES:
            raise StopValidation(_l("A question can have at most %(max)d choices.", max=MAX_CHOICES))
        if any(len(line) > CHOICE_MAX for line in lines):
            raise StopValidation(_l("Each choice can have at most %(max)d characters.", max=CHOICE_MAX))
        if len(set(lines)) != len(lines):
            raise StopValidation(_l("Each choice may appear only once."))

    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def question(self) -> dict:
        return {"kind": self.kind.data, "prompt": self.prompt.data, "choices": self.choice_list()}


class ConfirmForm(PortalForm):
    """A button that changes something and needs nothing but the CSRF token (submitting)."""


class DiscardForm(PortalForm):
    confirm_delete = BooleanField(
        _l("I confirm that this draft is to be deleted. It cannot be brought back."),
        validators=[DataRequired(message=_l("Tick the box to confirm before deleting the draft."))],
    )


class CloseForm(PortalForm):
    reason = TextAreaField(
        _l("Why it closes early"),
        validators=[
            DataRequired(message=_l("Please say why the consultation closes early.")),
            AtMost(REASON_MAX),
        ],
        description=_l("Shown on the consultation's page. Responses are no longer accepted once it is closed."),
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )


class CountField(StringField):
    """How many responses raised a theme: a whole number, or empty on an unused row. What was
    typed is kept; full-width digits (２) are read as digits."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip()

    @property
    def number(self) -> int | None:
        return typed_number(self.data or "", max_digits=8)


class OutcomeForm(PortalForm):
    """What was heard, the themes with how many responses raised each (THEME_ROWS rows; empty
    rows are ignored), and what changes. The view sets `most`, the number of published
    responses, before validating."""

    heard = _long_text(
        _l("What we heard"),
        OUTCOME_TEXT_MAX,
        required_message=_l("Please say what you heard."),
        description=_l("A fair summary of the responses, for and against. Markdown, as in the proposal."),
    )
    changes = _long_text(
        _l("What changes"),
        OUTCOME_TEXT_MAX,
        required_message=_l("Please say what changes as a result, or why nothing does."),
        description=_l("What the school will do differently, and when; or why the proposal goes ahead unchanged."),
    )
    confirm = BooleanField(
        _l(
            "I confirm that this is the outcome to publish. "
            "Once published, the report and its PDF can never be changed."
        ),
        validators=[DataRequired(message=_l("Tick the box to confirm before publishing."))],
    )
    most = 0

    def theme_rows(self):
        """[(title field, count field)] for each row of the themes table."""
        return [(self[f"theme_{n}_title"], self[f"theme_{n}_count"]) for n in range(1, MAX_THEMES + 1)]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for title, count in self.theme_rows():
            if title.errors or count.errors:
                valid = False
                continue
            if not title.data and not count.data:
                continue
            if not title.data:
                title.errors.append(_l("Name the theme, or leave its count empty."))
            elif not count.data:
                count.errors.append(_l("Enter how many responses raised this theme."))
            elif count.number is None or count.number > self.most:
                count.errors.append(
                    _("Enter a whole number from 0 to %(max)d, the number of published responses.", max=self.most)
                )
            else:
                continue
            valid = False
        return valid

    def outcome(self) -> dict:
        return {
            "heard": self.heard.data,
            "changes": self.changes.data,
            "themes": [(title.data, count.number) for title, count in self.theme_rows() if title.data],
        }


for _n in range(1, MAX_THEMES + 1):
    setattr(
        OutcomeForm,
        f"theme_{_n}_title",
        text_field(_l("Theme %(n)d", n=_n), THEME_TITLE_MAX, render_kw={"autocomplete": "off"}),
    )
    setattr(
        OutcomeForm,
        f"theme_{_n}_count",
        CountField(
            _l("Responses that raised theme %(n)d", n=_n),
            render_kw={"inputmode": "numeric", "size": 5, "maxlength": 8, "autocomplete": "off"},
        ),
    )
