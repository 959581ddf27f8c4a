"""/audit: a commission admin narrows the log by person, action, record, dates (Beijing dates)
and school, pages through it fifty events at a time, newest first, and reads each event."""

import html
import re
from datetime import UTC, datetime

import pytest

from tests.helpers.audit_log import add_event, audit_page, event_row, listed_ids
from tests.helpers.decisions import insert_published
from tests.helpers.pages import ENGLISH, HTMX


@pytest.fixture
def reader(city, commission_admin_of):
    """The city's commission admin, who sees every event."""
    return commission_admin_of(city)


@pytest.fixture
def two_people(make_user):
    return (
        make_user(email="wang.min@example.org", display_name="王敏"),
        make_user(email="li.na@example.org", display_name="李娜"),
    )


def test_filter_by_person_finds_their_events_by_part_of_the_name_or_email(client, reader, two_people, school):
    wang, li = two_people
    by_wang = add_event("decision.publish", actor=wang, school=school)
    by_li = add_event("decision.draft", actor=li, school=school)

    # (Each also registered: the log has that too.)
    assert listed_ids(audit_page(client, "?actor=王&action=decision.")) == [by_wang.id]
    assert listed_ids(audit_page(client, "?actor=LI.NA@EXAMPLE&action=decision.")) == [by_li.id]
    assert listed_ids(audit_page(client, "?actor=example.org&action=decision.")) == [by_li.id, by_wang.id]
    assert by_wang.id not in listed_ids(audit_page(client, "?actor=李"))


def test_percent_and_underscore_in_the_person_filter_are_plain_characters(client, reader, two_people, school):
    add_event("decision.publish", actor=two_people[0], school=school)

    assert listed_ids(audit_page(client, "?actor=%25")) == []
    assert listed_ids(audit_page(client, "?actor=_")) == []


def test_filter_by_one_action(client, reader, school):
    published = add_event("decision.publish", school=school)
    add_event("decision.draft", school=school)

    page = audit_page(client, "?action=decision.publish")

    assert listed_ids(page) == [published.id]
    assert '<option value="decision.publish" selected>' in page


def test_filter_by_a_family_of_actions(client, reader, school):
    published = add_event("decision.publish", school=school)
    drafted = add_event("decision.draft", school=school)
    add_event("meeting.create", object_type="Meeting", school=school)

    assert listed_ids(audit_page(client, "?action=decision.")) == [drafted.id, published.id]
    # Typed into the address without its dot, the prefix works too, and the form shows it.
    page = audit_page(client, "?action=decision")
    assert listed_ids(page) == [drafted.id, published.id]
    assert '<option value="decision" selected>decision</option>' in page


def test_an_action_nobody_recorded_finds_nothing(client, reader, school):
    add_event("decision.publish", school=school)

    page = audit_page(client, "?action=decision.burn")

    assert listed_ids(page) == []
    assert "No event in your area matches these filters." in page


def test_the_action_filter_offers_each_recorded_action_with_its_label(client, reader, school):
    add_event("decision.publish", school=school)

    page = audit_page(client)

    assert '<option value="decision.publish" >Decision published (decision.publish)</option>' in page
    assert '<option value="decision." >' in page


def test_filter_by_kind_of_record_and_its_number(client, reader, school):
    # Numbers no row has: the fixtures' own records (a school, a membership, ...) are logged too,
    # and on PostgreSQL their ids follow the sequences, so a small number may well be one of them.
    seven, eight = 900_000_007, 900_000_008
    decision_7 = add_event("decision.publish", object_type="Decision", object_id=seven, school=school)
    decision_8 = add_event("decision.publish", object_type="Decision", object_id=eight, school=school)
    meeting_7 = add_event("meeting.create", object_type="Meeting", object_id=seven, school=school)

    assert listed_ids(audit_page(client, f"?object=Decision&object_id={seven}")) == [decision_7.id]
    assert listed_ids(audit_page(client, "?object=Decision")) == [decision_8.id, decision_7.id]
    assert listed_ids(audit_page(client, f"?object_id={seven}")) == [meeting_7.id, decision_7.id]


def test_a_record_number_nobody_has_finds_nothing(client, reader, school):
    add_event("decision.publish", object_id=7, school=school)

    assert listed_ids(audit_page(client, "?object=Decision&object_id=999999")) == []
    assert listed_ids(audit_page(client, "?object=NoSuchThing")) == []


def test_dates_are_days_in_beijing(client, reader, school):
    # 23:59 and 00:00 in Beijing (UTC+8) on either side of midnight between 1 and 2 March.
    late_on_the_first = add_event(school=school, at=datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    early_on_the_second = add_event(school=school, at=datetime(2026, 3, 1, 16, 0, tzinfo=UTC))
    on_the_third = add_event(school=school, at=datetime(2026, 3, 3, 4, 0, tzinfo=UTC))

    assert listed_ids(audit_page(client, "?to=2026-03-01&object=Decision")) == [late_on_the_first.id]
    assert listed_ids(audit_page(client, "?from=2026-03-02&to=2026-03-02&object=Decision")) == [early_on_the_second.id]
    assert listed_ids(audit_page(client, "?from=2026-03-02&object=Decision")) == [
        on_the_third.id,
        early_on_the_second.id,
    ]
    assert listed_ids(audit_page(client, "?from=2026-03-04&to=2026-03-01")) == []


def test_filter_by_school(client, reader, school, other_school):
    here = add_event("decision.publish", school=school)
    add_event("decision.publish", school=other_school)

    page = audit_page(client, f"?school={school.id}")

    assert here.id in listed_ids(page)
    assert listed_ids(audit_page(client, f"?school={school.id}&action=decision.")) == [here.id]
    assert f'<option value="{school.id}" selected>' in page


def test_filters_combine(client, reader, two_people, school, other_school):
    wang, li = two_people
    wanted = add_event("decision.publish", actor=wang, object_id=5, school=school)
    add_event("decision.publish", actor=li, object_id=5, school=school)
    add_event("decision.publish", actor=wang, object_id=5, school=other_school)
    add_event("decision.draft", actor=wang, object_id=5, school=school)

    page = audit_page(client, f"?actor=wang&action=decision.publish&object=Decision&object_id=5&school={school.id}")

    assert listed_ids(page) == [wanted.id]


@pytest.mark.parametrize(
    "query",
    [
        "?school=abc",
        "?school=-1",
        "?school=99999999999999999999",
        "?object_id=1e3",
        "?object_id=%00",
        "?from=2026-02-30",
        "?from=20260301",
        "?to=0001-01-01",
        "?to=9999-12-31",
        "?from=２０２６-０３-０１",
        "?before=abc",
        "?after=-5",
        "?before=99999999999999",
        "?actor=" + "很长" * 500,
        "?actor=<script>alert(1)</script>",
        "?actor=%00%1b%0a",
        "?action=%00",
        "?action=" + "x" * 500,
        "?object=<script>alert(1)</script>",
        "?actor=&action=&object=&object_id=&from=&to=&school=",
    ],
)
def test_bad_filter_values_never_break_the_log(client, reader, school, query):
    add_event("decision.publish", school=school)

    response = client.get(f"/audit{query}", headers=ENGLISH)
    export = client.get(f"/audit.csv{query}")

    assert response.status_code == 200
    assert export.status_code == 200
    export.get_data()  # the stream runs to its end
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_a_date_that_is_not_one_is_pointed_out_and_ignored(client, reader, school):
    event = add_event("decision.publish", school=school)

    page = audit_page(client, "?from=2026-02-30")

    assert event.id in listed_ids(page)
    assert 'aria-invalid="true" aria-describedby="filter-from-error"' in page
    assert "Not a date" in page


def test_an_end_before_the_start_is_pointed_out_beside_the_end(client, reader, school):
    add_event("decision.publish", school=school)

    page = audit_page(client, "?from=2026-12-05&to=2026-12-01")

    assert listed_ids(page) == []
    assert 'aria-invalid="true" aria-describedby="filter-to-error"' in page
    assert "The end is before the start, so no event can match. Change one of the two dates." in page
    assert 'value="2026-12-01"' in page and 'value="2026-12-05"' in page  # as typed
    assert "filter-from-error" not in page


def test_an_unknown_school_finds_nothing_rather_than_everything(client, reader, school):
    add_event("decision.publish", school=school)

    for query in ("?school=999999", "?school=0", "?object_id=0"):
        page = audit_page(client, query)
        assert listed_ids(page) == [], query
        assert 'href="/audit">Show every event</a>' in page


def test_filters_are_a_plain_get_form_that_works_without_javascript(client, reader, school):
    page = audit_page(client)

    form = re.search(r'<form [^>]*action="/audit"[^>]*>', page).group(0)
    assert 'method="get"' in form and 'role="search"' in form
    for name, field_id in (
        ("actor", "filter-actor"),
        ("action", "filter-action"),
        ("object", "filter-object"),
        ("object_id", "filter-object-id"),
        ("from", "filter-from"),
        ("to", "filter-to"),
        ("school", "filter-school"),
    ):
        assert f'<label for="{field_id}">' in page
        assert f'id="{field_id}" name="{name}"' in page
    assert '<button type="submit"' in page


def test_htmx_filtering_gets_only_the_results(client, reader, school):
    published = add_event("decision.publish", school=school)
    add_event("decision.draft", school=school)

    response = client.get("/audit?action=decision.publish", headers={**ENGLISH, **HTMX, "HX-Target": "audit-results"})
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert re.match(r'\s*<section id="audit-results"', page)
    assert "<html" not in page
    assert listed_ids(page) == [published.id]
    assert 'href="/audit.csv?action=decision.publish"' in page
    assert {"HX-Request", "HX-Target"} <= set(response.vary)


def test_fifty_events_a_page_newest_first_with_links_to_older_and_newer(client, db, reader, school):
    events = [add_event("meeting.update", object_type="Meeting", object_id=n, school=school) for n in range(120)]
    newest_first = [event.id for event in reversed(events)]
    query = "?action=meeting.update"

    first = audit_page(client, query)
    assert listed_ids(first) == newest_first[:50]
    older = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    assert older == f"/audit?action=meeting.update&before={newest_first[49]}"
    assert 'rel="prev"' not in first

    second = audit_page(client, older.removeprefix("/audit"))
    assert listed_ids(second) == newest_first[50:100]
    third = audit_page(
        client, html.unescape(re.search(r'<a rel="next" href="([^"]+)"', second).group(1)).removeprefix("/audit")
    )
    assert listed_ids(third) == newest_first[100:]
    assert 'rel="next"' not in third

    newer = html.unescape(re.search(r'<a rel="prev" href="([^"]+)"', third).group(1))
    assert listed_ids(audit_page(client, newer.removeprefix("/audit"))) == newest_first[50:100]


def test_events_recorded_while_reading_do_not_shift_the_older_pages(client, reader, school):
    events = [add_event("meeting.update", object_type="Meeting", object_id=n, school=school) for n in range(60)]
    first = audit_page(client, "?action=meeting.update")
    older = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))

    add_event("meeting.update", object_type="Meeting", object_id=99, school=school)

    assert listed_ids(audit_page(client, older.removeprefix("/audit"))) == [event.id for event in reversed(events[:10])]


def test_each_event_says_when_who_what_to_which_record_where_and_the_details(client, reader, make_user, school):
    board_member = make_user(email="liu.yang@example.org", display_name="刘洋")
    event = add_event(
        "school.update",
        actor=board_member,
        object_type="School",
        object_id=school.id,
        school=school,
        at=datetime(2026, 3, 1, 16, 5, 9, tzinfo=UTC),
        ip="203.0.113.7",
        changes={
            "phone": {"before": "", "after": "023-1234"},
            "address": {"before": "旧路 1 号", "after": "<script>alert(1)</script>"},
        },
    )

    row = event_row(audit_page(client), event.id)

    when = re.search(r'<time datetime="([^"]+)">(.*?)</time>', row)
    assert when.group(1) == "2026-03-01T16:05:09+00:00"
    assert re.sub(r"<[^>]+>", "", when.group(2)) == "2026-03-02 00:05:09"  # Beijing time
    assert "刘洋" in row and "liu.yang@example.org" in row
    assert "School profile changed" in row and '<code class="audit-action">school.update</code>' in row
    assert f'<a href="/schools/{school.slug}">School {school.id}</a>' in row
    assert school.name_en in row
    assert "<dt>Phone</dt> <dd>— → 023-1234</dd>" in row
    assert "<dd>旧路 1 号 → &lt;script&gt;alert(1)&lt;/script&gt;</dd>" in row
    assert "<dd>203.0.113.7</dd>" in row
    assert "<script>" not in row


def test_a_published_decision_is_linked_to_its_page_and_a_draft_is_not(client, reader, school):
    decision = insert_published(school)
    published = add_event("decision.publish", object_id=decision.id, school=school)
    drafted = add_event("decision.draft", object_id=999999, school=school)

    page = audit_page(client)

    assert f'<a href="/decisions/{decision.id}">Decision {decision.id}</a>' in event_row(page, published.id)
    assert "<a " not in event_row(page, drafted.id)


def test_an_event_without_account_or_record_says_so(client, reader, db):
    event = add_event(
        "user.login_failed",
        object_type="",
        object_id=None,
        ip="198.51.100.4",
        email="nobody@example.org",
        reason="credentials",
    )

    row = event_row(audit_page(client), event.id)

    assert "No account" in row
    assert "Failed login" in row
    assert "<dd>nobody@example.org</dd>" in row


def test_a_long_value_is_cut_short_on_the_page(client, reader, school):
    event = add_event("decision.edit", school=school, note="长" * 1000)

    row = event_row(audit_page(client), event.id)

    assert "长" * 299 + "…" in row
    assert "长" * 300 not in row


def test_the_page_takes_the_same_number_of_queries_with_10_or_200_events(
    client, db, reader, make_user, school, other_school, count_queries
):
    people = [make_user() for _ in range(5)]
    people_ids = [person.id for person in people]
    decision_id = insert_published(school).id

    def record(count):
        for n in range(count):
            kind = n % 4
            if kind == 0:
                add_event(
                    "decision.publish",
                    actor=people[n % 5],
                    object_id=decision_id,
                    school=school,
                    votes=[5, 0, 1],
                    commit=False,
                )
            elif kind == 1:
                add_event(
                    "meeting.update",
                    actor=people[n % 5],
                    object_type="Meeting",
                    object_id=n,
                    school=other_school,
                    changes={"place": {"before": "A", "after": "B"}},
                    commit=False,
                )
            elif kind == 2:
                add_event(
                    "charter.adopt",
                    actor=people[n % 5],
                    object_type="CharterVersion",
                    object_id=n,
                    school=school,
                    number=1,
                    commit=False,
                )
            else:
                add_event(
                    "user.login_failed", object_type="User", object_id=people_ids[n % 5], ip="203.0.113.1", commit=False
                )
        db.session.commit()

    def measure():
        with count_queries() as page_queries:
            page = audit_page(client)
        with count_queries() as htmx_queries:
            audit_page(client, "?action=decision.", **HTMX, **{"HX-Target": "audit-results"})
        with count_queries() as export_queries:
            client.get("/audit.csv").get_data()
        return page, len(page_queries), len(htmx_queries), len(export_queries)

    record(10)
    _, few_page, few_htmx, few_export = measure()
    record(190)
    page, many_page, many_htmx, many_export = measure()

    assert len(listed_ids(page)) == 50
    assert (many_page, many_htmx, many_export) == (few_page, few_htmx, few_export)
    # The account; the recorded actions and kinds of record (the filters), the schools in
    # scope; the page; the decisions and charter versions on it that have public pages; the
    # actors' staff badges (one query for all); the header's count of unread notifications.
    assert many_page <= 9, many_page
    assert many_htmx <= 5, many_htmx  # the account, the recorded actions, the page, its decisions, badges
    assert many_export <= 3, many_export  # the account, the recorded actions, the events


# In Chinese, nothing of the log's own vocabulary is shown as a raw English key.

CHINESE = {"Accept-Language": "zh-CN"}


def test_recorded_details_are_named_in_the_readers_language(client, reader, school, compiled_catalogues):
    event = add_event(
        "response.hide", object_type="Response", object_id=5, school=school, consultation=1, state="hidden"
    )

    row = event_row(audit_page(client, **CHINESE), event.id)

    assert "<dt>意见征集编号</dt> <dd>1</dd>" in row
    assert "<dt>consultation</dt>" not in row
    assert "<dt>状态</dt> <dd>已隐藏</dd>" in row  # the stored value "hidden", in words


def test_changed_fields_are_named_in_the_readers_language_and_a_name_is_kept_as_recorded(client, reader, school):
    event = add_event(
        "meeting.attendance",
        object_type="Meeting",
        school=school,
        changes={"王敏": {"before": False, "after": True}, "place": {"before": "三楼", "after": "四楼"}},
    )

    row = event_row(audit_page(client), event.id)

    assert "<dt>王敏</dt> <dd>no → yes</dd>" in row
    assert "<dt>Place</dt> <dd>三楼 → 四楼</dd>" in row


def test_the_action_filter_groups_actions_under_words_not_keys(client, reader, school, compiled_catalogues):
    add_event("decision.publish", school=school)
    add_event("consultation.approve", object_type="Consultation", school=school)

    page = audit_page(client, **CHINESE)

    assert '<optgroup label="决定">' in page and '<optgroup label="意见征集">' in page
    assert "决定：全部操作（decision.*）" in page
    assert 'label="decision"' not in page and "authority 类" not in page
