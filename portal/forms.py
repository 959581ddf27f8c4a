"""The base of every form: limits and clean text on every field, translated messages."""
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

TEXT_FIELDS = (StringField, TextAreaField, PasswordField)


def reject_control_characters(form, field):
    """NUL and other control characters have no place in what people type (PostgreSQL refuses
    NUL outright); line breaks and tabs are fine. Lone surrogates cannot be stored either."""
    value = field.data or ""
    for ch in value:
        if ch in "\n\r\t":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):
            raise ValidationError(_l("This contains characters that are not allowed."))


class PortalForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, TEXT_FIELDS):
                options["validators"] = [reject_control_characters, *(unbound_field.kwargs.get("validators") or [])]
            return unbound_field.bind(form=form, **options)


def strip(value):
    return value.strip() if isinstance(value, str) else value
