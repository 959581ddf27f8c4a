"""With REDIS_URL set and Redis down, people still post: feedback and consultation responses are
accepted (the rate limits count in memory meanwhile), and a decision's publication is asked for
and followed — never a 500. The jobs they ask for cannot be queued: /healthz says so, and the job
worker's sweep asks again for the publication once its job has not run within
PUBLISHING_ASKED_AGAIN_AFTER (tests/decisions/test_decision_publishing_job.py runs it to the end).

Each run is a process of its own (the job queue and the rate limiter are made once per process),
with Redis on a port nobody listens on, on SQLite or, when DATABASE_URL is set, on a new
PostgreSQL database beside the suite's."""

import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers.databases import new_postgres_database

ROOT = Path(__file__).resolve().parent.parent

REDIS_DOWN_POSTING = """
import json, os, sys, tempfile
from datetime import timedelta
from pathlib import Path
os.environ["PORTAL_SECRET_KEY"] = "x"
os.environ["REDIS_URL"] = "redis://127.0.0.1:1/0"  # the job queue too: nobody listens there
os.environ.pop("PORTAL_JOBS", None)
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy import func, select
from portal import create_app, jobs
from portal.accounts import services as accounts
from portal.clock import utcnow
from portal.consultations.models import Response
from portal.decisions import tasks
from portal.decisions.models import Decision
from portal.extensions import db
from portal.feedback.models import Feedback
from portal.schools.models import School
from tests.helpers import factories
from tests.helpers.consultations import create_consultation
from tests.helpers.decisions import publishable_drafts
from tests.helpers.feedback import form_data as feedback_form
from tests.helpers.pages import session_id
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
tmp = Path(sys.argv[2])
app = create_app({
    "SQLALCHEMY_DATABASE_URI": sys.argv[1], "WTF_CSRF_ENABLED": False, "SERVER_NAME": "portal.test",
    "PORTAL_PUBLIC_URL": "https://portal.test", "PORTAL_SMTP_URL": "", "PORTAL_OUTBOX_DIR": str(tmp / "outbox"),
    "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
    "PORTAL_PAGE_CACHE": False,
})
assert "Redis" in jobs.describe_queue()
with app.app_context():
    upgrade(directory="migrations")
    district = factories.authority()
    school = factories.school(district)
    parent = factories.user(role="parent", scope=school)
    board_member = factories.user(role="board_member", scope=school)
    consultation = create_consultation(school)
    single, multiple, text = consultation.questions
    response_form = {"stance": "support", "body": "同意调整。", f"answer_{single.id}": "1",
                     f"answer_{multiple.id}": ["0"], f"answer_{text.id}": "无"}
    draft_id = publishable_drafts(school, 1)[0].id
    ids = {"parent": session_id(parent), "board_member": session_id(board_member),
           "slug": school.slug, "consultation": consultation.id}
    db.session.remove()

def logged_in(who):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = ids[who]
        session["_fresh"] = True
    return client

english = {"Accept-Language": "en"}
parent_client, board_client = logged_in("parent"), logged_in("board_member")
statuses = {
    "feedback": parent_client.post(f"/schools/{ids['slug']}/feedback", data=feedback_form(),
                                   headers=english).status_code,
    "response": parent_client.post(f"/consultations/{ids['consultation']}/response", data=response_form,
                                   headers=english).status_code,
    "publish": board_client.post(f"/schools/{ids['slug']}/manage/decisions/{draft_id}/publish",
                                 data={"confirm": "y"}, headers=english).status_code,
}
progress = board_client.get(f"/schools/{ids['slug']}/manage/decisions/{draft_id}/publishing", headers=english)
statuses["progress"] = progress.status_code
health = app.test_client().get("/healthz").get_json()
with app.app_context():
    # Three minutes later, the job worker's sweep finds the publication whose job never ran; the
    # queue is still down, so it cannot queue it either: counted, and no exception.
    asked_again = tasks.ask_again_for_stalled_publications.call_local(now=utcnow() + timedelta(minutes=3))
    draft = db.session.get(Decision, draft_id)
    stored = {
        "feedback": db.session.scalar(select(func.count()).select_from(Feedback)),
        "responses": db.session.scalar(select(func.count()).select_from(Response)),
        "still_asked": draft.is_draft and draft.publishing_key is not None,
    }
print(json.dumps({"statuses": statuses, "health": health, "asked_again": asked_again,
                  "not_queued_after_sweep": jobs.enqueue_failures()["count"], "stored": stored}))
"""


@contextmanager
def database_of_its_own(tmp: str):
    """A SQLite file, or a new PostgreSQL database when the suite runs on PostgreSQL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp}/redis-down.db"
        return
    with new_postgres_database(url, f"{make_url(url).database}_redis_down_{os.getpid()}") as own_url:
        yield own_url


def test_with_redis_unreachable_feedback_responses_and_publishing_are_accepted_and_the_lost_jobs_reported():
    # Some 10 s: a process of its own that imports the whole portal, migrates a new database and
    # builds its school, people, consultation and draft.
    with tempfile.TemporaryDirectory() as tmp, database_of_its_own(tmp) as url:
        run = subprocess.run(
            [sys.executable, "-c", REDIS_DOWN_POSTING, url, tmp],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )

    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["statuses"] == {"feedback": 303, "response": 303, "publish": 303, "progress": 200}
    assert answer["stored"] == {"feedback": 1, "responses": 1, "still_asked": True}
    jobs_health = answer["health"]["jobs"]
    assert answer["health"]["status"] == "ok" and answer["health"]["redis"] == "unavailable"
    assert jobs_health["not_queued"] >= 1 and jobs_health["last_not_queued_at"]
    assert jobs_health["last_not_queued_job"].endswith("publish_requested_decision")
    assert answer["asked_again"] == 1
    assert answer["not_queued_after_sweep"] == jobs_health["not_queued"] + 1
