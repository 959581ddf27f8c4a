"""The form of oversight's working calendar: a day the commission makes a working day or a day off."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice
from wtforms.validators import DataRequired

from portal.forms import DayField, PortalForm, Required, in_year_range, one_of_the_choices, text_field
from portal.workdays import NOTE_MAX

KIND_REQUIRED = _l("Choose whether the day is a working day or a day off.")


class WorkingDayOverrideForm(PortalForm):
    day = DayField(_l("Date"), validators=[Required(message=_l("Enter the date.")), in_year_range])
    kind = RadioField(
        _l("On this day"),
        choices=[
            SelectChoice("off", _l("Schools and offices are closed (a day off)")),
            SelectChoice("working", _l("Schools and offices work (a working day)")),
        ],
        validate_choice=False,
        validators=[DataRequired(message=KIND_REQUIRED), one_of_the_choices(KIND_REQUIRED)],
    )
    note = text_field(
        _l("Why"),
        NOTE_MAX,
        required_message=_l("Say why, for example the notice that announced it."),
        description=_l("For example the State Council's notice, or why the city closes its schools that day."),
    )

    def details(self) -> dict:
        return {"day": self.day.data, "is_working_day": self.kind.data == "working", "note": self.note.data}
