"""The form of the charter's public pages; the management's forms are in manage_forms.py."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from portal.forms import PortalForm


class ComparePickerForm(PortalForm):
    """The two versions to compare; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    from_ = SelectField(_l("Older version"), coerce=int, validate_choice=False, name="from")
    to = SelectField(_l("Newer version"), coerce=int, validate_choice=False)
