"""/audit.csv: the events the page's filters find, for a spreadsheet or a script."""

import json
from datetime import UTC, datetime

from portal.oversight.audit_log import CSV_HEADER
from tests.helpers.audit_log import add_event, csv_rows

HEADER = [
    "id",
    "time_utc",
    "actor_id",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "school_id",
    "authority_id",
    "ip_address",
    "data",
]


def test_csv_export_streams_the_filtered_events_with_a_bom(client, city, school, make_user, commission_admin_of):
    commission_admin_of(city)
    member = make_user(email="board@example.org")
    older = add_event(
        "decision.publish",
        actor=member,
        object_id=3,
        school=school,
        at=datetime(2026, 3, 1, 16, 5, 9, tzinfo=UTC),
        ip="203.0.113.7",
        number="〔2026〕3号",
        votes=[5, 0, 1],
    )
    newer = add_event("decision.draft", actor=member, object_id=4, school=school)
    add_event("meeting.create", actor=member, object_type="Meeting", object_id=4, school=school)

    response = client.get("/audit.csv?action=decision.&actor=board@")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    assert rows[0] == HEADER == list(CSV_HEADER)
    assert [row[0] for row in rows[1:]] == [str(newer.id), str(older.id)]  # newest first
    assert rows[2] == [
        str(older.id),
        "2026-03-01T16:05:09+00:00",
        str(member.id),
        "board@example.org",
        "decision.publish",
        "Decision",
        "3",
        str(school.id),
        str(school.authority_id),
        "203.0.113.7",
        '{"number": "〔2026〕3号", "votes": [5, 0, 1]}',
    ]
    assert json.loads(rows[2][10]) == {"number": "〔2026〕3号", "votes": [5, 0, 1]}


def test_csv_export_holds_only_the_events_of_the_readers_scope(
    client, district, school, other_school, commission_admin_of
):
    commission_admin_of(district)
    mine = add_event("decision.publish", school=school)
    add_event("decision.publish", school=other_school)
    add_event("user.password_change", object_type="User", object_id=1)

    rows = csv_rows(client.get("/audit.csv?object=Decision"))

    assert [row[0] for row in rows[1:]] == [str(mine.id)]


def test_csv_export_of_a_school_out_of_scope_is_empty(client, district, other_school, commission_admin_of):
    commission_admin_of(district)
    add_event("decision.publish", school=other_school)

    assert csv_rows(client.get(f"/audit.csv?school={other_school.id}")) == [HEADER]


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(client, city, make_user, commission_admin_of):
    """CSV injection: an email, an action or an address that starts with = + - @ is shown, not run."""
    commission_admin_of(city)
    trickster = make_user(email="=hyperlink@example.org")
    event = add_event(
        "=cmd|' /C calc'!A0",
        actor=trickster,
        object_type="@SUM(1+1)",
        object_id=None,
        authority=city,
        ip="+1-555",
        note="=1+1",
    )
    add_event("-2+3", object_type="\tTab", authority=city)

    rows = {row[0]: row for row in csv_rows(client.get("/audit.csv"))[1:]}
    row = rows[str(event.id)]

    assert row[3] == "'=hyperlink@example.org"
    assert row[4] == "'=cmd|' /C calc'!A0"
    assert row[5] == "'@SUM(1+1)"
    assert row[9] == "'+1-555"
    assert json.loads(row[10]) == {"note": "=1+1"}  # JSON starts with "{": nothing to defuse
    (other,) = [row for row in rows.values() if row[4] == "'-2+3"]
    assert other[5] == "'\tTab"


def test_csv_export_without_events_has_its_header(client, district, commission_admin_of):
    commission_admin_of(district)

    assert csv_rows(client.get("/audit.csv?action=nothing.recorded")) == [HEADER]
