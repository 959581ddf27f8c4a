"""Authorities, schools and people made through the services and committed: what the `make_*`
fixtures of tests/conftest.py return, and what a module-scoped fixture calls to build its data
once (see `module_db` there). The places the fixtures `city`, `district`, `other_district`,
`school` and `other_school` make are named here, so a module's own world can be the same."""

import itertools

from portal.accounts import services as account_services
from portal.accounts.models import Role
from portal.extensions import db
from portal.schools import services as school_services
from portal.schools.models import SchoolType
from tests.helpers.pages import PASSWORD

CITY = {"name_zh": "测试市教育委员会", "name_en": "Test City Education Commission"}
DISTRICT = {"name_zh": "测试甲区教育委员会", "name_en": "Test District A"}
OTHER_DISTRICT = {"name_zh": "测试乙区教育委员会", "name_en": "Test District B"}
SCHOOL = {"slug": "first-school", "name_zh": "测试第一小学", "name_en": "First Test Primary School"}
OTHER_SCHOOL = {"slug": "other-school", "name_zh": "测试第二中学", "name_en": "Second Test Middle School"}

_sequence = itertools.count(1)


def authority(name_zh=None, name_en=None, parent=None):
    n = next(_sequence)
    made = school_services.create_authority(
        None, name_zh=name_zh or f"测试区教育委员会{n}", name_en=name_en or f"Test District {n}", parent=parent
    )
    db.session.commit()
    return made


def school(authority, slug=None, name_zh=None, name_en=None, type=SchoolType.PRIMARY):
    n = next(_sequence)
    made = school_services.create_school(
        None,
        authority,
        slug=slug or f"test-school-{n}",
        name_zh=name_zh or f"测试第{n}小学",
        name_en=name_en or f"Test Primary School No. {n}",
        type=type,
        address=f"测试路 {n} 号",
    )
    db.session.commit()
    return made


def user(email=None, display_name=None, password=PASSWORD, role=None, scope=None, active=True, language=None):
    """A user holding `role` in `scope` (or no role)."""
    n = next(_sequence)
    made = account_services.register_user(
        email=email or f"person{n}@example.org",
        display_name=display_name or f"测试用户{n}",
        password=password,
        language=language,
    )
    made.active = active
    if role is not None:
        account_services.grant_membership(None, made, Role(role), scope)
    db.session.commit()
    return made
