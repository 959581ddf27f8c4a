"""What changed between two adopted versions is worked out once and stored (they never change),
with bounded work; the charter's public pages answer 304 to a visitor's browser that already
holds them."""

from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from portal.charters import structure
from portal.charters.models import CharterVersion, StoredCharterDiff
from portal.charters.structure import chinese_numeral
from portal.extensions import db as database
from tests.helpers.charters import VERSION_2
from tests.helpers.pages import ENGLISH


def page_of(response) -> str:
    return response.get_data(as_text=True)


def diff_address(school, older=1, newer=2):
    return f"/schools/{school.slug}/charter/diff?from={older}&to={newer}"


@pytest.fixture
def comparisons_made(monkeypatch):
    """How many times two texts were compared from scratch."""
    made = []
    compare = structure.compare

    def counting(old_text, new_text, **kwargs):
        made.append((old_text, new_text))
        return compare(old_text, new_text, **kwargs)

    monkeypatch.setattr(structure, "compare", counting)
    return made


@pytest.fixture
def statements(db):
    """The SQL statements run while the list is being watched."""
    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", watch)
    yield seen
    event.remove(Engine, "before_cursor_execute", watch)


def test_the_first_visitor_to_ask_stores_the_comparison_and_the_next_one_reads_it(
    client, school, charter, comparisons_made, statements
):
    first = client.get(diff_address(school), headers=ENGLISH)
    assert first.status_code == 200
    assert len(comparisons_made) == 1
    stored = database.session.scalar(select(StoredCharterDiff))
    assert (stored.older_id, stored.newer_id) == (charter[0].id, charter[1].id)
    assert stored.format == structure.DIFF_FORMAT
    assert stored.content == structure.compare(charter[0].body, charter[1].body).to_dict()

    comparisons_made.clear()
    statements.clear()
    again = client.get(diff_address(school), headers=ENGLISH)

    assert again.status_code == 200
    assert comparisons_made == []  # read back, not worked out again
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in statements)
    assert page_of(again).split("<main", 1)[1] == page_of(first).split("<main", 1)[1]


def test_the_stored_comparison_shows_what_changed_word_for_word(client, school, charter):
    client.get(diff_address(school), headers=ENGLISH)

    page = page_of(client.get(diff_address(school), headers=ENGLISH))

    assert "1 article changed, 1 added, 0 removed." in page
    assert '每学<del><span class="visually-hidden">[deleted: </span>期' in page
    assert "[inserted: </span>年<" in page
    assert "**" not in page.split("<main", 1)[1]


def test_comparing_the_other_way_round_is_stored_apart(client, school, charter, comparisons_made):
    client.get(diff_address(school, 1, 2))
    client.get(diff_address(school, 2, 1))

    assert len(comparisons_made) == 2
    assert database.session.scalar(select(database.func.count()).select_from(StoredCharterDiff)) == 2


def test_a_comparison_stored_in_an_older_shape_is_made_again(client, school, charter, comparisons_made):
    database.session.add(
        StoredCharterDiff(older_id=charter[0].id, newer_id=charter[1].id, format=1, content={"old": True})
    )
    database.session.commit()

    response = client.get(diff_address(school), headers=ENGLISH)

    assert response.status_code == 200
    assert len(comparisons_made) == 1
    stored = database.session.get(StoredCharterDiff, (charter[0].id, charter[1].id))
    database.session.refresh(stored)
    assert stored.format == structure.DIFF_FORMAT


def test_a_draft_is_compared_afresh_and_never_stored(
    client, login_as, school_admin, school, charter, draft, comparisons_made
):
    login_as(school_admin)

    client.get(diff_address(school, 2, 3))
    client.get(diff_address(school, 2, 3))

    assert len(comparisons_made) == 2
    assert database.session.scalar(select(StoredCharterDiff)) is None


def _charter(texts):
    return "# 第一章 总则\n\n" + "\n\n".join(f"**第{chinese_numeral(i + 1)}条** {t}" for i, t in enumerate(texts))


@pytest.fixture
def work_spent(monkeypatch):
    """The steps spent on each Work made (structure.Work): a comparison's first, then the smaller
    ones of its texts (which charge what they spend to the comparison's too)."""
    spent: list[int] = []
    real_init, real_spend = structure.Work.__init__, structure.Work.spend

    def init(work, *args, **kwargs):
        real_init(work, *args, **kwargs)
        work.number = len(spent)
        spent.append(0)

    def spend(work, units):
        spent[work.number] += units
        real_spend(work, units)

    monkeypatch.setattr(structure.Work, "__init__", init)
    monkeypatch.setattr(structure.Work, "spend", spend)
    return spent


def test_eight_hundred_articles_that_differ_only_in_every_other_one_are_compared_once_within_the_budget(
    client, school, comparisons_made, work_spent
):
    # Recorded as adopted before the portal archived charters (no PDF): rendering 800 articles
    # twice would only slow the test.
    for number, texts in ((1, ["（删除）"] * 800), (2, ["（删除）" if i % 2 == 0 else "（保留）" for i in range(800)])):
        adopted = CharterVersion(school_id=school.id, number=number, body=_charter(texts), change_note="")
        adopted.adopt(None, date(2024, number, 1), date(2024, number, 1))
        database.session.add(adopted)
    database.session.commit()

    first = client.get(diff_address(school), headers=ENGLISH)

    assert first.status_code == 200
    assert "400 articles changed, 0 added, 0 removed." in page_of(first)
    # Bounded work, counted in the algorithm's steps rather than seconds (which depend on the
    # machine): the budget is half a second's work at most, the 7.4 s took hundreds of
    # times more. Shown in full, so it stayed within the budget.
    assert len(comparisons_made) == 1 and 0 < work_spent[0] <= structure.DIFF_WORK_BUDGET
    assert database.session.scalar(select(database.func.count()).select_from(StoredCharterDiff)) == 1
    works_made = len(work_spent)

    second = client.get(diff_address(school), headers=ENGLISH)

    assert second.status_code == 200
    assert len(comparisons_made) == 1 and len(work_spent) == works_made  # read from storage, no step taken
    assert "400 articles changed, 0 added, 0 removed." in page_of(second)


def test_too_many_changes_are_not_shown_but_both_versions_are_offered(client, school, charter, monkeypatch):
    monkeypatch.setattr(structure, "DIFF_WORK_BUDGET", 10)

    page = page_of(client.get(diff_address(school), headers=ENGLISH))

    assert "There are too many changes to show here." in page
    assert f'href="/schools/{school.slug}/charter/versions/1.pdf"' in page
    assert f'href="/schools/{school.slug}/charter/versions/2.pdf"' in page
    assert "Changes article by article" not in page


# --- conditional GET ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["/charter", "/charter/versions/1", "/charter/versions/2", "/charter/diff?from=1&to=2"]
)
def test_a_visitors_browser_that_holds_the_page_gets_304(client, school, charter, address):
    first = client.get(f"/schools/{school.slug}{address}")
    assert first.status_code == 200
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "no-cache"  # kept, and asked about again each time

    again = client.get(f"/schools/{school.slug}{address}", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_browser_that_knows_only_the_date_gets_304_too(client, school, charter):
    first = client.get(diff_address(school))

    again = client.get(diff_address(school), headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert again.status_code == 304


def test_the_diff_is_not_worked_out_for_a_browser_that_holds_it(client, school, charter, comparisons_made):
    first = client.get(diff_address(school))
    comparisons_made.clear()
    database.session.query(StoredCharterDiff).delete()
    database.session.commit()

    again = client.get(diff_address(school), headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert comparisons_made == []


def test_adopting_a_new_version_changes_the_pages_that_list_it(client, school, charter, add_version):
    version_page = client.get(f"/schools/{school.slug}/charter/versions/2")
    diff_page = client.get(diff_address(school))

    add_version(school, VERSION_2 + "\n\n第七条 新增。", adopted_on=date(2025, 9, 1))

    for address, first in (
        (f"/schools/{school.slug}/charter/versions/2", version_page),
        (diff_address(school), diff_page),
    ):
        again = client.get(address, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200
        assert again.headers["ETag"] != first.headers["ETag"]


def test_the_page_in_another_language_is_another_page(client, school, charter):
    chinese = client.get(diff_address(school))

    english = client.get(diff_address(school), headers={**ENGLISH, "If-None-Match": chinese.headers["ETag"]})

    assert english.status_code == 200


def test_a_visitors_page_is_everyones_so_another_visitors_browser_gets_304(app, school, charter):
    first = app.test_client().get(diff_address(school))

    other = app.test_client().get(diff_address(school), headers={"If-None-Match": first.headers["ETag"]})

    assert "csrf_token" not in page_of(first) and "Set-Cookie" not in first.headers
    assert other.status_code == 304


def test_a_browser_of_another_session_does_not_get_304_for_a_page_with_a_token(app, school, charter):
    # A visitor with a session (here: a login form opened) is given pages with their session's token.
    holder = app.test_client()
    holder.get("/login")
    first = holder.get(diff_address(school))
    assert 'name="csrf_token"' in page_of(first)
    other = app.test_client()
    other.get("/login")

    again = other.get(diff_address(school), headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 200


def test_pages_of_people_logged_in_are_neither_stored_nor_validated(client, login_as, school_admin, school, charter):
    login_as(school_admin)

    response = client.get(diff_address(school))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_two_visitors_storing_the_same_comparison_at_once_both_get_the_page(client, school, charter, monkeypatch):
    client.get(diff_address(school))  # stored by the first
    # The second looked before the first had stored it: it stores it again, and the database
    # refuses the duplicate.
    real_get = database.session.get
    monkeypatch.setattr(
        database.session,
        "get",
        lambda model, key, **kw: None if model is StoredCharterDiff else real_get(model, key, **kw),
    )

    response = client.get(diff_address(school), headers=ENGLISH)

    assert response.status_code == 200
    assert "1 article changed, 1 added, 0 removed." in page_of(response)
    monkeypatch.undo()
    assert database.session.scalar(select(database.func.count()).select_from(StoredCharterDiff)) == 1
