"""A commission adds many schools at once from a CSV file (/schools/import): the file is checked
whole, every problem is listed by line and nothing is added until the file is right, then the
admin confirms and every school is added (each audited), with its first administrator appointed
or invited by email."""

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.accounts.models import Membership, Role, StaffInvitation
from portal.audit import AuditEvent
from portal.schools.models import School, SchoolType
from tests.helpers.account_mail import mails_to
from tests.helpers.pages import ENGLISH, location_path

CHINESE = {"Accept-Language": "zh-CN"}
HEADER = "district,slug,name_zh,name_en,type,address,phone,email,website,admin_email"


@pytest.fixture
def district_admin(make_user, district):
    return make_user(role="commission_admin", scope=district, display_name="区教委管理员")


def upload(client, text, *, encoding="utf-8", headers=ENGLISH, name="schools.csv"):
    content = text.encode(encoding) if isinstance(text, str) else text
    # Encoded here, in memory: the test client would spool a big body into a temporary file that
    # nothing closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename=name)})
    return client.post(
        "/schools/import", data=body, content_type=f'multipart/form-data; boundary="{boundary}"', headers=headers
    )


def confirm(client, page_text, headers=ENGLISH):
    """Press "Add these schools" on the checked page: the rows it carries back."""
    import html
    import re

    carried = re.search(r'<textarea[^>]*name="csv_text"[^>]*>(.*?)</textarea>', page_text, re.S).group(1)
    return client.post(
        "/schools/import", data={"csv_text": html.unescape(carried).lstrip("\n"), "confirm": "y"}, headers=headers
    )


def count_schools(db):
    return db.session.scalar(select(func.count()).select_from(School))


GOOD = "\n".join(
    [
        HEADER,
        "测试甲区教育委员会,xinhua-primary,测试新华小学,Xinhua Primary School,小学,甲区新华路1号,023-6300 0001,,,"
        "newcomer@example.org",
        "Test District A,hongyan-junior,测试红岩初级中学,Hongyan Junior Middle School,junior,,,office@hongyan.cn,"
        "https://hongyan.cn,",
    ]
)


def test_a_checked_file_is_shown_and_nothing_is_added_before_confirming(client, db, district_admin, login_as):
    login_as(district_admin)
    before = count_schools(db)

    response = upload(client, GOOD)

    assert response.status_code == 200
    assert "The file is checked: 2 schools are ready to be added." in response.text
    table = response.text[response.text.index('id="checked-schools"') :]
    assert "测试新华小学" in table and "hongyan-junior" in table and "newcomer@example.org" in table
    assert "Add these 2 schools" in response.text
    assert count_schools(db) == before


def test_confirming_adds_every_school_audited_with_its_administrator_appointed_or_invited(
    client, db, district, district_admin, login_as, make_user
):
    known = make_user(email="known.head@example.org", display_name="老校长")
    text = GOOD.replace("https://hongyan.cn,", "https://hongyan.cn,Known.Head@example.org")
    login_as(district_admin)
    checked = upload(client, text)

    response = confirm(client, checked.text)

    assert response.status_code == 303 and location_path(response) == "/schools"
    xinhua = db.session.scalar(select(School).where(School.slug == "xinhua-primary"))
    hongyan = db.session.scalar(select(School).where(School.slug == "hongyan-junior"))
    assert (xinhua.name_zh, xinhua.name_en, xinhua.type, xinhua.authority_id) == (
        "测试新华小学",
        "Xinhua Primary School",
        SchoolType.PRIMARY,
        district.id,
    )
    assert (xinhua.address, xinhua.phone) == ("甲区新华路1号", "023-6300 0001")
    assert (hongyan.type, hongyan.email, hongyan.website) == (
        SchoolType.JUNIOR,
        "office@hongyan.cn",
        "https://hongyan.cn",
    )
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "school.create")).all()
    assert {event.school_id for event in created} >= {xinhua.id, hongyan.id}
    assert all(event.actor_id == district_admin.id for event in created if event.school_id in {xinhua.id, hongyan.id})
    (invitation,) = db.session.scalars(select(StaffInvitation)).all()
    assert (invitation.email, invitation.school_id, invitation.role) == (
        "newcomer@example.org",
        xinhua.id,
        Role.SCHOOL_ADMIN,
    )
    assert len(mails_to(db, "newcomer@example.org")) == 1
    held = db.session.scalar(select(Membership).where(Membership.user_id == known.id))
    assert (held.role, held.school_id) == (Role.SCHOOL_ADMIN, hongyan.id)
    page = client.get("/schools", headers=ENGLISH).text
    assert "2 schools were added. 1 administrator was appointed. 1 administrator was invited by email." in page
    assert "Xinhua Primary School" in page


def test_every_problem_is_listed_by_line_and_nothing_is_added(client, db, school, district_admin, login_as):
    text = "\n".join(
        [
            HEADER,
            "测试甲区教育委员会,Good-One,测试好学校,Good School,primary,,,,,",  # fine (upper case is lowered)
            "测试甲区教育委员会,bad slug!,测试坏网址,,primary,,,,,",  # slug, and no English name
            f"测试甲区教育委员会,{school.slug},测试重名,Taken,primary,,,,,",  # taken on the portal
            "测试甲区教育委员会,good-one,测试又一所,Twice,primary,,,,,",  # twice in the file
            "火星区,mars-primary,火星小学,Mars Primary,primary,,,,,",  # no such district
            "测试甲区教育委员会,odd-type,测试怪类型,Odd,幼儿园,,,,,not-an-address",  # type, admin email
            "测试甲区教育委员会,import,测试保留名,Reserved,primary,,,,,",  # the import page's own address
        ]
    )
    login_as(district_admin)
    before = count_schools(db)

    response = upload(client, text)

    assert response.status_code == 422
    assert count_schools(db) == before
    page = response.text
    assert "6 lines of the file have problems. Nothing was added:" in page
    problems = page[page.index('id="import-problems"') :]
    assert ">2<" not in problems  # line 2 is fine, and not listed
    assert "Web address name: Use lower-case letters, digits and single hyphens" in problems
    assert "Name in English: Please enter the school&#39;s English name." in problems
    assert "Web address name: Another school already uses this web address name." in problems
    assert "Web address name good-one is also on line 2." in problems
    assert "District: 火星区 is not a district where you can add schools." in problems
    assert "Type of school: Write one of: Primary school, Junior secondary school" in problems
    assert "Administrator&#39;s email: " in problems
    assert problems.count("Another school already uses this web address name.") == 2  # taken, and "import"
    assert 'name="confirm"' not in page  # nothing to confirm: the upload form again
    assert 'type="file"' in page


def test_a_chinese_excel_file_with_chinese_headings_and_a_short_district_name_is_read(
    client, db, district, district_admin, login_as
):
    text = "\r\n".join(
        [
            "区县,网址名,中文名称,英文名称,类型,管理员邮箱",
            "甲区,jiaqu-special,测试甲区特殊教育学校,Jiaqu Special School,特殊教育学校,",
        ]
    )
    login_as(district_admin)

    checked = upload(client, text, encoding="gb18030", headers=CHINESE)

    assert checked.status_code == 200, checked.text
    assert "测试甲区特殊教育学校" in checked.text
    confirm(client, checked.text, headers=CHINESE)
    added = db.session.scalar(select(School).where(School.slug == "jiaqu-special"))
    assert (added.type, added.authority_id) == (SchoolType.SPECIAL, district.id)


def test_the_district_may_be_left_empty_by_an_admin_of_one_district_only(
    client, db, district, district_admin, login_as
):
    login_as(district_admin)

    checked = upload(client, "slug,name_zh,name_en,type\nlone-primary,测试独校,Lone Primary,primary\n")

    assert checked.status_code == 200
    confirm(client, checked.text)
    assert db.session.scalar(select(School.authority_id).where(School.slug == "lone-primary")) == district.id


def test_the_city_must_name_the_district(client, db, city, district, make_user, login_as):
    login_as(make_user(role="commission_admin", scope=city))

    response = upload(client, "slug,name_zh,name_en,type\nlone-primary,测试独校,Lone Primary,primary\n")

    assert response.status_code == 422
    assert "District: Write the name of the district the school is in." in response.text


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Choose the CSV file of the schools to add."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "This file cannot be read as a CSV file."),
        (HEADER.encode(), "The file has no schools in it"),
        ((HEADER + "\n" + "甲区,s{n},测试{n},S {n},primary,,,,,\n" * 501).encode(), "more than 500 schools"),
        (b"x" * (1024 * 1024 + 1), "larger than 1 MB"),
    ],
    ids=["no-file", "not-a-csv", "no-rows", "too-many-rows", "too-big"],
)
def test_a_file_that_cannot_be_used_is_explained_beside_the_field(
    client, db, district_admin, login_as, content, message
):
    login_as(district_admin)
    before = count_schools(db)

    response = upload(client, content)

    assert response.status_code == 422
    assert message in response.text
    assert 'id="file-error"' in response.text
    assert count_schools(db) == before


def test_a_file_without_a_required_column_says_which(client, db, district_admin, login_as):
    login_as(district_admin)

    response = upload(client, "slug,name_zh,type\nno-english,测试无英文,primary\n")

    assert response.status_code == 422
    assert "The file has no column name_en." in response.text


def test_rows_sent_back_are_checked_again_so_a_school_of_another_district_cannot_be_slipped_in(
    client, db, district_admin, login_as
):
    login_as(district_admin)
    before = count_schools(db)

    response = client.post(
        "/schools/import",
        data={
            "csv_text": "district,slug,name_zh,name_en,type\n测试乙区教育委员会,sneaky,测试偷偷,Sneaky,primary\n",
            "confirm": "y",
        },
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert "is not a district where you can add schools" in response.text
    assert count_schools(db) == before


def test_the_file_to_fill_in_has_every_column_and_opens_in_excel(client, district_admin, login_as):
    login_as(district_admin)

    response = client.get("/schools/import/template.csv", headers=CHINESE)

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff" + HEADER)
    assert "小学" in text


def test_the_school_directory_leads_commission_admins_to_the_import(client, district_admin, login_as):
    login_as(district_admin)

    assert 'href="/schools/import"' in client.get("/schools", headers=ENGLISH).text


def test_school_staff_cannot_import(client, school_admin, login_as):
    login_as(school_admin)

    assert client.get("/schools/import").status_code == 403
    assert upload(client, GOOD).status_code == 403


def test_the_page_reads_in_chinese(client, district_admin, login_as):
    login_as(district_admin)

    page = client.get("/schools/import", headers=CHINESE).text

    assert "Add schools from a file" not in page and "管理员邮箱" in page
