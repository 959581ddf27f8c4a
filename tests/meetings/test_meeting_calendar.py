"""The iCalendar feed of a school's meetings (RFC 5545), read back the way a calendar app reads it."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.clock import utcnow
from portal.meetings import calendar, services
from tests.helpers.pages import ENGLISH


def unfold(text: str) -> list[str]:
    """Content lines, each continuation line (CRLF + space) joined to the line before."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    lines = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for ch in chars:
        if ch == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(ch)
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """The VEVENTs of a calendar, each as {property name: unescaped value}."""
    events, current = [], None
    for line in unfold(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            current[name] = unescape(value) if name in {"SUMMARY", "LOCATION", "DESCRIPTION"} else value
    return events


def feed(client, school, headers=ENGLISH):
    response = client.get(f"/schools/{school.slug}/meetings.ics", headers=headers)
    assert response.status_code == 200
    return response


def test_feed_is_an_utf8_calendar_with_crlf_lines(client, school, board, past_meeting):
    response = feed(client, school)

    raw = response.get_data()
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{school.slug}-meetings.ics"'
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare line feeds
    raw.decode("utf-8")


def test_every_line_is_at_most_75_octets_and_never_splits_a_character(client, db, school, board, make_meeting):
    make_meeting(
        school,
        board,
        title="关于审议2026学年度学校工作计划、食堂膳食管理、校服采购方案和课后服务安排的校务委员会全体会议" * 2,
        starts_at=utcnow() + timedelta(days=3),
        place="重庆市渝中区解放东路118号学校行政楼三楼第一会议室（请从东门进入）",
    )

    raw = feed(client, school).get_data()

    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # each physical line is whole UTF-8 on its own
    (event,) = parse(raw.decode("utf-8"))
    assert event["SUMMARY"].endswith("校务委员会全体会议")
    assert event["LOCATION"] == "重庆市渝中区解放东路118号学校行政楼三楼第一会议室（请从东门进入）"


def test_event_carries_uid_times_summary_location_and_url(app, client, school, board, make_meeting):
    meeting = make_meeting(
        school,
        board,
        title="第四次会议",
        starts_at=datetime(2099, 12, 15, 7, 30, tzinfo=UTC),
        agenda=["审议工作计划"],
    )

    (event,) = parse(feed(client, school).get_data(as_text=True))

    assert event["UID"] == f"meeting-{meeting.id}@portal.test"
    assert event["DTSTART"] == "20991215T073000Z"
    assert event["DURATION"] == "PT2H"
    assert event["SUMMARY"] == "校务委员会: 第四次会议"
    assert event["LOCATION"] == "学校三楼会议室"
    assert event["URL"] == f"https://portal.test/meetings/{meeting.id}"
    assert "审议工作计划" in event["DESCRIPTION"]
    stamp = datetime.strptime(event["DTSTAMP"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(stamp - meeting.updated_at) < timedelta(seconds=1)


def test_text_is_escaped_and_comes_back_unchanged(client, school, board, make_meeting):
    title = 'A, B; C\\D "引号"'
    place = "一楼,二楼;\n三楼"
    make_meeting(school, board, title=title, place=place, starts_at=utcnow() + timedelta(days=1))

    text = feed(client, school).get_data(as_text=True)

    assert "A\\, B\\; C\\\\D" in text
    assert "一楼\\,二楼\\;\\n三楼" in text
    (event,) = parse(text)
    assert event["SUMMARY"] == f"校务委员会: {title}"
    assert event["LOCATION"] == place


def test_uid_stays_the_same_from_one_download_to_the_next(client, school, board, make_meeting):
    make_meeting(school, board, starts_at=utcnow() + timedelta(days=2))

    first = parse(feed(client, school).get_data(as_text=True))
    second = parse(
        feed(client, school, headers={"Accept-Language": "zh-CN", "Host": "portal.test:8080"}).get_data(as_text=True)
    )

    assert [event["UID"] for event in first] == [event["UID"] for event in second]


def test_uid_and_url_rest_on_the_public_address_not_on_the_name_the_request_used(
    app, client, school, board, make_meeting, monkeypatch
):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["portal.test", "portal.intranet"])
    meeting = make_meeting(school, board, starts_at=utcnow() + timedelta(days=2))

    text = feed(client, school, headers={**ENGLISH, "Host": "portal.intranet"}).get_data(as_text=True)

    (event,) = parse(text)
    assert event["UID"] == f"meeting-{meeting.id}@portal.test"
    assert event["URL"] == f"https://portal.test/meetings/{meeting.id}"
    assert "portal.intranet" not in text


def test_feed_holds_upcoming_meetings_and_those_of_the_last_90_days(client, school, board, make_meeting):
    now = utcnow()
    make_meeting(school, board, title="下个月", starts_at=now + timedelta(days=30))
    make_meeting(school, board, title="上个月", starts_at=now - timedelta(days=30))
    make_meeting(school, board, title="半年前", starts_at=now - timedelta(days=180))

    summaries = [event["SUMMARY"] for event in parse(feed(client, school).get_data(as_text=True))]

    assert summaries == ["校务委员会: 上个月", "校务委员会: 下个月"]


def test_feed_holds_only_this_school_s_meetings(client, school, other_school, board, make_body, make_meeting):
    make_meeting(other_school, make_body(other_school), title="别校会议", starts_at=utcnow() + timedelta(days=1))

    assert parse(feed(client, school).get_data(as_text=True)) == []


@pytest.mark.parametrize(
    "line",
    ["", "a" * 75, "a" * 76, "审" * 30, "a" + "审" * 40, "ab" + "😀" * 30, "x" * 300],
)
def test_folding_keeps_lines_within_75_octets_and_unfolds_to_the_original(line):
    folded = calendar.fold(line)

    for physical in folded.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
    assert folded.replace("\r\n ", "") == line


def test_text_escaping_follows_rfc_5545():
    assert calendar.escape_text("a\\b;c,d\r\ne\nf\x07") == "a\\\\b\\;c\\,d\\ne\\nf"


@pytest.mark.parametrize("minutes, value", [(120, "PT2H"), (90, "PT1H30M"), (45, "PT45M"), (0, "PT0M")])
def test_durations(minutes, value):
    assert calendar.duration_value(timedelta(minutes=minutes)) == value


def test_default_meeting_length_is_two_hours():
    assert services.DEFAULT_MEETING_DURATION == timedelta(hours=2)
