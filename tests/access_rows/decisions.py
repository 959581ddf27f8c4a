"""Access rows for decisions: the archive, a decision's page, its PDF and the feeds are public
(drafts are not found there for anyone: see tests/decisions/test_decision_page.py)."""

from tests.access_rows import everyone, url_arguments
from tests.helpers.decisions import insert_published


def arguments(school, other_school):
    """A published decision of `school` with a stand-in archived PDF, written straight into the
    database: these arguments are made for every route and role of the matrix, and publishing
    for real renders and signs a PDF (about 0.3 s)."""
    decision = insert_published(school, with_document=True)
    return {
        **url_arguments("decisions.index", "decisions.feed"),
        **url_arguments("decisions.show", "decisions.pdf", decision_id=decision.id),
        **url_arguments("decisions.school_feed", slug=school.slug),
    }


EXPECTED = {
    "decisions.index": everyone(200),
    "decisions.show": everyone(200),
    "decisions.pdf": everyone(200),
    "decisions.feed": everyone(200),
    "decisions.school_feed": everyone(200),
}

# The management routes (drafting and publishing) are in decision_drafts.py.
