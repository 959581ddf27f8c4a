"""Atom feeds of published decisions: /feeds/decisions.atom (every school) and
/schools/<slug>/feed.atom (one school), for feed readers and anyone who follows a school."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from portal.decisions import feeds
from tests.helpers.pages import ENGLISH

ATOM = "{http://www.w3.org/2005/Atom}"


def read_feed(client, address: str, **headers) -> ET.Element:
    response = client.get(address, headers={**ENGLISH, **headers})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.data)


def entries(feed: ET.Element) -> list[dict]:
    return [
        {
            "id": entry.findtext(f"{ATOM}id"),
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


def test_archive_feed_lists_the_latest_decisions_of_every_school(client, add_published, school, other_school):
    older = add_published(school, title="关于校服采购的决定", published_at=datetime(2026, 3, 1, 8, tzinfo=UTC))
    newer = add_published(other_school, title="关于课后服务的决定", published_at=datetime(2026, 4, 1, 8, tzinfo=UTC))

    feed = read_feed(client, "/feeds/decisions.atom")

    assert feed.findtext(f"{ATOM}title") == "Decisions of Chongqing's schools"
    assert feed.findtext(f"{ATOM}updated") == "2026-04-01T08:00:00+00:00"
    assert entries(feed) == [
        {
            "id": f"tag:portal.test,2026:decision/{newer.id}",
            "title": f"{newer.number} 关于课后服务的决定",
            "link": f"https://portal.test/decisions/{newer.id}",
            "updated": "2026-04-01T08:00:00+00:00",
            "summary": "为保障学生饮食安全，决定如下： 每学期组织家长代表陪餐检查不少于两次。 检查结果在校园网公示。",
            "author": other_school.name_en,
        },
        {
            "id": f"tag:portal.test,2026:decision/{older.id}",
            "title": f"{older.number} 关于校服采购的决定",
            "link": f"https://portal.test/decisions/{older.id}",
            "updated": "2026-03-01T08:00:00+00:00",
            "summary": "为保障学生饮食安全，决定如下： 每学期组织家长代表陪餐检查不少于两次。 检查结果在校园网公示。",
            "author": school.name_en,
        },
    ]


def test_feed_links_to_itself_and_to_the_archive(client, db):
    feed = read_feed(client, "/feeds/decisions.atom")

    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": "https://portal.test/feeds/decisions.atom", "alternate": "https://portal.test/decisions"}


def test_school_feed_lists_only_that_schools_decisions(client, add_published, school, other_school):
    own = add_published(school, title="本校的决定")
    add_published(other_school, title="别校的决定")

    feed = read_feed(client, f"/schools/{school.slug}/feed.atom")

    assert feed.findtext(f"{ATOM}title") == f"Decisions of {school.name_en}"
    assert [entry["title"] for entry in entries(feed)] == [f"{own.number} 本校的决定"]
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["alternate"] == f"https://portal.test/decisions?school={school.id}"


def test_feeds_carry_superseded_decisions_but_never_drafts(client, make_published, make_draft):
    earlier = make_published()
    later = make_published(title="关于修订食堂管理办法的决定", replaces_id=earlier.id, replaces_how="supersedes")
    make_draft(title="尚未发布的草稿")

    titles = [entry["title"] for entry in entries(read_feed(client, "/feeds/decisions.atom"))]

    assert titles == [f"{later.number} 关于修订食堂管理办法的决定", f"{earlier.number} 关于加强学校食堂管理的决定"]


def test_feed_keeps_to_the_latest_fifty(client, db, add_published, school, count_queries):
    for n in range(55):
        add_published(school, title=f"第{n}号决定", commit=False)
    db.session.commit()
    db.session.remove()

    with count_queries() as queries:
        feed = read_feed(client, f"/schools/{school.slug}/feed.atom")

    titles = [entry["title"] for entry in entries(feed)]
    assert len(titles) == 50
    assert titles[0].endswith("第54号决定")
    assert len(queries) <= 2, "\n".join(queries)  # the school, and its decisions


def test_feed_entry_ids_do_not_depend_on_the_host_name_a_reader_used(client, add_published):
    decision = add_published()

    by_name = entries(read_feed(client, "/feeds/decisions.atom"))
    by_other_name = entries(read_feed(client, "http://portal.test:8080/feeds/decisions.atom"))

    assert by_name[0]["id"] == by_other_name[0]["id"] == f"tag:portal.test,2026:decision/{decision.id}"


def test_empty_feed_is_valid_and_does_not_change(client, db):
    first = client.get("/feeds/decisions.atom")
    second = client.get("/feeds/decisions.atom")

    feed = ET.fromstring(first.data)
    assert feed.findall(f"{ATOM}entry") == []
    assert first.data == second.data


def test_feed_reader_gets_304_while_nothing_new_is_published(client, add_published):
    add_published()
    first = client.get("/feeds/decisions.atom")

    again = client.get("/feeds/decisions.atom", headers={"If-None-Match": first.headers["ETag"]})
    add_published(title="新发布的决定")
    after_news = client.get("/feeds/decisions.atom", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert after_news.status_code == 200


def test_feed_drops_characters_that_xml_forbids(client, add_published):
    add_published(title="关于\x0b校车\x1b安全的决定", body="正文\x1b含有\x08控制字符")

    feed = read_feed(client, "/feeds/decisions.atom")

    (entry,) = entries(feed)
    assert entry["title"].endswith(" 关于校车安全的决定")
    assert entry["summary"] == "正文含有控制字符"


def test_feed_summary_is_a_plain_excerpt_without_markdown_or_tags(client, add_published):
    add_published(body="# 总则\n\n**加粗**的<script>alert(1)</script>文字" + "很长" * 300)

    (entry,) = entries(read_feed(client, "/feeds/decisions.atom"))

    assert entry["summary"].startswith("总则 加粗的<script>alert(1)</script>文字")  # plain text, escaped in the XML
    assert len(entry["summary"]) <= 300
    assert entry["summary"].endswith("…")


def test_feed_of_an_unknown_school_is_not_found(client, db):
    assert client.get("/schools/no-such-school/feed.atom").status_code == 404


def test_tag_uri_uses_the_configured_host():
    assert (
        feeds.tag_uri("https://jiaoyu.cq.example:8443/portal", "decision/7") == "tag:jiaoyu.cq.example,2026:decision/7"
    )


@pytest.mark.parametrize(
    "text, expected", [("a\x00b\x1fc", "abc"), ("tab\tnew\nline", "tab\tnew\nline"), ("\ufffe\uffff", "")]
)
def test_xml_text_keeps_only_what_xml_allows(text, expected):
    assert feeds.xml_text(text) == expected


def test_raw_feed_is_utf8_and_declares_it(client, add_published):
    add_published(title="关于校服的决定")

    body = client.get("/feeds/decisions.atom").data

    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "关于校服的决定".encode() in body
    assert re.search(rb'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="(zh-CN|en)">', body)


def test_feed_summary_keeps_figures_at_the_start_of_a_line(client, add_published):
    add_published(body="2026年9月1日起施行。\n\n1. 3名家长代表参加。")

    (entry,) = entries(read_feed(client, "/feeds/decisions.atom"))

    assert entry["summary"] == "2026年9月1日起施行。 3名家长代表参加。"


def test_feed_links_use_the_public_address_whichever_trusted_name_a_reader_used(
    app, client, add_published, monkeypatch
):
    # A second name the portal answers to (PORTAL_TRUSTED_HOSTS), such as an intranet address.
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["portal.test", "portal.intranet"])
    decision = add_published()

    response = client.get("/feeds/decisions.atom", headers={"Host": "portal.intranet"})

    body = response.get_data(as_text=True)
    assert f"https://portal.test/decisions/{decision.id}" in body
    assert "portal.intranet" not in body
