"""The forms of the disclosure checklist: a school admin publishing against an item, a district
adding an item of its own to the catalogue."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, Optional

from portal.disclosure.models import (
    BASIS_MAX,
    CONTENT_MAX,
    DEADLINE_DAYS_MAX,
    DEFAULT_DEADLINE_DAYS,
    DISCLOSURE_TEXT_MAX,
    TITLE_MAX,
    DisclosureAudience,
    DisclosureCategory,
)
from portal.documents.signing import PDF_HEADER_WINDOW
from portal.forms import (
    AtMost,
    DayField,
    PortalForm,
    Required,
    WholeNumberField,
    choice_field,
    in_year_range,
    text_area,
    text_field,
)

EMPTY_FILE = _l("This file is empty. Choose the PDF file to publish.")
NOT_A_PDF = _l("This file is not a PDF. Choose the PDF file to publish.")
NOT_CONFIRMED = _l("Tick the box to confirm before publishing.")


class DisclosureForm(PortalForm):
    formed_on = DayField(
        _l("Formed or changed on"),
        validators=[Required(message=_l("Enter the day the information was formed or changed.")), in_year_range],
        description=_l("The deadline counts in working days from this day."),
    )
    text = TextAreaField(
        _l("Text"),
        validators=[Optional(), AtMost(DISCLOSURE_TEXT_MAX)],
        description=_l("A short disclosure can be written here; a longer one is attached as a PDF."),
        render_kw={"rows": 6, "maxlength": DISCLOSURE_TEXT_MAX},
    )
    file = FileField(_l("PDF document"), render_kw={"accept": "application/pdf,.pdf"})
    # Asked of "Publish" only (see validate): saving a draft can be undone, publishing cannot.
    confirm = BooleanField(
        _l(
            "I confirm that this is the information to disclose. Once published, it is archived, signed and "
            "entered in the public log, and it can never be changed or withdrawn."
        ),
        description=_l("Only for publishing: a draft is saved without it."),
    )
    save = SubmitField(_l("Save as draft"))
    publish = SubmitField(_l("Publish"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A bigger upload than the request limit is refused (413) before it gets here.
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        self.file.description = _l(
            "PDF only, up to %(size)d MB. It is signed and fingerprinted (SHA-256) when published, so that anyone "
            "can verify their copy.",
            size=max(1, limit // (1024 * 1024)),
        )
        self.pdf_bytes: bytes | None = None

    def validate(self, extra_validators=None) -> bool:
        """The fields, the tick when publishing, and a file (if any) that is a PDF by its content,
        not its name: read into `pdf_bytes`."""
        valid = super().validate(extra_validators)
        if self.publish.data and not self.confirm.data:
            self.confirm.errors.append(NOT_CONFIRMED)
            valid = False
        upload = self.file.data
        if upload is not None and getattr(upload, "filename", None):
            data = upload.read()
            if not data:
                self.file.errors.append(EMPTY_FILE)
                return False
            if b"%PDF-" not in data[:PDF_HEADER_WINDOW]:
                self.file.errors.append(NOT_A_PDF)
                return False
            self.pdf_bytes = data
        return valid


class CatalogueItemForm(PortalForm):
    category = choice_field(_l("Category"), DisclosureCategory, _l("Choose one of the categories."))
    title_zh = text_field(_l("Item (Chinese)"), TITLE_MAX, required_message=_l("Enter the item's name in Chinese."))
    title_en = text_field(_l("Item (English)"), TITLE_MAX, required_message=_l("Enter the item's name in English."))
    content_zh = text_area(
        _l("What it must contain (Chinese)"), CONTENT_MAX, required_message=_l("Say what the item must contain.")
    )
    content_en = text_area(
        _l("What it must contain (English)"), CONTENT_MAX, required_message=_l("Say what the item must contain.")
    )
    basis = text_field(_l("Legal basis"), BASIS_MAX, required_message=_l("Enter the rule that requires it."))
    deadline_days = WholeNumberField(
        _l("Deadline in working days"),
        validators=[
            Required(message=_l("Enter the deadline in working days.")),
            NumberRange(
                min=1,
                max=DEADLINE_DAYS_MAX,
                message=_l("Enter a number of working days from 1 to %(max)d.", max=DEADLINE_DAYS_MAX),
            ),
        ],
        invalid_message=_l("Enter a number of working days from 1 to %(max)d.", max=DEADLINE_DAYS_MAX),
        default=DEFAULT_DEADLINE_DAYS,
        max_digits=3,
    )
    audience = choice_field(_l("Audience"), DisclosureAudience, _l("Choose who it is for."))
    source_title = text_field(_l("Source"), TITLE_MAX, required_message=_l("Name the document it comes from."))
