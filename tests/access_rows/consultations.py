"""Access rows for a consultation's public side: its list, its page, its responses, exports and
outcome are public; responding and reporting need an account (approving and moderating are the
moderation feature's: access_rows/moderation.py). The consultation here is closed with a
published outcome, so a response posted to it is refused with 409 (nothing stored) once the
person is let through."""

from consultation_factories import create_consultation, publish_outcome, respond, someone

from access_rows import everyone, visitor_then
from portal.consultations.models import Phase


def arguments(school, other_school):
    consultation = create_consultation(school, Phase.CLOSED)
    response = respond(consultation, someone(), "support", publish=True)
    publish_outcome(consultation)
    return {"consultation_id": consultation.id, "response_id": response.id}


EXPECTED = {
    "consultations.index": everyone(200),
    "consultations.show": everyone(200),
    "consultations.responses": everyone(200),
    "consultations.export_csv": everyone(200),
    "consultations.export_json": everyone(200),
    "consultations.outcome_pdf": everyone(200),
    "consultations.respond": visitor_then(302, 409),  # closed: refused, nothing stored
    "consultations.check_response": visitor_then(302, 303),  # without htmx: back to the page
    # Reporting a published response is the moderation feature's (its address stays with the consultation).
    "moderation.report": visitor_then(302, 422),  # no reason given
}
