"""The forms of the charter's management: editing a draft, adopting it, starting one."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from portal.charters.models import CHARTER_BODY_MAX, CHARTER_NOTE_MAX, CharterRefusal
from portal.forms import AtMost, DayField, PortalForm, Required

# Charters are older than the portal's other dates (portal.forms.FIRST_YEAR): a school records
# every version it has adopted, back to the founding of the People's Republic.
EARLIEST_DATE = date(1949, 10, 1)
LATEST_DATE = date(2100, 12, 31)

DATE_INVALID = _l("Please enter a date as year-month-day, such as 2026-03-01.")
DATE_OUT_OF_RANGE = _l(
    "Please enter a date between %(first)s and %(last)s.", first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()
)


def within_charter_dates(form, field):
    if isinstance(field.data, date) and not EARLIEST_DATE <= field.data <= LATEST_DATE:
        raise StopValidation(DATE_OUT_OF_RANGE)


class DiscardForm(PortalForm):
    # A charter's draft is a 草案 in Chinese (a decision's is a 草稿): words of its own.
    confirm_delete = BooleanField(
        lazy_pgettext("a charter's", "I confirm that this draft is to be deleted. It cannot be brought back."),
        validators=[
            DataRequired(message=lazy_pgettext("a charter's", "Tick the box to confirm before deleting the draft."))
        ],
    )


class CharterDraftForm(PortalForm):
    change_note = TextAreaField(
        _l("Change note"),
        validators=[AtMost(CHARTER_NOTE_MAX)],
        description=_l("What this version changes and why, in a sentence or two. It is shown in the public history."),
        render_kw={"rows": 3, "maxlength": CHARTER_NOTE_MAX},
    )
    body = TextAreaField(
        _l("Text of the charter"),
        validators=[
            DataRequired(message=_l("Please enter the text of the charter.")),
            AtMost(CHARTER_BODY_MAX),
        ],
        description=_l(
            "Write chapters as headings, such as “# 第一章 总则”, and begin each article with its number, "
            "such as “**第一条** …”. The contents and the anchors of each article are made from these."
        ),
        render_kw={"rows": 22, "spellcheck": "false", "class": "charter-source"},
    )


class AdoptForm(PortalForm):
    adopted_on = DayField(
        _l("Adopted on"),
        invalid_value_message=DATE_INVALID,
        validators=[Required(message=_l("Please enter the date this version was adopted.")), within_charter_dates],
        description=_l("The date of the meeting that adopted this text."),
    )
    effective_on = DayField(
        _l("In force from"),
        invalid_value_message=DATE_INVALID,
        validators=[Required(message=_l("Please enter the date this version comes into force.")), within_charter_dates],
        description=_l("The same day as the adoption or later, never earlier."),
    )
    confirm = BooleanField(
        _l("I confirm that this text was adopted as shown. Once adopted, it can no longer be changed."),
        validators=[DataRequired(message=_l("Please confirm that this text was adopted as shown."))],
    )

    def validate_effective_on(self, field):
        # The service refuses it too (CharterRefusal); said here, it is said with the form's other mistakes.
        if field.data and self.adopted_on.data and field.data < self.adopted_on.data:
            raise ValidationError(CharterRefusal.EFFECTIVE_BEFORE_ADOPTION.message)


class StartDraftForm(PortalForm):
    # Only asked when the school has no charter yet; otherwise the draft copies the one in force.
    starting_point = RadioField(
        _l("Start from"),
        choices=[
            SelectChoice("template", _l("A short template with the usual chapters")),
            SelectChoice("empty", _l("An empty page")),
        ],
        default="template",
        validate_choice=False,
    )
