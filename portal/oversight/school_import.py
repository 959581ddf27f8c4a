"""Adding many schools at once from a CSV file (/schools/import): a district's (or the city's)
commission admins list the schools, one a row, each with the address of its first administrator
when they know it. The file is read and checked whole first; while any row has a problem nothing
is added, and the page says what to correct on which line. Then everything is added in one
transaction: each school as /schools/new adds it (audited, announced), each administrator as the
staff page appoints them (their account, or an invitation mailed to the address).

It gathers two features (schools, accounts), so it lives here, with the commission's other pages.
"""

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.accounts import services as account_services
from portal.accounts.forms import email_field
from portal.accounts.models import Role
from portal.domain import DomainError, Reason
from portal.extensions import db
from portal.forms import PortalForm
from portal.i18n import page_language
from portal.schools import services as school_services
from portal.schools.forms import NewSchoolForm
from portal.schools.models import Authority, School, SchoolType

# The columns, in the template's order; the Chinese headings are read as the same columns.
COLUMNS = ("district", "slug", "name_zh", "name_en", "type", "address", "phone", "email", "website", "admin_email")
CHINESE_HEADINGS = {
    "所在区县": "district",
    "区县": "district",
    "网址名称": "slug",
    "网址名": "slug",
    "中文名称": "name_zh",
    "学校名称": "name_zh",
    "英文名称": "name_en",
    "学校类型": "type",
    "类型": "type",
    "地址": "address",
    "电话": "phone",
    "联系电话": "phone",
    "联系邮箱": "email",
    "网站": "website",
    "管理员邮箱": "admin_email",
}
REQUIRED_COLUMNS = ("slug", "name_zh", "name_en", "type")
# A district's schools fit in one file; a file this size is read and added within a request.
MAX_ROWS = 500
MAX_BYTES = 1024 * 1024


class ImportRefusal(Reason):
    UNREADABLE = (
        "unreadable",
        _l("This file cannot be read as a CSV file. Save it from your spreadsheet as CSV (UTF-8) and upload it again."),
        "file",
    )
    TOO_BIG = "too_big", _l("The file is larger than 1 MB. Split it into several files."), "file"
    EMPTY = "empty", _l("The file has no schools in it: one school a row, under the row of column names."), "file"
    TOO_MANY_ROWS = (
        "too_many_rows",
        _l("The file has more than %(max)d schools. Split it into several files.", max=MAX_ROWS),
        "file",
    )


@dataclass
class Row:
    """A line of the file: what it says (by column), the authority it names, what is wrong."""

    line: int
    values: dict[str, str]
    authority: Authority | None = None
    kind: SchoolType | None = None  # the type it names, in whatever words (TYPE_NAMES)
    problems: list[str] = field(default_factory=list)

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


def read(raw: bytes) -> list[Row]:
    """The rows of a CSV file (UTF-8, with or without the mark Excel writes, or GB18030, which is
    what a Chinese Excel saves "CSV" in). Refuses a file that is not one (UNREADABLE), too big,
    empty, or with too many rows; a missing column is a problem of every row (check_rows)."""
    if len(raw) > MAX_BYTES:
        raise DomainError(ImportRefusal.TOO_BIG)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(ImportRefusal.UNREADABLE)
    if "\x00" in text:
        raise DomainError(ImportRefusal.UNREADABLE)
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise DomainError(ImportRefusal.UNREADABLE) from None
    table = [cells for cells in table if any(cell.strip() for cell in cells)]
    if not table:
        raise DomainError(ImportRefusal.EMPTY)
    columns = [_column(heading) for heading in table[0]]
    if not any(columns):
        raise DomainError(ImportRefusal.UNREADABLE)
    rows = [
        Row(
            line=number,
            values={
                column: cells[index].strip() if index < len(cells) else ""
                for index, column in enumerate(columns)
                if column
            },
        )
        for number, cells in enumerate(table[1:], start=2)
    ]
    if not rows:
        raise DomainError(ImportRefusal.EMPTY)
    if len(rows) > MAX_ROWS:
        raise DomainError(ImportRefusal.TOO_MANY_ROWS)
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    for row in rows:
        row.values["_missing"] = ",".join(missing)
    return rows


def _column(heading: str) -> str | None:
    heading = heading.strip().lstrip("\ufeff")
    if heading.lower() in COLUMNS:
        return heading.lower()
    return CHINESE_HEADINGS.get(heading)


class _AdminAddress(PortalForm):
    admin_email = email_field(_l("Administrator's email"), required_message=_l("Enter the administrator's email."))


def check_rows(rows: list[Row], authorities: list[Authority]) -> None:
    """Find what is wrong with each row (Row.problems, translated, each naming its column), and the
    authority each names among `authorities` (where the person may add schools: by its Chinese or
    English name; may be left empty when there is only one). Web address names must be free on
    the portal and not used twice in the file. Asks the database once, whatever the rows."""
    by_name = {}
    for authority in authorities:
        by_name[authority.name_zh.strip()] = authority
        by_name[authority.name_en.strip().lower()] = authority
    slugs = [row["slug"].lower() for row in rows if row["slug"]]
    taken = set(db.session.scalars(select(School.slug).where(School.slug.in_(slugs)))) if slugs else set()
    seen: dict[str, int] = {}
    for row in rows:
        missing = [column for column in row.values.pop("_missing", "").split(",") if column]
        if missing:
            row.problems.append(gettext("The file has no column %(columns)s.", columns=", ".join(missing)))
            continue
        row.authority = _authority_of(row, by_name, authorities)
        form = NewSchoolForm(
            formdata=MultiDict(
                {
                    **{key: value for key, value in row.values.items() if key != "district"},
                    "type": _type_value(row["type"]),
                    "authority_id": str(row.authority.id) if row.authority else "",
                }
            ),
            meta={"csrf": False},
        )
        form.authority_id.choices = [(a.id, a.name_zh) for a in authorities]
        form.validate()
        for name, errors in form.errors.items():
            if name == "authority_id":
                continue  # said below, with the name that was not found
            if name == "type":  # its choices, rather than "not a valid choice"
                errors = [gettext("Write one of: %(types)s.", types=type_names(page_language()))]
            row.problems.extend(_about(form[name].label.text, error) for error in errors)
        if not form.type.errors:
            row.kind = SchoolType(form.type.data)
        if row.authority is None:
            row.problems.append(_district_problem(row, authorities))
        slug = form.slug.data or ""
        if slug and not form.slug.errors:
            if slug in taken or slug in school_services.RESERVED_SLUGS:
                row.problems.append(_about(form.slug.label.text, school_services.SchoolRefusal.SLUG_TAKEN.message))
            elif slug in seen:
                row.problems.append(
                    gettext("Web address name %(slug)s is also on line %(line)d.", slug=slug, line=seen[slug])
                )
            seen.setdefault(slug, row.line)
        if row["admin_email"]:
            address = _AdminAddress(formdata=MultiDict({"admin_email": row["admin_email"]}), meta={"csrf": False})
            if not address.validate():
                row.problems.extend(_about(address.admin_email.label.text, e) for e in address.admin_email.errors)


def _about(label: str, message: str) -> str:
    """A problem of one column: "Name in English: Please enter…" (a full-width colon in Chinese)."""
    return gettext("%(column)s: %(problem)s", column=label, problem=message)


def _authority_of(row: Row, by_name: dict, authorities: list[Authority]) -> Authority | None:
    """By its whole name in either language, or by a part of its Chinese name that names one
    authority only (渝中区 for 重庆市渝中区教育委员会)."""
    named = row["district"].strip()
    if not named:
        return authorities[0] if len(authorities) == 1 else None
    found = by_name.get(named) or by_name.get(named.lower())
    if found is None and len(named) >= 2:
        containing = [authority for authority in authorities if named in authority.name_zh]
        found = containing[0] if len(containing) == 1 else None
    return found


def _district_problem(row: Row, authorities: list[Authority]) -> str:
    if not row["district"]:
        return _about(gettext("District"), gettext("Write the name of the district the school is in."))
    return _about(
        gettext("District"),
        gettext(
            "%(name)s is not a district where you can add schools. Write one of: %(names)s.",
            name=row["district"],
            names="、".join(a.name_zh for a in authorities),
        ),
    )


def _type_value(typed: str) -> str:
    """The type as its value (primary), whether the file says so or names it in Chinese (小学) or
    in English (Primary school), whatever the page's language."""
    typed = typed.strip()
    for kind, names in TYPE_NAMES.items():
        if typed.lower() == kind.value or typed in names or typed.lower() in names:
            return kind.value
    return typed


# The names of the types a file may use, besides their values: the Chinese and the English one
# the page lists (as the portal calls them), then others people write (lower case for English).
TYPE_NAMES = {
    SchoolType.PRIMARY: ("小学", "primary school"),
    SchoolType.JUNIOR: ("初级中学", "junior secondary school", "初中", "junior middle school"),
    SchoolType.SENIOR: ("高级中学", "senior secondary school", "高中", "senior high school"),
    SchoolType.VOCATIONAL: ("职业学校", "vocational school", "中等职业学校", "中职"),
    SchoolType.SPECIAL: ("特殊教育学校", "special education school", "特教学校"),
}


def type_names(language: str) -> str:
    """The types as the page lists them, in its language."""
    if language == "en":
        return ", ".join(names[1].capitalize() for names in TYPE_NAMES.values())
    return "、".join(names[0] for names in TYPE_NAMES.values())


@dataclass(frozen=True)
class Added:
    schools: list[School]
    appointed: int  # administrators who had an account
    invited: int  # addresses that got an invitation


def add_schools(actor, rows: list[Row], *, language: str | None) -> Added:
    """Add the schools of rows checked without a problem (check_rows), in the file's order, and
    appoint each one's administrator. Flushes; the caller commits once."""
    schools, appointed, invited = [], 0, 0
    for row in rows:
        school = school_services.create_school(
            actor,
            row.authority,
            slug=row["slug"].lower(),
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            type=SchoolType(_type_value(row["type"])),
            address=row["address"],
            phone=row["phone"],
            email=row["email"],
            website=row["website"],
        )
        schools.append(school)
        if row["admin_email"]:
            appointment = account_services.appoint_staff(
                actor, school, {"email": row["admin_email"], "role": Role.SCHOOL_ADMIN.value}, language=language
            )
            appointed += appointment.membership is not None
            invited += appointment.invitation is not None
    return Added(schools, appointed, invited)


def as_csv(rows: list[Row]) -> str:
    """The rows as CSV again (the columns of COLUMNS): what the confirming form carries back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[column] for column in COLUMNS])
    return out.getvalue()


def template_csv(language: str) -> str:
    """The file to fill in: the column names, and one example school."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "重庆市渝中区教育委员会",
            "example-road-primary",
            "重庆市渝中区示例路小学",
            "Example Road Primary School, Yuzhong",
            "小学" if language != "en" else "Primary school",
            "重庆市渝中区示例路1号",
            "023-6300 0000",
            "office@example-school.cn",
            "https://example-school.cn",
            "principal@example-school.cn",
        ]
    )
    return "\ufeff" + out.getvalue()  # the mark by which Excel reads the file as UTF-8
