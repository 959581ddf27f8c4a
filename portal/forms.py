"""The base of every form and the field toolkit every feature builds its forms from.

PortalForm gives every text field the same treatment once, here: what was typed is normalised
(portal.text.nfc: NFC, line breaks as \\n, no surrounding space) and characters that have no
place in text are refused with a translated message. Features never repeat either.
"""

import unicodedata
from datetime import date

from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from portal.text import nfc, typed_number, whole_number

TEXT_FIELDS = (StringField, TextAreaField, PasswordField)

# Dates outside these years are typing mistakes (a year of 20026), and would not fit every database.
FIRST_YEAR, LAST_YEAR = 1990, 2100

DATE_INVALID = _l("Enter a date such as 2026-09-01.")
DATE_OUT_OF_RANGE = _l("Enter a date between the years %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
TIME_INVALID = _l("Enter a time such as 14:30.")
CHARACTERS_NOT_ALLOWED = _l("This contains characters that are not allowed.")

# Bidirectional overrides and isolates can make a name display as something else ("evil\u202egro.elpmaxe").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class AtMost(Length):
    """At most `max_length` characters. The message says how many there are and how many there
    may be, as the page's language groups digits (5,000), so that people know how much to cut.
    Nothing else is checked of a text too long (an address too long is not also "not valid")."""

    def __init__(self, max_length: int):
        super().__init__(max=max_length)

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.max:  # the first thing to put right: nothing more is said until it is
            raise StopValidation(
                gettext(
                    "This has %(count)s characters; it can have at most %(max)s.",
                    count=format_number(length),
                    max=format_number(self.max),
                )
            )


def _refuse_characters(field, *, allow_bidi_controls: bool) -> None:
    multiline = isinstance(field, TextAreaField)
    for ch in field.data or "":
        if multiline and ch in "\n\r\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or (ch in BIDI_CONTROLS and not allow_bidi_controls):
            raise ValidationError(CHARACTERS_NOT_ALLOWED)


def reject_control_characters(form, field):
    """NUL and other control characters have no place in what people type (PostgreSQL refuses
    NUL outright), nor have lone surrogates (they cannot be stored) or bidirectional overrides.
    Line breaks and tabs are fine in multi-line text only."""
    _refuse_characters(field, allow_bidi_controls=False)


def reject_unstorable_characters(form, field):
    """As reject_control_characters, but bidirectional overrides are kept: for text that is shown
    as typed in a block of its own (dir="auto"), where an override cannot reorder anything around it."""
    _refuse_characters(field, allow_bidi_controls=True)


def _normalised(value):
    return nfc(value) if isinstance(value, str) else value


class PortalForm(FlaskForm):
    class Meta:
        # A form whose text is shown isolated, as typed (consultation responses), sets this.
        allow_bidi_controls = False

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, TEXT_FIELDS):
                check = reject_unstorable_characters if self.allow_bidi_controls else reject_control_characters
                options["validators"] = [check, *(unbound_field.kwargs.get("validators") or [])]
            # Passwords are taken exactly as typed: a space or a different spelling is part of them.
            if issubclass(field_class, (StringField, TextAreaField)) and not issubclass(field_class, PasswordField):
                options["filters"] = [_normalised, *(unbound_field.kwargs.get("filters") or [])]
            return unbound_field.bind(form=form, **options)


# --- the field toolkit ------------------------------------------------------------------------


class DayField(DateField):
    """A date typed or picked as YYYY-MM-DD. Empty is "no date" (the validators decide if that is
    allowed); anything else that is not a date gets a translated message, and keeps what was typed."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", DATE_INVALID)
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not " ".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata([value.strip() for value in valuelist])


class ClockField(TimeField):
    """A time of day as HH:MM (24 hours), with the same handling as DayField."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%H:%M", invalid_value_message=TIME_INVALID, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not " ".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata([value.strip()[:5] for value in valuelist])  # 14:30:00 from some browsers


class Required(DataRequired):
    """DataRequired for dates and times: when what was typed could not be read, that message
    (kept from processing) says what is wrong; DataRequired would replace it with "required"."""

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        super().__call__(form, field)


def in_year_range(form, field):
    if isinstance(field.data, date) and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise StopValidation(DATE_OUT_OF_RANGE)


def one_of_the_choices(message):
    """The value is one of the field's choices: a forged value gets `message`, not a crash."""

    def check(form, field):
        if field.data in (None, "") or field.data not in {choice.value for choice in field.choices}:
            raise StopValidation(message)

    return check


def int_or_none(value):
    """A whole number as posted (ASCII digits, at most nine), or None for anything else."""
    return whole_number(value)


class WholeNumberField(IntegerField):
    """A number a person types (how many, how long): ASCII or full-width digits (text.typed_number),
    at most `max_digits`. Anything else keeps what was typed and gets `invalid_message` (WTForms'
    own IntegerField reads "١٢" and "1_000" as numbers and answers in English only)."""

    def __init__(self, label=None, validators=None, *, invalid_message, max_digits: int = 9, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message
        self.max_digits = max_digits

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None  # InputRequired (or Optional) says what an empty field means
            return
        self.data = typed_number(valuelist[0], self.max_digits)
        if self.data is None:
            raise ValueError(self.invalid_message)

    def pre_validate(self, form):
        if self.process_errors:  # said once: the range check would repeat it
            raise StopValidation()


def choice_field(label, enum_class, required_message, **kwargs):
    """A select of a StrEnum's members (their translated labels); anything else gets `required_message`."""
    return SelectField(
        label,
        choices=[SelectChoice(member.value, member.label) for member in enum_class],
        validate_choice=False,
        validators=[DataRequired(message=required_message), one_of_the_choices(required_message)],
        **kwargs,
    )


def text_field(label, max_length, *, required_message=None, render_kw=None, field_class=None, **kwargs):
    """A one-line text field with its limit (checked here, and told to the browser)."""
    validators = [DataRequired(message=required_message)] if required_message else [Optional()]
    validators.append(AtMost(max_length))
    return (field_class or StringField)(
        label, validators=validators, render_kw={"maxlength": max_length, **(render_kw or {})}, **kwargs
    )


def text_area(label, max_length, *, required_message=None, rows=4, **kwargs):
    """A few lines of text with its limit, as text_field."""
    return text_field(
        label,
        max_length,
        required_message=required_message,
        field_class=TextAreaField,
        render_kw={"rows": rows},
        **kwargs,
    )
