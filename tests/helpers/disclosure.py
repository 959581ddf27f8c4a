"""The disclosure checklist in tests: a small valid PDF to publish, and disclosures made through
the services (so they are audited and archived like real ones)."""

import io
from datetime import date

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter
from sqlalchemy import select

from portal.disclosure import services
from portal.disclosure.catalogue import seed_national_catalogue
from portal.disclosure.models import DisclosureItem
from portal.extensions import db


def small_pdf() -> bytes:
    """A one-page blank PDF (A4), well-formed enough to be signed: made in milliseconds."""
    writer = PdfFileWriter()
    size = [generic.NumberObject(n) for n in (0, 0, 595, 842)]
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(size),
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def catalogue() -> dict[str, DisclosureItem]:
    """The national catalogue (seeded when missing), by code."""
    seed_national_catalogue()
    return {item.code: item for item in db.session.scalars(select(DisclosureItem))}


def publish(actor, school, item, *, formed_on: date, text="已在校门口公示栏公示。", pdf: bytes | None = None):
    return services.publish_disclosure(
        actor, school, item, {"formed_on": formed_on, "text": text}, pdf_bytes=pdf, today=date(2100, 1, 1)
    )


def draft(actor, school, item, *, formed_on: date, text=""):
    return services.save_draft(actor, school, item, {"formed_on": formed_on, "text": text}, today=date(2100, 1, 1))
