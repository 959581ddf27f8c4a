"""Atom feeds (RFC 4287) of published decisions, written with feedgen from plain data.

- Entry ids never change: a tag: URI (RFC 4151) on the portal's configured host and the
  decision's id, not on whichever host name a request used, or readers would show every
  decision again after a move behind another proxy.
- XML 1.0 forbids most control characters; text people typed may hold some (pasted from a word
  processor), and lxml refuses the whole feed for one of them, so they are dropped.
- The output depends only on its input (the feed's `updated` is its newest entry's), so the
  same decisions give the same bytes and an ETag that readers can revalidate against.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
TAG_DATE = "2026"  # when the portal's host name was first used for these ids; fixed for good
# Not allowed in XML 1.0: C0 controls except tab, newline and return; surrogates; U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# When a feed has no entries yet: a fixed instant, so that an empty feed does not change.
EMPTY_FEED_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    decision_id: int
    title: str
    url: str
    published: datetime
    summary: str
    author: str


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value or "")


def tag_uri(public_url: str, specific: str) -> str:
    """A tag: URI such as tag:portal.example.cn,2026:decision/42."""
    host = urlsplit(public_url).hostname or "localhost"
    return f"tag:{host},{TAG_DATE}:{specific}"


def render_feed(
    *, feed_id: str, title: str, self_url: str, page_url: str, language: str, public_url: str, entries: list[Entry]
) -> bytes:
    """The feed as UTF-8 XML, entries in the order given (newest first)."""
    feed = FeedGenerator()
    feed.id(tag_uri(public_url, feed_id))
    feed.title(xml_text(title))
    feed.language(language)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.updated(max((entry.published for entry in entries), default=EMPTY_FEED_UPDATED))
    for entry in entries:
        item = feed.add_entry(order="append")
        item.id(tag_uri(public_url, f"decision/{entry.decision_id}"))
        item.title(xml_text(entry.title))
        item.link(href=entry.url, rel="alternate", type="text/html")
        item.published(entry.published)
        item.updated(entry.published)
        item.summary(xml_text(entry.summary))
        item.author(name=xml_text(entry.author))
    return feed.atom_str(pretty=True)
