"""The person's choice of how each kind of notification reaches them."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice

from portal.forms import PortalForm, one_of_the_choices
from portal.notifications.models import Delivery, Kind

CHOOSE_ONE = _l("Choose how you want to be told.")


def preferences_form(current: dict[Kind, Delivery], kinds: list[Kind]) -> PortalForm:
    """One group of choices per kind of notification the person can get (`kinds`; its field
    named after the kind), showing their current choices (a posted form: what was posted)."""

    class PreferencesForm(PortalForm):
        pass

    for kind in kinds:
        setattr(
            PreferencesForm,
            kind.value,
            RadioField(
                kind.label,
                choices=[SelectChoice(delivery.value, delivery.label) for delivery in Delivery],
                validate_choice=False,
                validators=[one_of_the_choices(CHOOSE_ONE)],
                default=current[kind].value,
            ),
        )
    return PreferencesForm()
