"""Access rows for a consultation's public side: its list, its page, its responses, exports and
outcome are public; responding and reporting need an account (approving and moderating are the
moderation feature's: access_rows/moderation.py). The consultation here is closed with a
published outcome, so a response posted to it is refused with 409 (nothing stored) once the
person is let through."""

from portal.consultations.models import Phase
from tests.access_rows import everyone, url_arguments, visitor_then
from tests.helpers.consultations import create_consultation, publish_outcome, respond, someone


def closed_with_a_published_response(school):
    """A closed consultation of `school` with a published response and a published outcome:
    (consultation, response). The moderation rows act on one of their own."""
    consultation = create_consultation(school, Phase.CLOSED)
    response = respond(consultation, someone(), "support", publish=True)
    publish_outcome(consultation)
    return consultation, response


def arguments(school, other_school):
    consultation, response = closed_with_a_published_response(school)
    return {
        **url_arguments("consultations.index"),
        **url_arguments(
            "consultations.show",
            "consultations.responses",
            "consultations.export_csv",
            "consultations.export_json",
            "consultations.outcome_pdf",
            "consultations.respond",
            "consultations.check_response",
            "consultations.discard_draft",
            consultation_id=consultation.id,
        ),
        **url_arguments(
            "moderation.report", "moderation.report_form", consultation_id=consultation.id, response_id=response.id
        ),
    }


EXPECTED = {
    "consultations.index": everyone(200),
    "consultations.show": everyone(200),
    "consultations.responses": everyone(200),
    "consultations.export_csv": everyone(200),
    "consultations.export_json": everyone(200),
    "consultations.outcome_pdf": everyone(200),
    "consultations.respond": visitor_then(302, 409),  # closed: refused, nothing stored
    "consultations.check_response": visitor_then(302, 303),  # without htmx: back to the page
    # Discarding what one started (there is nothing: nothing changes) and back to the page.
    "consultations.discard_draft": visitor_then(302, 303),
    # Reporting a published response is the moderation feature's (its address stays with the consultation).
    "moderation.report": visitor_then(302, 422),  # no reason given
    "moderation.report_form": visitor_then(302, 200),
}
