from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from portal.forms import AtMost, PortalForm, int_or_none
from portal.schools.models import SchoolType

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _school_type_choices():
    return [(school_type.value, school_type.label) for school_type in SchoolType]


def _website(form, field):
    if field.data and not field.data.startswith(("https://", "http://")):
        raise ValidationError(_l("Enter the full address, such as https://www.example.cn."))


def _decision_prefix(form, field):
    # The brackets and 号 are added around the year and number; in the prefix they would make
    # numbers ambiguous (渝〔2026〕1号〔2026〕2号).
    if field.data and (any(ch.isspace() for ch in field.data) or any(ch in "〔〕[]号" for ch in field.data)):
        raise ValidationError(_l("Use letters only, without spaces, brackets or 号, such as 渝一中校委."))


class SchoolProfileForm(PortalForm):
    name_zh = StringField(
        _l("Name in Chinese"),
        validators=[
            DataRequired(message=_l("Please enter the school's Chinese name.")),
            AtMost(120),
        ],
        render_kw={"maxlength": 120, "lang": "zh-CN"},
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[
            DataRequired(message=_l("Please enter the school's English name.")),
            AtMost(160),
        ],
        render_kw={"maxlength": 160, "lang": "en"},
    )
    type = SelectField(
        _l("Type of school"),
        choices=_school_type_choices,
        validators=[DataRequired(message=_l("Please choose the type of school."))],
    )
    address = StringField(
        _l("Address"),
        validators=[AtMost(255)],
        render_kw={"maxlength": 255, "autocomplete": "street-address"},
    )
    phone = StringField(
        _l("Telephone"),
        validators=[
            AtMost(40),
            Regexp(r"^[0-9+()\- ]*$", message=_l("Use digits, spaces, +, - and brackets only.")),
        ],
        render_kw={"maxlength": 40, "inputmode": "tel", "autocomplete": "tel"},
    )
    email = StringField(
        _l("Contact email"),
        validators=[
            Optional(),
            AtMost(254),
            Email(
                message=_l("Please enter a valid email address, such as name@example.com."), check_deliverability=False
            ),
        ],
        render_kw={"maxlength": 254, "inputmode": "email"},
    )
    website = StringField(
        _l("Website"),
        validators=[AtMost(255), _website],
        render_kw={"maxlength": 255, "inputmode": "url"},
    )
    decision_prefix = StringField(
        _l("Prefix of decision numbers"),
        validators=[AtMost(40), _decision_prefix],
        description=_l(
            "Printed before the year and number of each decision, as in 渝一中校委〔2026〕3号. "
            "Changing it changes only the numbers of decisions published afterwards."
        ),
        render_kw={"maxlength": 40},
    )
    description = TextAreaField(
        _l("About the school"),
        validators=[AtMost(2000)],
        description=_l("A few sentences for parents: history, size, what the school is known for."),
        render_kw={"maxlength": 2000, "rows": 5},
    )


class NewSchoolForm(SchoolProfileForm):
    authority_id = SelectField(
        _l("District"),
        coerce=int_or_none,  # a forged "²" or "-1" is no district: "Please choose a district."
        validate_choice=False,
        validators=[DataRequired(message=_l("Please choose a district."))],
    )
    slug = StringField(
        _l("Web address name"),
        filters=[lambda value: value.lower() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Please choose a web address name.")),
            Length(min=3, max=80, message=_l("Between %(min)d and %(max)d characters.", min=3, max=80)),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters, digits and single hyphens, such as jiefang-road-primary."),
            ),
        ],
        # No angle brackets: a lazy translation is written into the page as it is (Flask-Babel's
        # LazyString.__html__), so "<name>" would be read as a tag and vanish.
        description=_l(
            "Part of the school's address on this portal, as in /schools/jiefang-road-primary. "
            "It cannot be changed later."
        ),
        render_kw={"maxlength": 80, "autocapitalize": "none", "spellcheck": "false"},
    )
