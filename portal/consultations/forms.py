"""The forms of a consultation's public page: the response, built for each consultation's questions."""

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, SelectMultipleField, TextAreaField
from wtforms.validators import Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from portal.consultations.models import ANSWER_TEXT_MAX, RESPONSE_BODY_MAX, QuestionKind, Stance
from portal.forms import AtMost, PortalForm
from portal.text import nfc

STANCE_MISSING = _l("Choose whether you support the proposal, oppose it or are neutral.")
CHOICE_UNKNOWN = _l("Choose one of the options offered.")


# The limit as people read it (5,000), not as Python writes it (5000).
MAX_LENGTH_SHOWN = f"{RESPONSE_BODY_MAX:,}"


def characters(text: str | None) -> int:
    """The length that the limits count: characters (code points) after normalisation, so that
    the counter, the form and the service agree, and 5,000 Chinese characters are 5,000."""
    return len(nfc(text))


class ResponseTextForm(PortalForm):
    """A response is shown as typed, isolated in a block of its own (dir="auto"), so an
    override cannot reorder anything around it: bidirectional overrides are kept."""

    class Meta:
        allow_bidi_controls = True


def _listed(form, field):
    """A choice the form offers, or nothing; a forged value gets a message and is never stored."""
    offered = {choice.value for choice in field.choices}
    values = field.data if isinstance(field.data, list) else [field.data]
    if any(value not in (None, "") and value not in offered for value in values):
        raise StopValidation(CHOICE_UNKNOWN)


def _stance_given(form, field):
    if field.data not in {stance.value for stance in Stance}:
        raise StopValidation(STANCE_MISSING)


def body_field():
    return TextAreaField(
        _l("Your comments (optional)"),
        validators=[Optional(), AtMost(RESPONSE_BODY_MAX)],
        description=_l("What you think of the proposal and why. At most %(max)s characters.", max=MAX_LENGTH_SHOWN),
        # No maxlength (WTForms would add it from the Length rule): browsers cut a longer text
        # pasted in without a word, and count an emoji as two. The text is kept whole, the
        # counter says how much to cut, and the server refuses what is too long.
        render_kw={"rows": 8, "maxlength": False},
    )


class ResponseForm(ResponseTextForm):
    """Stance, comments and the name choice; response_form() adds one field per question."""

    stance = RadioField(
        _l("Your view of the proposal"),
        choices=[SelectChoice(stance.value, stance.label) for stance in Stance],
        validate_choice=False,
        validators=[_stance_given],
    )
    body = body_field()
    show_name = BooleanField(
        _l("Show my display name with my response"),
        description=_l("Otherwise it is shown as “Anonymous”. The school and the moderators always know who wrote it."),
    )

    def question_fields(self):
        """(question, field) for each of the consultation's questions, in order."""
        return [(question, self[f"answer_{question.id}"]) for question in self._questions]

    def response_data(self) -> dict:
        """What the service reads: nothing else that was posted (a `status`, a `consultation_id`,
        answers to questions this consultation does not have) ever gets there."""
        answers = {}
        for question, field in self.question_fields():
            if question.kind == QuestionKind.MULTIPLE:
                answers[str(question.id)] = [int(value) for value in field.data or []]
            elif field.data not in (None, ""):
                answers[str(question.id)] = int(field.data) if question.kind == QuestionKind.SINGLE else field.data
        return {
            "stance": self.stance.data,
            "body": self.body.data or "",
            "answers": answers,
            "show_name": self.show_name.data,
        }

    def typed_data(self) -> dict:
        """What was typed, valid or not, for keeping as an unfinished response (the service keeps
        only this consultation's questions and the choices it offers)."""
        return {
            "stance": self.stance.data,
            "body": self.body.data or "",
            "answers": {str(question.id): field.data for question, field in self.question_fields()},
            "show_name": self.show_name.data,
        }


def _question_field(question):
    if question.kind == QuestionKind.TEXT:
        return TextAreaField(
            question.prompt,
            validators=[Optional(), AtMost(ANSWER_TEXT_MAX)],
            render_kw={"rows": 3, "maxlength": False},
        )
    choices = [SelectChoice(str(index), choice) for index, choice in enumerate(question.choices)]
    if question.kind == QuestionKind.SINGLE:
        return RadioField(question.prompt, choices=choices, validate_choice=False, validators=[_listed])
    return SelectMultipleField(
        question.prompt,
        choices=choices,
        validate_choice=False,
        validators=[_listed],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def response_form(consultation, response=None, draft=None, **kwargs) -> ResponseForm:
    """The response form for this consultation's questions: from the request, or (with
    `response`) filled in with what the person wrote before, or (with `draft`) with what they
    started and did not send."""
    fields = {f"answer_{question.id}": _question_field(question) for question in consultation.questions}
    form_class = type("ResponseForm", (ResponseForm,), {**fields, "_questions": list(consultation.questions)})
    if draft is not None and response is None:
        typed = draft.answers or {}
        response = SimpleNamespace(
            stance=typed.get("stance") or None,
            body=typed.get("body", ""),
            show_name=bool(typed.get("show_name")),
            answers=typed.get("answers") or {},
        )
    if response is not None:
        kwargs.pop("formdata", None)
        stance = response.stance.value if isinstance(response.stance, Stance) else response.stance
        data = {"stance": stance, "body": response.body, "show_name": response.show_name}
        for question in consultation.questions:
            value = response.answers.get(str(question.id))
            if value is None:
                continue
            if question.kind == QuestionKind.MULTIPLE:
                data[f"answer_{question.id}"] = [str(index) for index in value]
            elif question.kind == QuestionKind.SINGLE:
                data[f"answer_{question.id}"] = str(value)
            else:
                data[f"answer_{question.id}"] = value
        return form_class(formdata=None, data=data, **kwargs)
    return form_class(**kwargs)


class BodyCheckForm(ResponseTextForm):
    """The comments alone, checked while they are typed (htmx); the full form checks them again."""

    body = body_field()
