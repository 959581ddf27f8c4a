"""Fixtures for the charter's tests: a school administrator and a school with a charter."""

from datetime import date

import pytest

from portal.charters import services
from tests.helpers.charters import VERSION_1, VERSION_2


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """Adopting a charter or approving minutes renders a PDF; the same ones, test after test."""


@pytest.fixture
def add_version(with_app, db):
    """add_version(school, body, adopted_on=..., note=...) -> an adopted version, made through the
    services (so its PDF is rendered, signed and archived)."""

    def add(school, body, *, adopted_on=date(2024, 6, 1), effective_on=None, note="", adopt=True, actor=None):
        with with_app():  # adopting renders and signs the version's PDF
            draft = services.start_draft(actor, school, from_template=False)
            services.edit_draft(actor, draft, body=body, change_note=note)
            if adopt:
                services.adopt_version(actor, draft, adopted_on=adopted_on, effective_on=effective_on or adopted_on)
            db.session.commit()
        return draft

    return add


@pytest.fixture
def charter(school, add_version):
    """Versions 1 (2021) and 2 (2025) of the school's charter, both adopted."""
    first = add_version(school, VERSION_1, adopted_on=date(2021, 6, 25), effective_on=date(2021, 9, 1), note="首部章程")
    second = add_version(
        school, VERSION_2, adopted_on=date(2025, 3, 28), effective_on=date(2025, 4, 1), note="修订第四条，新增第六条"
    )
    return first, second


@pytest.fixture
def draft(school, charter, db):
    """Draft version 3, a copy of version 2."""
    version = services.start_draft(None, school)
    db.session.commit()
    return version
