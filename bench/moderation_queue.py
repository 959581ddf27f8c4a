"""Benchmark: the moderation queue with a long backlog, and the approve action.

    .venv/bin/python bench/moderation_queue.py [--pending 10000] [--runs 30] [--approvals 100]

Builds a throwaway SQLite database by the real migrations (or uses DATABASE_URL, which it fills:
point it at an empty database) with one district of three schools, two open pre-moderated
consultations at each, and `--pending` responses awaiting moderation spread over the six
(users and responses bulk-inserted with core inserts: no password hashing, no ORM objects;
pending responses are not tallied, so the tallies stay consistent at zero).

Then, logged in as the district's moderator with the Flask test client, it requests the first
page of /moderation `--runs` times and prints the median and 95th percentile time and the
number of SQL queries (goals: at most 10 queries, median under 100 ms). Last, it times the
approve action at the service level `--approvals` times: lock a pending response
(moderation.queue.queue_response(..., for_update=True)), then
moderation.services.moderate(..., "publish") and commit (goal: median under 50 ms). Results are kept
in bench/results/<date>-moderation-queue-<database>.txt.
"""

import argparse
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_app import city_and_district, migrated_app, percentile, save_results, verdict  # noqa: E402

BATCH = 5000
SCHOOLS = 3
CONSULTATIONS_PER_SCHOOL = 2
SENTENCES = [
    "支持调整，建议试行一个学期后再评估。",
    "我们上班早，8:10到校不方便接送，希望学校提供早到看护。",
    "希望同时公布放学时间是否调整。",
    "冬天天亮得晚，8:10也没有明显区别。",
    "同意。可否在校门口增设护学岗？",
]
QUERY_GOAL, PAGE_GOAL_MS, APPROVE_GOAL_MS = 10, 100.0, 50.0


def bulk_pending(db, consultations, count, first_user_id, now):
    """`count` users, each with one pending response to one of `consultations` (round robin)."""
    from portal.accounts.models import User
    from portal.consultations.models import Response, ResponseState, Stance

    stances = list(Stance)
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        users, responses = [], []
        for n in range(made, made + size):
            user_id = first_user_id + n
            users.append(
                {
                    "id": user_id,
                    "email": f"bench-mq-{n}@example.net",
                    "display_name": f"家长{n}",
                    "password_hash": "!",
                    "session_token": f"{n:032d}"[-32:],
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            created = now - timedelta(seconds=count - n)
            responses.append(
                {
                    "consultation_id": consultations[n % len(consultations)].id,
                    "author_id": user_id,
                    "stance": stances[n % 3].value,
                    "body": " ".join(SENTENCES[(n + k) % len(SENTENCES)] for k in range(1 + n % 3)),
                    "answers": {},
                    "show_name": n % 2 == 0,
                    "state": ResponseState.PENDING.value,
                    "reject_reason": "",
                    "published_at": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        db.session.execute(insert(User), users)
        db.session.execute(insert(Response), responses)
        made += size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--approvals", type=int, default=100)
    parser.add_argument("--no-results-file", action="store_true", help="print only, write nothing to bench/results/")
    args = parser.parse_args()

    app = migrated_app(SERVER_NAME="bench.test")
    from portal.accounts import services as account_services
    from portal.accounts.models import Role
    from portal.clock import utcnow
    from portal.consultations import services
    from portal.consultations.models import QuestionKind, Response, ResponseState, Tally
    from portal.extensions import db
    from portal.moderation import queue as moderation
    from portal.moderation import services as moderation_services
    from portal.schools import services as school_services
    from portal.schools.models import SchoolType

    setup_started = time.perf_counter()
    with app.app_context():
        _city, district = city_and_district()
        now = utcnow()
        consultations = []
        for s in range(SCHOOLS):
            school = school_services.create_school(
                None,
                district,
                slug=f"bench-school-{s}",
                name_zh=f"基准第{s + 1}小学",
                name_en=f"Bench Primary {s + 1}",
                type=SchoolType.PRIMARY,
                address=f"基准路 {s + 1} 号",
            )
            for c in range(CONSULTATIONS_PER_SCHOOL):
                consultation = services.create_consultation(
                    None,
                    school=school,
                    data={
                        "title": f"关于调整学生到校时间的意见征集（{s + 1}-{c + 1}）",
                        "summary": "学校拟将学生到校时间由7:50调整为8:10，征求家长意见。",
                        "proposal": "## 提案\n\n为保证学生睡眠时间，拟自下学期起将到校时间调整为8:10。",
                        "audience": "registered",
                        "moderation": "pre",
                        "opens_at": now - timedelta(days=10),
                        "closes_at": now + timedelta(days=20),
                    },
                )
                services.add_question(None, consultation, kind=QuestionKind.TEXT, prompt="其他建议")
                services.submit(None, consultation, now=now - timedelta(days=11))
                services.approve(None, consultation, now=now - timedelta(days=11))
                consultations.append(consultation)
        db.session.commit()
        bulk_pending(db, consultations, args.pending, 1_000_000, now)
        db.session.commit()
        moderator = account_services.register_user(
            email="bench-moderator@example.net",
            display_name="基准审核员",
            password="bench password 2035",
            language="zh",
        )
        account_services.grant_membership(None, moderator, Role.MODERATOR, district)
        account_services.start_session(moderator, user_agent="bench")  # logged in, as through the login form
        db.session.commit()
        moderator_session = moderator.get_id()
        moderator_id = moderator.id
        engine = db.engine
        dialect = engine.dialect.name
        pending = db.session.scalar(
            select(db.func.count()).select_from(Response).where(Response.state == ResponseState.PENDING)
        )
        db.session.remove()
    setup_seconds = time.perf_counter() - setup_started

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = moderator_session, True

    queries = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(1))

    # The first page of the queue.
    for _ in range(3):  # warm up: templates compiled, caches filled
        assert client.get("/moderation").status_code == 200
    times, counts = [], []
    for _ in range(args.runs):
        queries.clear()
        start = time.perf_counter()
        response = client.get("/moderation")
        times.append((time.perf_counter() - start) * 1000)
        counts.append(len(queries))
        assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    items = page.count('class="moderation-item response-card"')
    shown = re.search(r'id="count-pending">([^<]*)<', page)
    shown = shown.group(1) if shown else "?"
    page_median, page_p95, page_queries = statistics.median(times), percentile(times, 0.95), max(counts)

    # The approve action at the service level: lock, publish, commit (oldest pending first).
    approve_times, approve_queries = [], []
    with app.test_request_context("/moderation"):
        from portal.accounts.models import User

        actor = db.session.get(User, moderator_id)
        ids = list(
            db.session.scalars(
                select(Response.id)
                .where(Response.state == ResponseState.PENDING)
                .order_by(Response.created_at, Response.id)
                .limit(args.approvals + 3)
            )
        )
        db.session.commit()
        for n, response_id in enumerate(ids):
            queries.clear()
            start = time.perf_counter()
            response = moderation.queue_response(response_id, for_update=True)
            moderation_services.moderate(actor, response, "publish")
            db.session.commit()
            elapsed = (time.perf_counter() - start) * 1000
            if n >= 3:  # the first few warm up
                approve_times.append(elapsed)
                approve_queries.append(len(queries))
        published = db.session.scalar(
            select(db.func.count()).select_from(Response).where(Response.state == ResponseState.PUBLISHED)
        )
        tallied = db.session.scalar(select(db.func.sum(Tally.count)).where(Tally.key == "published"))
        db.session.remove()
    approve_median, approve_p95 = statistics.median(approve_times), percentile(approve_times, 0.95)

    lines = [
        f"moderation queue: {pending:,} pending responses in {SCHOOLS * CONSULTATIONS_PER_SCHOOL} consultations "
        f"of {SCHOOLS} schools of one district ({dialect}, {os.cpu_count()} CPUs); "
        f"data built in {setup_seconds:.1f} s",
        f"{'measure':<48} {'median ms':>10} {'p95 ms':>8} {'queries':>8}",
        f"{f'GET /moderation, first page ({items} items), {args.runs} runs':<48} "
        f"{page_median:>10.1f} {page_p95:>8.1f} {page_queries:>8}",
        f"{f'lock + publish_response + commit, {len(approve_times)} runs':<48} "
        f"{approve_median:>10.1f} {approve_p95:>8.1f} {max(approve_queries):>8}",
        f"queue page queries: {page_queries} (goal <= {QUERY_GOAL})  {verdict(page_queries <= QUERY_GOAL)}",
        f"queue page median: {page_median:.1f} ms (goal < {PAGE_GOAL_MS:.0f} ms)  "
        f"{verdict(page_median < PAGE_GOAL_MS)}",
        f"approve median: {approve_median:.1f} ms (goal < {APPROVE_GOAL_MS:.0f} ms)  "
        f"{verdict(approve_median < APPROVE_GOAL_MS)}",
        f"the page's count of pending responses: {shown} (inserted: {pending:,})",
        f"after the run: {published} responses published, tally 'published' = {tallied}  "
        f"{'consistent' if published == tallied else 'INCONSISTENT'}",
    ]
    print("\n".join(lines))
    if not args.no_results_file:
        save_results(lines, f"moderation-queue-{dialect}")


if __name__ == "__main__":
    main()
