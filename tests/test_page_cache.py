"""The page cache for visitors: what a visitor without an account reads is built once and served
from the cache; nobody's page (logged in, with a session, htmx) is ever kept or served from it,
and no kept page holds anybody's CSRF token. A browser that holds the page gets 304."""

import gzip
import os
import re

import pytest

from portal import page_cache
from portal.consultations.models import Phase
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.decisions import insert_published
from tests.helpers.pages import ENGLISH

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def cached(app, db):
    """The page cache on, empty, for this test."""
    cache = app.extensions["page_cache"]
    app.config["PORTAL_PAGE_CACHE"] = True
    cache.store.clear()
    page_cache.bump_version()
    yield cache
    app.config["PORTAL_PAGE_CACHE"] = False
    cache.store.clear()


def visit(app, path, **headers):
    """A visitor's request: a new browser without cookies each time."""
    return app.test_client(use_cookies=False).get(path, headers=headers)


def test_a_visitors_second_request_is_served_from_the_cache(app, cached, school):
    first = visit(app, f"/schools/{school.slug}", **ENGLISH)
    second = visit(app, f"/schools/{school.slug}", **ENGLISH)

    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "miss"
    assert second.headers["X-Cache"] == "hit"
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/schools",
        "/schools/{slug}",
        "/decisions",
        "/decisions/{decision}",
        "/consultations",
        "/consultations/{consultation}",
    ],
)
def test_public_pages_are_kept_without_anybodys_csrf_token_or_a_cookie(app, cached, school, path):
    decision = insert_published(school)
    consultation = create_consultation(school)
    address = path.format(slug=school.slug, decision=decision.id, consultation=consultation.id)

    first = visit(app, address)
    second = visit(app, address)

    assert second.headers.get("X-Cache") == "hit", address
    assert "Set-Cookie" not in first.headers
    assert "Set-Cookie" not in second.headers
    assert "csrf" not in second.get_data(as_text=True).lower()


@pytest.mark.parametrize("path", ["/", "/schools/{slug}", "/consultations/{consultation}", "/decisions/{decision}"])
def test_with_the_cache_off_a_visitor_reads_the_same_page_with_no_token_and_no_cookie(app, db, school, path):
    # The page the cache would keep, built for every visitor, with the cache switched off too.
    decision = insert_published(school)
    consultation = create_consultation(school)
    address = path.format(slug=school.slug, decision=decision.id, consultation=consultation.id)
    assert not app.config["PORTAL_PAGE_CACHE"]

    page = visit(app, address)

    assert page.status_code == 200
    assert "X-Cache" not in page.headers
    assert "Set-Cookie" not in page.headers
    assert "csrf" not in page.get_data(as_text=True).lower()


def test_with_the_cache_off_a_visitor_with_a_session_still_gets_their_token(app, db, client, school):
    client.get("/login")  # the login form puts a CSRF token in the session

    page = client.get(f"/schools/{school.slug}")

    assert re.search(r'name="csrf_token" value="[^"]+"', page.get_data(as_text=True))


def test_a_visitor_can_switch_language_from_a_kept_page_without_a_token(app, cached, csrf_client):
    page = visit(app, "/", **CHINESE)
    assert 'name="csrf_token"' not in page.get_data(as_text=True)

    switched = csrf_client.post("/language", data={"lang": "en", "next": "/"})

    assert switched.status_code == 303
    assert "lang=en" in switched.headers["Set-Cookie"]


def test_a_logged_in_person_must_still_send_the_token_to_switch_language(app, cached, csrf_client, parent):
    from tests.helpers.pages import log_in

    log_in(csrf_client, parent)

    assert csrf_client.post("/language", data={"lang": "en", "next": "/"}).status_code == 400


def test_each_language_is_kept_apart(app, cached, school):
    visit(app, "/", **CHINESE)
    english = visit(app, "/", **ENGLISH)
    by_cookie = app.test_client()
    by_cookie.set_cookie("lang", "en", domain="portal.test")
    from_cookie = by_cookie.get("/", headers=CHINESE)
    chinese = visit(app, "/", **CHINESE)

    assert english.headers["X-Cache"] == "miss"
    assert 'lang="en"' in english.get_data(as_text=True)
    assert from_cookie.headers["X-Cache"] == "hit"
    assert 'lang="en"' in from_cookie.get_data(as_text=True)
    assert chinese.headers["X-Cache"] == "hit"
    assert 'lang="zh-CN"' in chinese.get_data(as_text=True)


def test_lang_in_the_address_still_sets_the_cookie_when_the_page_is_kept(app, cached):
    visit(app, "/?lang=en")
    again = visit(app, "/?lang=en")

    assert "lang=en" in again.headers["Set-Cookie"]
    assert 'lang="en"' in again.get_data(as_text=True)


def test_a_kept_page_asked_for_by_its_language_s_full_tag_is_in_that_language(app, cached):
    chinese_reader, english_reader = app.test_client(), app.test_client()
    chinese_reader.set_cookie("lang", "zh", domain="portal.test")
    english_reader.set_cookie("lang", "en", domain="portal.test")
    for _ in range(2):
        chinese = chinese_reader.get("/?lang=zh-CN", headers=ENGLISH)  # kept after the first
        assert 'lang="zh-CN"' in chinese.get_data(as_text=True)
    assert chinese.headers["X-Cache"] == "hit"

    switched = english_reader.get("/?lang=zh-CN")  # reaches the app, which keeps the choice

    assert 'lang="zh-CN"' in switched.get_data(as_text=True)
    assert "lang=zh;" in switched.headers["Set-Cookie"]


def test_a_logged_in_person_is_never_served_the_visitors_page(app, cached, client, login_as, parent, school):
    visit(app, f"/schools/{school.slug}", **ENGLISH)
    visit(app, f"/schools/{school.slug}", **ENGLISH)
    login_as(parent)

    response = client.get(f"/schools/{school.slug}", headers=ENGLISH)

    assert "X-Cache" not in response.headers
    assert parent.display_name in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_visitor_with_a_session_is_neither_served_nor_kept(app, cached, client, school):
    client.get("/login")  # the login form puts a CSRF token in the session
    first = client.get(f"/schools/{school.slug}")
    second = client.get(f"/schools/{school.slug}")

    assert "X-Cache" not in first.headers and "X-Cache" not in second.headers
    token = re.search(r'name="csrf_token" value="([^"]+)"', second.get_data(as_text=True))
    assert token  # their own page, with their own token
    assert visit(app, f"/schools/{school.slug}").headers["X-Cache"] == "miss"


def test_htmx_requests_are_never_served_from_the_cache(app, cached, school):
    visit(app, "/consultations")
    visit(app, "/consultations")

    fragment = visit(app, "/consultations", **{"HX-Request": "true"})

    assert "X-Cache" not in fragment.headers


def test_pages_that_are_not_found_are_not_kept(app, cached):
    visit(app, "/schools/no-such-school")

    assert "X-Cache" not in visit(app, "/schools/no-such-school").headers


def test_the_login_form_is_never_kept(app, cached):
    visit(app, "/login")

    again = visit(app, "/login")

    assert "X-Cache" not in again.headers
    assert 'name="csrf_token"' in again.get_data(as_text=True)


def test_a_browser_holding_the_page_gets_304_from_the_cache(app, cached, school):
    first = visit(app, f"/schools/{school.slug}")

    again = visit(app, f"/schools/{school.slug}", **{"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.headers["X-Cache"] == "hit"
    assert again.get_data() == b""


def test_a_browser_holding_an_older_page_gets_the_new_one(app, cached, school):
    first = visit(app, f"/schools/{school.slug}")

    again = visit(app, f"/schools/{school.slug}", **{"If-None-Match": '"something-else"'})

    assert again.status_code == 200
    assert again.get_data() == first.get_data()


def test_a_browser_that_accepts_gzip_gets_the_kept_page_gzipped(app, cached, school):
    first = visit(app, f"/schools/{school.slug}", **ENGLISH)

    zipped = visit(app, f"/schools/{school.slug}", **ENGLISH, **{"Accept-Encoding": "gzip, deflate, br"})
    plain = visit(app, f"/schools/{school.slug}", **ENGLISH, **{"Accept-Encoding": "identity"})

    assert first.headers.get("Content-Encoding") is None  # rendered: sent as it is
    assert zipped.headers["X-Cache"] == plain.headers["X-Cache"] == "hit"
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    body = zipped.get_data()
    assert int(zipped.headers["Content-Length"]) == len(body) < len(first.get_data()) / 2
    assert gzip.decompress(body) == plain.get_data() == first.get_data()
    for answer in (first, zipped, plain):
        assert "Accept-Encoding" in answer.headers["Vary"] and "Cookie" in answer.headers["Vary"]
    # Two representations, two ETags; each is answered 304 by its own.
    assert zipped.headers["ETag"] != plain.headers["ETag"] == first.headers["ETag"]
    holding = {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}
    again = visit(app, f"/schools/{school.slug}", **ENGLISH, **holding)
    assert again.status_code == 304 and again.get_data() == b"" and "Content-Encoding" not in again.headers


def test_a_browser_that_refuses_gzip_gets_the_page_as_it_is(app, cached, school):
    visit(app, f"/schools/{school.slug}")

    refused = visit(app, f"/schools/{school.slug}", **{"Accept-Encoding": "gzip;q=0, identity"})

    assert refused.headers["X-Cache"] == "hit" and "Content-Encoding" not in refused.headers
    assert "<html" in refused.get_data(as_text=True)


def test_an_entry_kept_at_one_version_for_everything_by_an_earlier_release_is_never_served():
    old = page_cache.json.dumps(["200 OK", [["Content-Type", "text/html"]], 1.0, "7"]).encode() + b"\n<p>kept</p>"

    status, headers, body, boundary, read, compressed = page_cache._unpack(old)

    assert (status, body, read, compressed) == ("200 OK", b"<p>kept</p>", None, None)
    assert not page_cache._still_current(read, {"*": "7"})


def test_a_request_for_another_host_is_refused_even_when_the_page_is_kept(app, cached, school):
    visit(app, "/")

    assert app.test_client().get("/", headers={"Host": "evil.example"}).status_code == 400


def test_changes_nobody_reads_leave_the_cache_as_it_is(app, cached, client, parent, school, db):
    visit(app, f"/schools/{school.slug}")
    from tests.helpers.pages import session_id

    session_id(parent)  # logging in writes a session row and nothing public

    assert visit(app, f"/schools/{school.slug}").headers["X-Cache"] == "hit"


def test_an_entry_is_not_served_past_the_next_change_by_the_clock(app, cached, school, monkeypatch):
    from datetime import timedelta

    from portal import clock
    from tests.helpers.clock import freeze

    now = clock.utcnow()
    consultation = create_consultation(school)
    visit(app, f"/consultations/{consultation.id}")
    freeze(monkeypatch, consultation.closes_at + timedelta(seconds=1))

    assert visit(app, f"/consultations/{consultation.id}").headers["X-Cache"] == "miss"
    assert now < consultation.closes_at


@pytest.mark.parametrize(
    "path",
    [
        "/privacy",
        "/terms",
        "/schools/{slug}/feedback",
        "/schools/{slug}/meetings",
        "/schools/{slug}/meetings.ics",
        "/feeds/decisions.atom",
        "/schools/{slug}/feed.atom",
        "/consultations/{consultation}/responses",
    ],
)
def test_other_public_pages_are_kept_too(app, cached, school, path):
    consultation = create_consultation(school)
    address = path.format(slug=school.slug, consultation=consultation.id)

    first = visit(app, address)
    second = visit(app, address)

    assert first.status_code == 200, address
    assert second.headers.get("X-Cache") == "hit", address
    assert "csrf" not in second.get_data(as_text=True).lower()


# --- only the pages a change can alter are renewed -------------------------------------------------


def kept(app, path) -> None:
    visit(app, path, **ENGLISH)
    assert visit(app, path, **ENGLISH).headers["X-Cache"] == "hit", path


def test_a_parents_response_renews_the_consultation_page_and_leaves_the_citys_other_pages_kept(app, cached, school, db):
    # Thousands respond while a consultation is open: each response must not send every visitor
    # of every school's and decision's page back to a page built afresh.
    decision = insert_published(school)
    consultation = create_consultation(school)
    others = ["/", f"/schools/{school.slug}", "/decisions", f"/decisions/{decision.id}", "/terms"]
    for path in [*others, f"/consultations/{consultation.id}"]:
        kept(app, path)

    respond(consultation, someone(display_name="家长李明"), body="建议增加午休时间。", show_name=True, publish=True)

    page = visit(app, f"/consultations/{consultation.id}", **ENGLISH)
    assert page.headers["X-Cache"] == "miss"
    assert "建议增加午休时间。" in page.get_data(as_text=True)
    for path in others:
        assert visit(app, path, **ENGLISH).headers["X-Cache"] == "hit", path


def test_a_published_decision_renews_the_pages_that_list_decisions_and_leaves_the_consultation_kept(
    app, cached, school, db
):
    consultation = create_consultation(school)
    kept(app, "/decisions")
    kept(app, f"/consultations/{consultation.id}")

    insert_published(school, title="关于课后服务收费的决定")

    page = visit(app, "/decisions", **ENGLISH)
    assert page.headers["X-Cache"] == "miss"
    assert "关于课后服务收费的决定" in page.get_data(as_text=True)
    assert visit(app, f"/consultations/{consultation.id}", **ENGLISH).headers["X-Cache"] == "hit"


def test_a_page_is_built_from_every_table_its_queries_read(app, cached, school, db, monkeypatch):
    consultation = create_consultation(school)
    keys, key_of = [], cached.key
    monkeypatch.setattr(cached, "key", lambda environ: keys.append(key_of(environ)) or keys[-1])
    visit(app, f"/consultations/{consultation.id}", **ENGLISH)

    read = page_cache._unpack(cached.store.get(keys[0]))[4]

    # the consultation, its school and authority, its questions, responses and tally, and the
    # names of those who signed
    assert {"consultation", "school", "consultation_question", "consultation_response", "user_account"} <= set(read)
    assert page_cache.EVERYTHING in read


def test_deleting_a_row_renews_the_pages_built_from_the_rows_that_refer_to_it():
    # The database deletes or changes them itself (ON DELETE CASCADE, SET NULL): no listener sees it.
    from portal.meetings.models import GoverningBody

    changed = page_cache._public_tables_changed(GoverningBody(), deleted=True)

    assert {"governing_body", "body_member", "meeting"} <= changed
    assert not changed & page_cache.PRIVATE_TABLES


def test_a_new_account_renews_nothing_until_it_writes_something(app, cached, school, db):
    kept(app, "/")

    someone(display_name="新来的家长")
    db.session.commit()

    assert visit(app, "/", **ENGLISH).headers["X-Cache"] == "hit"


def test_a_page_kept_by_another_release_of_the_code_is_not_served(app, cached, school, monkeypatch):
    kept(app, f"/schools/{school.slug}")

    monkeypatch.setattr(cached, "_release", "the next release")

    assert visit(app, f"/schools/{school.slug}", **ENGLISH).headers["X-Cache"] == "miss"


def test_the_local_store_keeps_every_tables_version_when_processes_bump_in_turn(tmp_path):
    store = page_cache.LocalStore(str(tmp_path / "versions"), 10)
    assert store.versions(["school"]) == {"school": "0"}

    store.bump({"school"})
    school_version = store.versions(["school"])["school"]
    page_cache.LocalStore(str(tmp_path / "versions"), 10).bump({"decision"})  # another process

    versions = store.versions()
    assert versions["school"] == school_version != "0"
    assert versions["decision"] not in ("0", school_version)


def test_the_local_store_reads_an_earlier_releases_single_version_as_no_table_bumped(tmp_path):
    (tmp_path / "versions").write_text("1733300000-ab12cd34")

    assert page_cache.LocalStore(str(tmp_path / "versions"), 10).versions(["school"]) == {"school": "0"}


@pytest.fixture
def redis_store():
    """A page cache store in the Redis of REDIS_URL (else the local one), under a prefix of its
    own, emptied afterwards; the test is skipped where there is no Redis."""
    import uuid

    redis = pytest.importorskip("redis")
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    store = page_cache.RedisStore(url, f"portal-tests-{uuid.uuid4().hex}")
    yield store
    store.clear()
    store.client.delete(store.versions_key, store.query_pages_key)


def test_the_redis_store_keeps_each_tables_version_and_reads_them_with_the_page_in_one_go(redis_store):
    redis_store.bump({"school", "decision"})
    before = redis_store.versions(["school", "decision", "meeting"])
    redis_store.set("page", b"kept", 60)
    redis_store.bump({"decision"})

    versions, value = redis_store.lookup("page")

    assert value == b"kept"
    assert before["meeting"] == "0" and before["school"] != "0"
    assert versions["school"] == before["school"]
    assert versions["decision"] != before["decision"]


def test_made_up_query_strings_cannot_fill_redis_with_pages(app, cached, school, monkeypatch):
    # ?page=2, ?page=3, ... are pages of their own: over the bound they are rendered, not kept.
    monkeypatch.setattr(cached.store, "admit_query_page", lambda most, seconds: False)

    visit(app, "/schools?page=2", **ENGLISH)
    again = visit(app, "/schools?page=2", **ENGLISH)

    assert again.status_code == 200 and again.headers["X-Cache"] == "miss"
    kept(app, "/schools")  # the page's own address is kept all the same


def test_a_link_shared_in_a_wechat_group_is_served_the_page_kept_for_its_address(app, cached, school):
    # WeChat adds ?from=groupmessage&isappinstalled=0 to a link shared in a group; others add
    # utm_source and the like. None of them changes the page, so none makes it a page of its own.
    consultation = create_consultation(school)
    address = f"/consultations/{consultation.id}"
    first = visit(app, address, **CHINESE)

    for shared in ("?from=groupmessage&isappinstalled=0", "?from=singlemessage", "?utm_source=wechat&x=1"):
        again = visit(app, address + shared, **CHINESE)
        assert again.headers["X-Cache"] == "hit", shared
        assert again.get_data() == first.get_data()


def test_made_up_arguments_cannot_make_the_portal_build_a_page_again(app, cached, school):
    kept(app, f"/schools/{school.slug}")

    answers = [visit(app, f"/schools/{school.slug}?x={number}", **ENGLISH) for number in range(5)]

    assert {answer.headers["X-Cache"] for answer in answers} == {"hit"}


def test_the_arguments_a_page_takes_make_pages_of_their_own_in_any_order(app, cached, school):
    create_consultation(school, Phase.CLOSED)
    district = school.authority_id
    closed = visit(app, f"/consultations?state=closed&district={district}", **ENGLISH)

    same = visit(app, f"/consultations?district={district}&utm_medium=x&state=closed", **ENGLISH)
    open_ones = visit(app, f"/consultations?state=open&district={district}", **ENGLISH)

    assert closed.headers["X-Cache"] == "miss"
    assert same.headers["X-Cache"] == "hit" and same.get_data() == closed.get_data()
    assert open_ones.headers["X-Cache"] == "miss" and open_ones.get_data() != closed.get_data()


@pytest.mark.parametrize("cache_on", [True, False])
def test_a_visitors_page_never_sees_arguments_it_does_not_take(app, db, school, cache_on):
    # Cache on or off, visitors read the same page: the language switch comes back to the
    # address with the page's own arguments, in the order of their names.
    app.config["PORTAL_PAGE_CACHE"] = cache_on
    try:
        answer = visit(app, f"/schools?x=%3Cb%3E&page=1&district={school.authority_id}", **ENGLISH)
    finally:
        app.config["PORTAL_PAGE_CACHE"] = False

    assert answer.status_code == 200
    assert f'name="next" value="/schools?district={school.authority_id}&amp;page=1"' in answer.get_data(as_text=True)


def test_a_logged_in_persons_request_reaches_the_page_as_it_was_sent(app, cached, school, client, login_as, parent):
    # Not kept nor served from the cache: their address is left as it is.
    login_as(parent)
    answer = client.get(f"/schools?x=1&district={school.authority_id}", headers=ENGLISH)

    assert answer.headers.get("X-Cache") is None
    assert f'value="/schools?x=1&amp;district={school.authority_id}"' in answer.get_data(as_text=True)


def test_every_page_the_cache_keeps_says_which_arguments_it_takes(app):
    # A page that said nothing would be kept under every made-up address (as before web.query_args).
    silent = [
        endpoint
        for endpoint in sorted(page_cache.CACHED_ENDPOINTS)
        if getattr(app.view_functions[endpoint], "query_args", None) is None
    ]

    assert silent == []


def test_the_redis_store_admits_so_many_pages_with_a_query_string_in_each_window(redis_store):
    admitted = [redis_store.admit_query_page(2, 60) for _ in range(3)]

    assert admitted == [True, True, False]
    assert 0 < redis_store.client.ttl(redis_store.query_pages_key) <= 60  # the window ends, the count with it


def test_an_id_written_with_a_leading_zero_is_not_a_page_of_its_own(app, cached, school):
    decision = insert_published(school)

    assert visit(app, f"/decisions/{decision.id}").status_code == 200
    for zeros in ("0", "00", "0000000000"):
        assert visit(app, f"/decisions/{zeros}{decision.id}").status_code == 404


@pytest.mark.parametrize(
    ("path", "query", "taken"),
    [
        ("/schools", "x=1&page=2&district=3", "district=3&page=2"),
        ("/schools", "q=%E8%A7%A3%E6%94%BE&from=timeline", "q=%E8%A7%A3%E6%94%BE"),  # 解放, as it came
        ("/schools", "type=a&page=1&type=b", "page=1&type=a&type=b"),  # each name's values in their order
        ("/schools", "lang=en&x=1", "lang=en"),  # every page takes ?lang=
        ("/schools", "lang=fr&page=2", "page=2"),  # which is ignored when it names no language of the portal
        ("/schools", "lang=zh-CN&x=1", "lang=zh-CN"),  # a tag whose language is the portal's names it
        ("/", "from=singlemessage&isappinstalled=0", ""),
        ("/search", "q=%E9%A3%9F%E5%A0%82&x=1", "q=%E9%A3%9F%E5%A0%82&x=1"),  # not a page the cache keeps
        ("/no-such-page", "x=1", "x=1"),  # a 404 is answered as always
    ],
)
def test_a_visitors_address_keeps_the_arguments_its_page_takes(app, path, query, taken):
    assert app.extensions["page_cache"].taken_query(path, query) == taken
