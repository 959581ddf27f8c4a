"""Forms for governing bodies, their members and their meetings."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, StopValidation

from portal.forms import (
    AtMost,
    ClockField,
    DayField,
    PortalForm,
    Required,
    choice_field,
    in_year_range,
    int_or_none,
    text_field,
)
from portal.meetings.models import (
    AGENDA_TITLE_MAX,
    BODY_DESCRIPTION_MAX,
    BODY_NAME_MAX,
    MEETING_PLACE_MAX,
    MEETING_TITLE_MAX,
    MEMBER_NAME_MAX,
    MINUTES_MAX,
    BodyKind,
    Constituency,
    MeetingRefusal,
    Position,
)

ACCOUNT_EMAIL_MAX = 254

# The form and the service refuse a body that is not one of the school's with the same words.
BODY_UNKNOWN = MeetingRefusal.UNKNOWN_BODY.message


class BodyForm(PortalForm):
    kind = choice_field(_l("Kind of body"), BodyKind, _l("Please choose what kind of body this is."))
    name = text_field(
        _l("Name"),
        BODY_NAME_MAX,
        required_message=_l("Please enter the body's name."),
        description=_l("As the school calls it, such as 校务委员会."),
    )
    description = TextAreaField(
        _l("What the body does (optional)"),
        validators=[Optional(), AtMost(BODY_DESCRIPTION_MAX)],
        description=_l("A few sentences for parents: what it decides, how members are chosen, how often it meets."),
        render_kw={"rows": 4, "maxlength": BODY_DESCRIPTION_MAX},
    )


class MemberForm(PortalForm):
    name = text_field(
        lazy_pgettext("a person's", "Name"),
        MEMBER_NAME_MAX,
        required_message=_l("Please enter the member's name."),
        render_kw={"autocomplete": "off"},
    )
    position = choice_field(_l("Position in the body"), Position, _l("Please choose the member's position."))
    constituency = choice_field(_l("Represents"), Constituency, _l("Please choose whom the member represents."))
    term_start = DayField(
        _l("Term starts"),
        validators=[Required(message=_l("Please enter the day the term starts.")), in_year_range],
    )
    term_end = DayField(
        _l("Term ends (optional)"),
        validators=[Optional(), in_year_range],
        description=_l("The last day of the term. Leave empty if it has no fixed end."),
    )
    account_email = StringField(
        _l("Portal account (optional)"),
        validators=[Optional(), AtMost(ACCOUNT_EMAIL_MAX)],
        description=_l(
            "The email address of the member's own account, if they have one: "
            "they can then read their body's draft minutes."
        ),
        render_kw={"inputmode": "email", "autocomplete": "off", "maxlength": ACCOUNT_EMAIL_MAX},
    )


class EndTermForm(PortalForm):
    last_day = DayField(
        _l("Last day of the term"),
        validators=[Required(message=_l("Please enter the last day the member serves.")), in_year_range],
    )


class ChosenBody:
    """A body is chosen, and it is one of those offered (this school's): anything else that
    arrives (another school's id, a word, a huge number) gets BODY_UNKNOWN."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        if not (field.raw_data or [""])[0].strip():
            raise StopValidation(_l("Please choose the body that meets."))
        if field.data is None or field.data not in {choice.value for choice in field.choices}:
            raise StopValidation(BODY_UNKNOWN)


class MeetingForm(PortalForm):
    body_id = SelectField(_l("Body that meets"), coerce=int_or_none, validate_choice=False, validators=[ChosenBody()])
    title = text_field(
        _l("Title"),
        MEETING_TITLE_MAX,
        required_message=_l("Please enter a title for the meeting."),
        description=_l("Such as 2026年第四次校务委员会会议."),
    )
    day = DayField(
        _l("Date"), validators=[Required(message=_l("Please enter the date of the meeting.")), in_year_range]
    )
    start_time = ClockField(
        _l("Starts at (Beijing time)"),
        validators=[Required(message=_l("Please enter the time the meeting starts."))],
    )
    place = text_field(_l("Place (optional)"), MEETING_PLACE_MAX, description=_l("Such as 学校三楼会议室."))


class AgendaItemForm(PortalForm):
    item_title = text_field(
        _l("New agenda item"),
        AGENDA_TITLE_MAX,
        required_message=_l("Please enter the agenda item."),
        description=_l("Such as 审议2026学年度工作计划."),
    )


class AgendaChangeForm(PortalForm):
    """Moving or removing one item: the item's id and, to move it, the direction."""

    item_id = HiddenField()
    direction = HiddenField()


class MinutesForm(PortalForm):
    minutes = TextAreaField(
        _l("Draft minutes"),
        validators=[AtMost(MINUTES_MAX)],
        description=_l("In Markdown: a line starting with ## is a heading, a line starting with - is a list item."),
        render_kw={"rows": 14, "maxlength": MINUTES_MAX},
    )


class ApproveMinutesForm(PortalForm):
    """Approving the minutes cannot be undone: the person ticks that the body agreed them."""

    confirm = BooleanField(
        _l(
            "I confirm that the body agreed these minutes. Once approved, they are public, and neither they "
            "nor the meeting's agenda and attendance can be changed."
        ),
        validators=[DataRequired(message=_l("Tick the box to confirm before approving the minutes."))],
    )


class AttendanceForm(PortalForm):
    """Attendance arrives as member-<id> = present | absent | "" (not recorded); the fields depend
    on the meeting, so the view reads them (see `presence_from`). The form checks the CSRF token."""


PRESENCE_VALUES = {"present": True, "absent": False, "": None}
PRESENCE_INVALID = _l("Choose present, absent or not recorded for each member.")


def presence_from(formdata) -> tuple[dict[int, bool | None], bool]:
    """The attendance posted, as {member id: True | False | None}, and whether every value was
    one of the three allowed ones."""
    presence, valid = {}, True
    for key in formdata:
        if not key.startswith("member-"):
            continue
        member_id = int_or_none(key.removeprefix("member-"))
        value = formdata.get(key, "")
        if member_id is None or value not in PRESENCE_VALUES:
            valid = False
            continue
        presence[member_id] = PRESENCE_VALUES[value]
    return presence, valid
