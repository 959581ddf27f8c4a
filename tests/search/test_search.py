"""/search: what parents type finds what is public, in Chinese, pinyin and English; what is not
public is never found; what they type never becomes HTML and never breaks the page."""

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import event, func, inspect, select

from portal.consultations import services as consultation_services
from portal.consultations.models import Phase
from portal.decisions import services as decision_services
from portal.extensions import db as _db
from portal.schools import services as school_services
from portal.search import segment, services
from portal.search.models import Kind, SearchEntry
from tests.helpers import factories
from tests.helpers.consultations import create_consultation
from tests.helpers.decisions import publishable_drafts

CANTEEN = "关于加强学校食堂管理的决定"
CANTEEN_BODY = "为保障学生饮食安全，学校食堂每学期组织家长代表陪餐检查不少于两次，检查结果在校园网公示。"
UNIFORM = "关于学生校服采购方案的意见征集"
SECRET_DRAFT = "关于试行弹性离校制度的决定"


def _draft_data(decision) -> dict:
    keep = ("meeting_id", "votes_for", "votes_against", "votes_abstain", "effective_on")
    return {name: getattr(decision, name) for name in keep}


@pytest.fixture(scope="module")
def world(app, module_db):
    """A district with 解放路小学 (and an English-named school elsewhere), a published canteen
    decision, a draft, an approved uniform consultation and one still waiting for approval."""
    city = factories.authority(**factories.CITY)
    district = factories.authority(**factories.DISTRICT, parent=city)
    other = factories.authority(**factories.OTHER_DISTRICT, parent=city)
    school = factories.school(
        district, slug="jiefang-road", name_zh="重庆市渝中区解放路小学", name_en="Jiefang Road Primary School, Yuzhong"
    )
    elsewhere = factories.school(other, slug="riverside", name_zh="测试滨江中学", name_en="Riverside Middle School")
    with app.test_request_context():
        canteen, draft = publishable_drafts(school, 2)
        for decision, title, body in ((canteen, CANTEEN, CANTEEN_BODY), (draft, SECRET_DRAFT, "弹性离校试行方案。")):
            decision_services.update_draft(None, decision, {**_draft_data(decision), "title": title, "body": body})
        decision_services.publish_decision(None, canteen, now=datetime(2026, 3, 3, tzinfo=UTC))
        module_db.session.commit()
    uniform = create_consultation(school, Phase.OPEN, title=UNIFORM, summary="学校拟重新招标采购校服。")
    canteen_talk = create_consultation(school, Phase.OPEN, title="关于学生午餐和食堂管理的意见征集")
    waiting = create_consultation(school, Phase.SUBMITTED, title="关于食堂承包商更换的意见征集（待审）")
    return {
        "school": school,
        "elsewhere": elsewhere,
        "district": district,
        "canteen": canteen,
        "draft": draft,
        "uniform": uniform,
        "canteen_talk": canteen_talk,
        "waiting": waiting,
    }


@pytest.fixture
def db(world, savepoint_db):
    return savepoint_db


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """Publishing renders the same PDFs in every module: once per run."""


def search_page(client, **args):
    response = client.get("/search?" + urlencode(args))
    return response, response.get_data(as_text=True)


def found_titles(query, **filters) -> list[str]:
    return [hit.entry.title for hit in services.search(query, services.Filters(**filters)).hits]


def test_canteen_finds_the_decision_and_the_consultation_with_the_word_highlighted(app, client, world):
    response, page = search_page(client, q="食堂")

    assert response.status_code == 200
    assert CANTEEN in page.replace("<mark>", "").replace("</mark>", "")
    assert "关于学生午餐和<mark>食堂</mark>管理的意见征集" in page
    assert "<mark>食堂</mark>" in page
    assert f'/decisions/{world["canteen"].id}"' in page
    assert f'/consultations/{world["canteen_talk"].id}"' in page


def test_uniform_finds_the_uniform_consultation(app, world):
    assert UNIFORM in found_titles("校服")


def test_one_character_and_a_two_character_word_inside_a_sentence_both_match(app, world):
    assert CANTEEN in found_titles("陪餐")  # inside the body, a word the segmenter may cut otherwise
    assert CANTEEN in found_titles("餐")
    assert CANTEEN in found_titles("学校食堂管理")  # several words, all required


@pytest.mark.parametrize("query", ["jiefang", "jfl", "jie fang lu", "JieFang", "解放路小学", "解放路"])
def test_the_school_is_found_by_pinyin_initials_syllables_and_its_short_name(app, world, query):
    assert "重庆市渝中区解放路小学" in found_titles(query, kind=Kind.SCHOOL)


def test_english_names_are_searched_too(app, world):
    assert found_titles("riverside middle") == ["测试滨江中学"]
    assert "重庆市渝中区解放路小学" in found_titles("Jiefang Road")


def test_words_found_nowhere_say_what_to_try(app, client, world):
    response, page = search_page(client, q="潜水艇")

    assert response.status_code == 200
    assert "Nothing found" in page or "没有找到" in page
    assert "jiefang" in page


@pytest.mark.parametrize(("language", "told_records_are_in_chinese"), [("en", True), ("zh", False)], ids=["en", "zh"])
def test_an_english_reader_who_finds_nothing_is_told_the_records_are_written_in_chinese(
    app, client, world, language, told_records_are_in_chinese
):
    response = client.get("/search?" + urlencode({"q": "canteen"}), headers={"Accept-Language": language})
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert ("English words find only schools' English names" in page) is told_records_are_in_chinese
    tips = re.search(r"<ul>(.*?)</ul>", page.split('id="search-results"')[1], re.S).group(1)
    # A list of things to try, each item as it is, with no semicolon or full stop left hanging.
    assert not re.search(r"[;；.。]\s*</li>", tips)


def test_a_draft_decision_is_not_found_until_it_is_published_then_on_the_next_request(app, client, db, world):
    assert found_titles("弹性离校") == []
    _, page = search_page(client, q="弹性离校")
    assert SECRET_DRAFT not in page

    with app.test_request_context():  # publishing renders the PDF with the request's language
        decision_services.publish_decision(None, db.session.get(type(world["draft"]), world["draft"].id))
        db.session.commit()

    _, page = search_page(client, q="弹性离校")
    assert f'/decisions/{world["draft"].id}"' in page


def test_a_consultation_awaiting_approval_is_not_found_until_a_moderator_approves_it(app, db, world):
    assert found_titles("承包商") == []

    consultation_services.approve(None, db.session.get(type(world["waiting"]), world["waiting"].id))
    db.session.commit()

    assert found_titles("承包商") == ["关于食堂承包商更换的意见征集（待审）"]


def test_what_is_indexed_is_only_public(app, world):
    kinds = dict(_db.session.execute(select(SearchEntry.kind, func.count()).group_by(SearchEntry.kind)).all())
    assert kinds == {Kind.SCHOOL: 2, Kind.DECISION: 1, Kind.CONSULTATION: 2}


def test_a_script_typed_into_the_box_comes_back_escaped(app, client, world):
    response, page = search_page(client, q="<script>alert(1)</script> 食堂")

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_10000_character_query_gets_a_clear_message_beside_the_box(app, client, world):
    response, page = search_page(client, q="食" * 10_000)

    assert response.status_code == 422
    assert 'id="search-q-error"' in page
    assert "100" in page


def test_too_many_words_get_a_message_not_a_slow_search(app, client, world):
    response, page = search_page(client, q=" ".join(f"word{n}" for n in range(12)))

    assert response.status_code == 422
    assert 'id="search-q-error"' in page


@pytest.mark.parametrize("query", ['"', "食堂 OR", "AND", "*", "NEAR(食堂", "食堂'", "\\", "：；（）", "x\x00y", "---"])
def test_query_syntax_of_either_engine_is_only_text(app, client, world, query):
    response, _page = search_page(client, q=query)

    assert response.status_code == 200


def test_filters_narrow_by_kind_district_and_year(app, world):
    assert found_titles("食堂", kind=Kind.DECISION) == [CANTEEN]
    assert found_titles("食堂", authority=world["district"], year=2026, kind=Kind.DECISION) == [CANTEEN]
    assert found_titles("食堂", year=2019) == []
    assert found_titles("食堂", school=world["elsewhere"]) == []


@pytest.mark.parametrize("args", [{"kind": "nonsense"}, {"district": "²"}, {"year": "99999"}, {"page": "-1"}])
def test_nonsense_filters_are_ignored(app, client, world, args):
    response, page = search_page(client, q="食堂", **args)

    assert response.status_code == 200
    assert "<mark>食堂</mark>" in page


def test_htmx_gets_the_results_alone(app, client, world):
    response = client.get(
        "/search?" + urlencode({"q": "校服"}), headers={"HX-Request": "true", "HX-Target": "search-results"}
    )

    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<section id="search-results"')
    assert "<mark>校服</mark>" in page


def test_every_page_has_a_search_box_that_works_without_javascript(app, client, world):
    page = client.get("/schools").get_data(as_text=True)

    assert 'action="/search"' in page
    assert 'name="q"' in page


def test_a_school_renamed_is_found_by_its_new_name(app, db, world):
    school_services.update_school_profile(None, world["elsewhere"], {"name_zh": "测试嘉陵江中学"})
    db.session.commit()

    assert found_titles("嘉陵江", kind=Kind.SCHOOL) == ["测试嘉陵江中学"]
    assert found_titles("滨江", kind=Kind.SCHOOL) == []


def test_reindex_builds_the_same_index_again(app, db, world):
    before = found_titles("食堂")

    counts = services.reindex()
    db.session.commit()

    assert counts["decision"] == 1 and counts["school"] == 2 and counts["consultation"] == 2
    assert found_titles("食堂") == before


def test_anonymous_searches_are_rate_limited(app, client, world, rate_limits):
    app.config["PORTAL_SEARCH_LIMIT_PER_IP"] = "3 per minute"
    try:
        statuses = [search_page(client, q="食堂")[0].status_code for _ in range(4)]
    finally:
        app.config["PORTAL_SEARCH_LIMIT_PER_IP"] = "60 per minute;600 per hour"
    assert statuses == [200, 200, 200, 429]


def test_the_reindex_command_says_how_many_of_each_kind_it_indexed(app, world):
    result = app.test_cli_runner().invoke(args=["portal", "search", "reindex"])

    assert result.exit_code == 0, result.output
    assert "school 2" in result.output and "decision 1" in result.output
    assert "<mark>食堂</mark>" in str(services.search("食堂").hits[0].title)


def test_past_the_ranked_newest_matches_the_older_ones_follow_newest_first(app, db, world, monkeypatch):
    """A common word's matches: the newest RANK_MAX best first, then the older ones by date, each
    match on one page only (the same on both engines)."""
    monkeypatch.setattr(services, "RANK_MAX", 2)
    monkeypatch.setattr(services, "PER_PAGE", 2)
    bodies = ["图书馆" * 5, "图书馆开放。", "图书馆借阅。", "图书馆" * 3]  # oldest first
    for n, body in enumerate(bodies):
        services._put(Kind.DECISION, 900_000 + n, title=f"第{n}号", body=body, school=world["school"])
    pages = [[hit.entry.title for hit in services.search("图书馆", page=page).hits] for page in (1, 2)]
    assert pages == [["第3号", "第2号"], ["第1号", "第0号"]]
    assert services.search("图书馆").pages == 2


def test_on_postgresql_the_planner_settings_of_a_search_end_with_its_first_statement(app, db, world):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    assert found_titles("食堂")
    assert db.session.execute(select(func.current_setting("enable_seqscan"))).scalar() == "on"
    assert db.session.execute(select(func.current_setting("enable_indexscan"))).scalar() == "on"


def test_a_two_character_word_the_dictionary_does_not_know_is_found_by_its_pairs(app, db, world):
    """陪餐 and 餐检 are not in the dictionary: found as their pair of characters side by side (no
    positions), the same on both engines; the characters apart are not that word."""
    assert not segment.known_word("陪餐") and not segment.known_word("餐检")
    services._put(Kind.DECISION, 900_100, title="第一百号", body="食堂每周组织家长陪餐。", school=world["school"])
    services._put(Kind.DECISION, 900_101, title="第一百零一号", body="家长陪同就餐，检查食堂。", school=world["school"])

    assert sorted(found_titles("陪餐")) == sorted(["第一百号", CANTEEN])  # each engine ranks its own way
    assert found_titles("餐检") == [CANTEEN]


def test_a_longer_word_the_dictionary_does_not_know_is_found_only_where_it_is_written_whole(app, db, world):
    """陀岚泓's pairs (陀岚, 岚泓) both in a text that never says 陀岚泓 do not make it a match."""
    assert segment.query_terms("陀岚泓") == [segment.QueryTerm("陀岚泓", chinese=True)]
    services._put(Kind.DECISION, 900_110, title="第一百一十号", body="学生陀岚泓参加研学。", school=world["school"])
    services._put(Kind.DECISION, 900_111, title="第一百一十一号", body="韦陀岚，岚泓。", school=world["school"])

    assert found_titles("陀岚泓") == ["第一百一十号"]


def test_a_word_the_dictionary_does_not_know_is_found_at_the_end_of_long_minutes(app, db, world):
    """Long minutes hold more words than PostgreSQL keeps positions for (16,383): a word matched by
    its characters side by side was lost there; by its pairs it is found."""
    filler = "会议听取了校长关于本学期工作的报告，与会委员进行了认真讨论。" * 950  # about 28,500 characters
    body = filler + "会议决定下学期试行家长陪餐。"
    assert len(body) < services.INDEXED_TEXT_MAX and "陪餐" not in filler
    services._put(Kind.MINUTES, 900_120, title="校务委员会会议纪要", body=body, school=world["school"])

    assert "校务委员会会议纪要" in found_titles("陪餐")
    assert "校务委员会会议纪要" in found_titles("陪餐 报告")


@pytest.fixture
def count_statements(db):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    yield statements
    event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("walk_max", [3000, 3], ids=["the walk finds every match", "the walk falls short"])
def test_a_common_word_read_walking_the_newest_entries_gives_the_same_pages(
    app, db, world, monkeypatch, count_statements, walk_max
):
    """A word in most of the newest entries: its matches read walking the newest entries (or, when
    that walk does not find them all, from the index) give the pages the index gives, in at most
    five statements, on both engines."""
    monkeypatch.setattr(services, "RANK_MAX", 3)
    monkeypatch.setattr(services, "PER_PAGE", 3)
    monkeypatch.setattr(services, "COUNT_MAX", 6)
    school = world["school"]
    for n in range(8):
        services._put(Kind.DECISION, 900_200 + n, title=f"第{n}号", body="课后服务" * (1 + n % 3), school=school)
    services._put(Kind.DECISION, 900_300, title="另一件事", body="研学。", school=school)

    def pages():
        found = [services.search("课后服务", page=page) for page in (1, 2, 3)]
        return [[hit.entry.title for hit in results.hits] for results in found], found[0].by_kind

    monkeypatch.setattr(services, "COMMON_SAMPLE", 10**6)  # never common
    from_the_index = pages()
    monkeypatch.setattr(services, "COMMON_SAMPLE", 4)
    monkeypatch.setattr(services, "COMMON_WALK_MAX", walk_max)
    count_statements.clear()
    walking = services.search("课后服务")

    assert len(count_statements) <= 5, count_statements
    assert pages() == from_the_index
    assert [hit.entry.title for hit in walking.hits] == from_the_index[0][0]
    assert from_the_index[1] == {"decision": 7}  # COUNT_MAX + 1: "more than"


def test_a_search_reads_at_most_five_statements_and_not_the_words_of_the_entries_it_shows(
    app, db, world, count_statements
):
    db.session.expire_all()
    count_statements.clear()
    results = services.search("食堂 陪餐")

    assert results.hits and len(count_statements) <= 5, count_statements
    for hit in results.hits:
        assert {"terms", "search_vector"} <= inspect(hit.entry).unloaded
