"""Access rows for the charter: public pages open to everyone; management for the school's own
administrators only (404 for staff of other schools and districts, 403 for everyone else)."""

from datetime import date

from tests.access_rows import everyone, management, url_arguments


def school_admins_only(allowed_status):
    return management(allowed_status)  # commission admins oversee the charter, do not write it


def arguments(school, other_school):
    """Adopted versions 1 and 2 and draft 3 of `school`'s charter. Routes get n=1, an adopted
    version: editing, previewing or adopting it again is a conflict (409), and a new draft
    cannot start while draft 3 is open (409)."""
    from portal.charters import services
    from portal.extensions import db

    for number, body in ((1, "# 第一章 总则\n\n第一条 本校名称。"), (2, "# 第一章 总则\n\n第一条 本校名称和地址。")):
        draft = services.start_draft(None, school, from_template=False)
        services.edit_draft(None, draft, body=body, change_note=f"第{number}版")
        services.adopt_version(
            None, draft, adopted_on=date(2020 + number, 6, 1), effective_on=date(2020 + number, 9, 1)
        )
    services.start_draft(None, school)
    db.session.commit()
    return {
        **url_arguments("charters.current", "charters.versions", "charters.diff", "charters.manage", slug=school.slug),
        **url_arguments("charters.start_draft", slug=school.slug),
        **url_arguments(
            "charters.version",
            "charters.version_pdf",
            "charters.edit_draft",
            "charters.preview",
            "charters.adopt",
            "charters.discard",
            slug=school.slug,
            n=1,
        ),
    }


EXPECTED = {
    "charters.current": everyone(200),
    "charters.versions": everyone(200),
    "charters.version": everyone(200),
    "charters.diff": everyone(200),  # no versions chosen: the form to choose them
    "charters.version_pdf": everyone(200),  # version 1, adopted: its archived PDF
    "charters.manage": school_admins_only(200),
    "charters.start_draft": school_admins_only(409),
    "charters.edit_draft": school_admins_only(409),
    "charters.preview": school_admins_only(409),
    "charters.adopt": school_admins_only(409),
    "charters.discard": school_admins_only(409),  # version 1 is adopted: never deleted
}

EXPECTED_POST = {
    "charters.edit_draft": school_admins_only(409),
}
