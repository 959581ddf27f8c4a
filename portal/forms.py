"""The base of every form: limits and clean text on every field, translated messages."""

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

TEXT_FIELDS = (StringField, TextAreaField, PasswordField)


# Bidirectional overrides and isolates can make a name display as something else ("evil\u202egro.elpmaxe").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def reject_control_characters(form, field):
    """NUL and other control characters have no place in what people type (PostgreSQL refuses
    NUL outright), nor have lone surrogates (they cannot be stored) or bidirectional overrides.
    Line breaks and tabs are fine in multi-line text only."""
    value = field.data or ""
    multiline = isinstance(field, TextAreaField)
    for ch in value:
        if multiline and ch in "\n\r\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in BIDI_CONTROLS:
            raise ValidationError(_l("This contains characters that are not allowed."))


class PortalForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, TEXT_FIELDS):
                options["validators"] = [reject_control_characters, *(unbound_field.kwargs.get("validators") or [])]
            return unbound_field.bind(form=form, **options)


def strip(value):
    return value.strip() if isinstance(value, str) else value
