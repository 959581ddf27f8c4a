"""The iCalendar feed (RFC 5545) of a school's meetings, written by hand: the format is small,
and what calendar apps choke on is exactly what this module takes care of.

- lines end with CRLF;
- lines longer than 75 octets are folded (CRLF and a space), never inside a UTF-8 sequence:
  a Chinese character is three octets, and a split one shows as garbage;
- TEXT values escape backslash, semicolon, comma and line breaks;
- times are in UTC ("Z"), so no VTIMEZONE is needed and every app agrees on the instant.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRODID = "-//Chongqing School Governance Portal//Meetings//ZH"
MAX_LINE_OCTETS = 75


@dataclass(frozen=True)
class Event:
    uid: str
    stamp: datetime  # when the event was last changed
    start: datetime
    duration: timedelta
    summary: str
    url: str
    location: str = ""
    description: str = ""


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545, 3.3.11): \\ ; , escaped, line breaks as \\n, other control
    characters dropped (they are not allowed in a content line)."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return "".join(ch for ch in value if ch == "\t" or ord(ch) >= 32 and ord(ch) != 127)


def fold(line: str) -> str:
    """One content line, folded into lines of at most 75 octets (RFC 5545, 3.1). Continuation
    lines start with a space, which counts towards their 75. Splits fall between characters."""
    parts, current, size = [], [], 0
    limit = MAX_LINE_OCTETS
    for ch in line:
        octets = len(ch.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += octets
    parts.append("".join(current))
    return "\r\n".join(parts)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def duration_value(duration: timedelta) -> str:
    """A DURATION (RFC 5545, 3.3.6) such as PT2H or PT1H30M."""
    minutes = max(int(duration.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours else "")


def _event_lines(event: Event) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{utc_stamp(event.stamp)}",
        f"LAST-MODIFIED:{utc_stamp(event.stamp)}",
        f"DTSTART:{utc_stamp(event.start)}",
        f"DURATION:{duration_value(event.duration)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append(f"URL:{event.url}")
    lines.append("END:VEVENT")
    return lines


def render_calendar(events: list[Event], *, name: str) -> str:
    """The whole calendar as text; encode it as UTF-8 to send."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
