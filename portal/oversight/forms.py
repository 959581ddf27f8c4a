"""The forms of the commission's pages: a day the commission makes a working day or a day off (the
working calendar), and a file of schools to add (/schools/import)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired

from portal.forms import DayField, PortalForm, Required, in_year_range, one_of_the_choices, text_field
from portal.oversight.school_import import MAX_ROWS
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


class SchoolImportForm(PortalForm):
    """A CSV file of schools (portal.oversight.school_import), or, when the checked file is
    confirmed, its rows sent back as text (no file is uploaded twice)."""

    file = FileField(
        _l("CSV file of the schools"),
        description=_l(
            "The first row names the columns, in English or in Chinese, in any order. At most %(max)d schools "
            "and 1 MB a file. Files saved by Excel in UTF-8 or in Chinese (GB18030) are both read.",
            max=MAX_ROWS,
        ),
    )
    # A textarea, not a hidden input: it keeps the rows' line breaks.
    csv_text = TextAreaField(render_kw={"hidden": True, "aria-hidden": "true", "tabindex": "-1"})
    confirm = BooleanField()
