"""Reading /audit in tests, and audit events written straight into the log (with the time,
place and data a test needs), beside the ones the factories record themselves."""

import csv
import io
import re
from datetime import UTC, datetime

from portal.audit import AuditEvent
from portal.extensions import db
from tests.helpers.pages import ENGLISH


def add_event(
    action="decision.publish",
    *,
    actor=None,
    object_type="Decision",
    object_id=1,
    school=None,
    authority=None,
    at=None,
    ip=None,
    commit=True,
    **data,
):
    """An audit event of `school` (or `authority`, or of no place), recorded now or `at`, and
    committed (a request ends its session: what was only flushed would be rolled back)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        school_id=getattr(school, "id", None),
        authority_id=getattr(authority, "id", None) if authority is not None else getattr(school, "authority_id", None),
        ip_address=ip,
        data=data,
        created_at=at or datetime.now(UTC),
    )
    db.session.add(event)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return event


def listed_ids(page: str) -> list[int]:
    """The ids of the events a page of /audit lists, in order."""
    return [int(event_id) for event_id in re.findall(r'<tr id="audit-event-(\d+)"', page)]


def audit_page(client, query: str = "", **headers) -> str:
    response = client.get(f"/audit{query}", headers={**ENGLISH, **headers})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def event_row(page: str, event_id: int) -> str:
    match = re.search(rf'<tr id="audit-event-{event_id}">(.*?)</tr>', page, re.S)
    assert match, f"event {event_id} is not on the page"
    return match.group(1)


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))
