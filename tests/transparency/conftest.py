"""A school with three decisions published through the services (rendered, signed, archived and
logged like real ones), the third superseding the first; built once per module."""

import pytest

from portal.decisions import services as decisions
from portal.decisions.models import Decision
from tests.helpers import factories
from tests.helpers.decisions import publishable_drafts


@pytest.fixture(scope="module")
def log_world(app, module_db):
    city = factories.authority(**factories.CITY)
    district = factories.authority(**factories.DISTRICT, parent=city)
    school = factories.school(district, **factories.SCHOOL)
    module_db.session.commit()
    first, second, third = publishable_drafts(school, 3)
    with app.app_context():
        for draft in (first, second):
            decisions.publish_decision(None, module_db.session.get(Decision, draft.id))
            module_db.session.commit()
        replacing = module_db.session.get(Decision, third.id)
        replacing.supersedes_id = first.id
        module_db.session.flush()
        module_db.session.expire(replacing)
        decisions.publish_decision(None, replacing)
        module_db.session.commit()
        published = [module_db.session.get(Decision, d.id) for d in (first, second, third)]
        return {
            "school_slug": school.slug,
            "decision_ids": [d.id for d in published],
            "sha256": [d.document_sha256 for d in published],
        }


@pytest.fixture
def db(log_world, savepoint_db):
    return savepoint_db
