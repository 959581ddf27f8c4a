"""/oversight.csv: the dashboard's rows, UTF-8 with a BOM, safe to open in a spreadsheet."""

import csv
import io

import pytest

from portal.accounts.models import Role
from portal.oversight import dashboard as oversight
from portal.oversight import views as oversight_views
from tests.helpers.oversight import NOW, build_world


@pytest.fixture
def world(db, make_authority, make_school, make_user):
    return build_world(make_authority, make_school, make_user)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(oversight_views, "utcnow", lambda: NOW)


def read(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_export_has_the_districts_then_the_chosen_districts_schools(client, world, make_user, login_as):
    login_as(make_user(role=Role.COMMISSION_ADMIN, scope=world["city"]))

    response = client.get(f"/oversight.csv?district={world['yuzhong'].id}")

    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read(response)
    assert list(rows[0]) == list(oversight.CSV_HEADER)
    assert [(row["level"], row["name_zh"]) for row in rows] == [
        ("district", "渝中区教育委员会（测试）"),
        ("district", "沙坪坝区教育委员会（测试）"),
        ("school", "渝中第一小学"),
        ("school", "渝中第二小学"),
    ]
    yuzhong, a1, a2 = rows[0], rows[2], rows[3]
    assert yuzhong["open_consultations"] == "3"
    assert yuzhong["participation_percent"] == "66.7"
    assert (yuzhong["parent_responders_last_365_days"], yuzhong["other_responders_last_365_days"]) == ("4", "1")
    assert yuzhong["moderation_backlog"] == "3"
    assert yuzhong["median_hours_to_moderate_last_90_days"] == "4.0"
    assert yuzhong["feedback_answered_in_time_percent"] == "50.0"
    assert yuzhong["overdue_outcomes"] == "2"
    assert a1["participation_percent"] == "60.0"
    assert a2["median_hours_to_moderate_last_90_days"] == ""
    assert a2["feedback_answered_in_time_percent"] == ""


def test_names_that_look_like_formulas_are_written_as_text(client, world, make_school, make_user, login_as):
    make_school(
        authority=world["yuzhong"], slug="formula", name_zh='=HYPERLINK("http://evil")', name_en="+cmd|' /C calc'!A0"
    )
    login_as(make_user(role=Role.MODERATOR, scope=world["yuzhong"]))

    rows = read(client.get("/oversight.csv"))

    school = next(row for row in rows if row["name_en"].endswith("A0"))
    assert school["name_zh"] == '\'=HYPERLINK("http://evil")'
    assert school["name_en"].startswith("'+")
