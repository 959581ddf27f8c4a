"""Access rows for the privacy notice, the rules of participation, and a person's own data."""

from portal.accounts import services
from portal.accounts.models import DataExport
from portal.clock import utcnow
from portal.extensions import db
from portal.pages import personal_data
from tests.access_rows import everyone, url_arguments, visitor_then


def arguments(school, other_school):
    """The download link is somebody else's, genuine and ready: not found for anyone else."""
    somebody = services.register_user(
        email="has-an-export@example.org", display_name="导出者", password="a long enough password", language=None
    )
    now = utcnow()
    export = DataExport(user_id=somebody.id, requested_at=now)
    export.mark_ready("export-x.zip", 10, now, now + personal_data.EXPORT_PERIOD)
    db.session.add(export)
    db.session.commit()
    return {
        **url_arguments("pages.privacy", "pages.terms", "pages.my_data", "pages.request_data_export"),
        **url_arguments("pages.delete_account_form", "pages.delete_account"),
        **url_arguments("pages.download_data", token=personal_data.download_token(export)),
    }


EXPECTED = {
    "pages.privacy": everyone(200),
    "pages.terms": everyone(200),
    "pages.my_data": visitor_then(302, 200),
    "pages.request_data_export": visitor_then(302, 303),  # a copy is asked for
    "pages.download_data": visitor_then(302, 404),  # somebody else's link
    "pages.delete_account_form": visitor_then(302, 200),
    "pages.delete_account": visitor_then(302, 422),  # no password given
}
