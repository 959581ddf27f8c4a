from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, StopValidation

from portal.accounts import services as account_services
from portal.accounts.models import DISPLAY_NAME_MAX, EMAIL_MAX, INVITATION_NOTE_MAX, PASSWORD_MAX, PASSWORD_MIN
from portal.accounts.passwords import password_weakness
from portal.forms import AtMost, PortalForm, WholeNumberField, one_of_the_choices
from portal.i18n import LANGUAGE_NAMES

EMAIL_REQUIRED = _l("Please enter your email address.")
EMAIL_INVALID = _l("Please enter a valid email address, such as name@example.com.")
PASSWORD_LENGTH = _l(
    "Choose a password of at least %(min)d and at most %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX
)


def email_field(label, *, required_message=EMAIL_REQUIRED, autocomplete="email"):
    """An email address: one's own (the browser may fill it in), or another person's
    (autocomplete="off")."""
    return StringField(
        label,
        validators=[
            DataRequired(message=required_message),
            AtMost(EMAIL_MAX),
            Email(message=EMAIL_INVALID, check_deliverability=False),
        ],
        render_kw={"autocomplete": autocomplete, "inputmode": "email", "maxlength": EMAIL_MAX},
    )


def _not_taken_by_staff(form, field):
    """Nobody may pass for staff: a staff member's name (but one's own) or a role word alone is
    refused, at registration and at a change of name (accounts.services.display_name_refusal)."""
    user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    if user_id is not None and account_services.comparable_name(field.data) == account_services.comparable_name(
        current_user.display_name
    ):
        return  # the name they have: changing only their language is not held up by it
    refusal = account_services.display_name_refusal(field.data or "", user_id=user_id)
    if refusal is not None:
        raise StopValidation(str(refusal.message))


def display_name_field():
    return StringField(
        _l("Display name"),
        validators=[
            DataRequired(message=_l("Please enter the name others will see.")),
            AtMost(DISPLAY_NAME_MAX),
            _not_taken_by_staff,
        ],
        description=_l("Shown beside what you write, unless you choose to appear anonymously."),
        render_kw={"autocomplete": "nickname", "maxlength": DISPLAY_NAME_MAX},
    )


def _hard_to_guess(form, field):
    """NIST SP 800-63B: refuse a password among the commonly used or breached ones, or built
    from the person's email or name (theirs from the form, or the logged-in person's)."""
    email = (
        getattr(getattr(form, "email", None), "data", None)
        or getattr(form, "account_email", "")
        or getattr(current_user, "email", "")
    )
    name = (
        getattr(getattr(form, "display_name", None), "data", None)
        or getattr(form, "account_name", "")
        or getattr(current_user, "display_name", "")
    )
    weakness = password_weakness(field.data or "", email=email or "", name=name or "")
    if weakness is not None:
        raise StopValidation(str(weakness))


def new_password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=PASSWORD_LENGTH),
            _hard_to_guess,
        ],
        description=_l("At least %(min)d characters. A few words you will remember work well.", min=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
    )


def confirm_field(other):
    return PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Please type the password again.")),
            EqualTo(other, message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
    )


class RegistrationForm(PortalForm):
    """Step one: the address alone. The link mailed to it opens CompleteRegistrationForm."""

    email = email_field(_l("Email address"))


class CompleteRegistrationForm(PortalForm):
    """Step two, from the mailed link: the name and password (the address is the link's)."""

    display_name = display_name_field()
    password = new_password_field(_l("Password"))
    confirm = confirm_field("password")

    def __init__(self, *args, account_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email  # the password may not be built from it


class AcceptInvitationForm(PortalForm):
    """Accepting a staff invitation with the account one is logged in with: the button alone."""


class PasswordResetRequestForm(PortalForm):
    email = email_field(_l("Email address"))


class PasswordResetForm(PortalForm):
    new_password = new_password_field(_l("New password"))
    confirm = confirm_field("new_password")

    def __init__(self, *args, account_email: str = "", account_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email
        self.account_name = account_name


class EmailCheckForm(PortalForm):
    """The email field alone, for the inline check while registering."""

    email = email_field(_l("Email address"))


class LoginForm(PortalForm):
    email = StringField(
        _l("Email address"),
        validators=[DataRequired(message=EMAIL_REQUIRED), AtMost(EMAIL_MAX)],
        render_kw={"autocomplete": "username", "inputmode": "email", "maxlength": EMAIL_MAX},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Please enter your password.")),
            Length(max=PASSWORD_MAX, message=PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": PASSWORD_MAX},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class ProfileForm(PortalForm):
    display_name = display_name_field()
    language = SelectField(
        _l("Language"),
        # Each option in its own language, so that screen readers pronounce it right (tuples are
        # deprecated in WTForms 3.3).
        choices=[
            SelectChoice(code, name, render_kw={"lang": "en" if code == "en" else "zh-CN"})
            for code, name in LANGUAGE_NAMES.items()
        ],
        validators=[InputRequired(message=_l("Please choose a language."))],
    )


class PasswordChangeForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(message=_l("Please enter your current password.")),
            Length(max=PASSWORD_MAX, message=PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": PASSWORD_MAX},
    )
    new_password = new_password_field(_l("New password"))
    confirm = confirm_field("new_password")


class RedeemInvitationForm(PortalForm):
    code = StringField(
        _l("Invitation code"),
        validators=[
            DataRequired(message=_l("Please enter the code your school gave you.")),
            Length(max=40, message=_l("An invitation code has 10 letters and digits, such as ABCDE-FGH23.")),
        ],
        description=_l("Your school gives each family a code. Letters can be typed in either case."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "maxlength": 40},
    )


CODES_RANGE = _l("Make between %(min)d and %(max)d codes at a time.", min=1, max=50)
DAYS_RANGE = _l("Codes can be valid for %(min)d to %(max)d days.", min=1, max=90)


class InvitationBatchForm(PortalForm):
    count = WholeNumberField(
        _l("Number of codes"),
        default=10,
        validators=[
            InputRequired(message=_l("Please enter how many codes to make.")),
            NumberRange(min=1, max=50, message=CODES_RANGE),
        ],
        invalid_message=CODES_RANGE,
        max_digits=2,
        render_kw={"min": 1, "max": 50, "inputmode": "numeric"},
    )
    valid_days = WholeNumberField(
        _l("Valid for (days)"),
        default=30,
        validators=[
            InputRequired(message=_l("Please enter for how many days the codes work.")),
            NumberRange(min=1, max=90, message=DAYS_RANGE),
        ],
        invalid_message=DAYS_RANGE,
        max_digits=2,
        render_kw={"min": 1, "max": 90, "inputmode": "numeric"},
    )
    note = StringField(
        _l("Note (optional)"),
        validators=[AtMost(INVITATION_NOTE_MAX)],
        description=_l("For your own records, such as the class the codes are for. Parents do not see it."),
        render_kw={"maxlength": INVITATION_NOTE_MAX},
    )


class DataExportForm(PortalForm):
    """Asking for a copy of one's data: nothing to fill in (the CSRF token only)."""


class DeleteAccountForm(PortalForm):
    password = PasswordField(
        _l("Your password"),
        validators=[
            DataRequired(message=_l("Please enter your password to confirm.")),
            Length(max=PASSWORD_MAX, message=PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": PASSWORD_MAX},
    )


STAFF_ROLE_REQUIRED = _l("Choose one of the roles offered.")


class StaffForm(PortalForm):
    """A new member of staff: their email address (their account's, or one an invitation is mailed
    to), and one of the roles of the place (`roles`: a school's, or an authority's)."""

    email = email_field(
        _l("Their email address"),
        required_message=_l("Enter the person's email address."),
        autocomplete="off",
    )
    role = SelectField(
        _l("Role"),
        validate_choice=False,
        validators=[DataRequired(message=STAFF_ROLE_REQUIRED), one_of_the_choices(STAFF_ROLE_REQUIRED)],
    )

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role.value, role.label) for role in roles]
