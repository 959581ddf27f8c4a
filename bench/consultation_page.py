"""Benchmark: a consultation's page and its CSV export as responses grow.

    .venv/bin/python bench/consultation_page.py [--small 100] [--large 100000] [--runs 40]

Builds a throwaway SQLite database (or uses DATABASE_URL, which it fills: point it at an empty
database), with two open consultations of one school: one with `--small` responses, one with
`--large`. Users and responses are bulk-inserted (no password hashing, no ORM objects), most of
them published, some awaiting moderation or rejected, and the running tallies are set to the
counts of what was inserted, as the services would have kept them.

It then requests each consultation's page `--runs` times with the Flask test client (as a
visitor, as a parent who responded, as the district's moderator) and prints the median and 95th
percentile time, the number of SQL queries, and the ratio large / small (the goal: at most
1.2). Last, it streams the large consultation's CSV and JSON exports under tracemalloc and
prints their peak memory (the goal: under 100 MB) and size, then asks for each again with its
ETag (a browser or a script that has it): the time of the 304. Results are kept in bench/results/
"""

import argparse
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_app import city_and_district, migrated_app, save_results  # noqa: E402

BATCH = 5000
# A response of a few sentences, as parents write them; varied so that pages are not all alike.
SENTENCES = [
    "同意将课后服务延长到17:30，孩子可以多一些体育活动。",
    "双职工家庭接孩子确实困难，延长时间很有帮助。",
    "希望增加阅读和作业辅导，不要只是看管。",
    "担心孩子在校时间过长，太累，建议自愿参加。",
    "费用标准请提前公示，困难家庭能否减免？",
    "建议分年级安排，低年级可以早一点结束。",
]


def bulk_responses(db, consultation, count, first_user_id, now):
    """`count` users and their responses to `consultation`, in batches; returns the tallies."""
    from portal.accounts.models import User
    from portal.consultations import responses as response_services
    from portal.consultations.models import Response, ResponseState, Stance

    stances = list(Stance)
    single, multiple, _text = consultation.questions
    tallies = {"published": 0}
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        users, responses = [], []
        for n in range(made, made + size):
            user_id = first_user_id + n
            users.append(
                {
                    "id": user_id,
                    "email": f"bench-{consultation.id}-{n}@example.net",
                    "display_name": f"家长{n}",
                    "password_hash": "!",
                    "session_token": f"{n:032d}"[-32:],
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            # The latest 25 and one in 50 await moderation (so that both pages list a full queue
            # of 20 for the moderator), one in 97 was rejected, the rest are published.
            state = (
                ResponseState.PENDING
                if n % 50 == 0 or n >= count - 25
                else ResponseState.REJECTED
                if n % 97 == 0
                else ResponseState.PUBLISHED
            )
            stance = stances[n % 3]
            answers = {str(single.id): n % 3, str(multiple.id): sorted({n % 4, (n // 4) % 4})}
            published = state == ResponseState.PUBLISHED
            responses.append(
                {
                    "consultation_id": consultation.id,
                    "author_id": user_id,
                    "stance": stance.value,
                    "body": " ".join(SENTENCES[(n + k) % len(SENTENCES)] for k in range(1 + n % 3)),
                    "answers": answers,
                    "show_name": n % 2 == 0,
                    "state": state.value,
                    "reject_reason": "与主题无关" if state == ResponseState.REJECTED else "",
                    "published_at": now - timedelta(seconds=count - n) if published else None,
                    "created_at": now - timedelta(seconds=count - n),
                    "updated_at": now - timedelta(seconds=count - n),
                }
            )
            if state == ResponseState.REJECTED:
                key = response_services.rejected_key("与主题无关")
                tallies[key] = tallies.get(key, 0) + 1
            if published:
                for key in (
                    "published",
                    f"stance:{stance.value}",
                    f"choice:{single.id}:{answers[str(single.id)]}",
                    *[f"choice:{multiple.id}:{i}" for i in answers[str(multiple.id)]],
                ):
                    tallies[key] = tallies.get(key, 0) + 1
        db.session.execute(insert(User), users)
        db.session.execute(insert(Response), responses)
        made += size
    return tallies


def set_tallies(db, consultation, tallies):
    from portal.consultations import responses as response_services
    from portal.consultations.models import Tally

    for key, count in tallies.items():
        if key.startswith(response_services.REJECTED_PREFIX):  # made at a reason's first rejection
            db.session.add(Tally(consultation_id=consultation.id, key=key, label="与主题无关", count=count))
            continue
        db.session.execute(
            update(Tally).where(Tally.consultation_id == consultation.id, Tally.key == key).values(count=count)
        )


def timed(client, paths, runs, queries):
    """Median and 95th percentile (ms) and queries of each path, the paths requested in turn so
    that whatever warms up or slows down over time affects them alike."""
    for path in paths:
        for _ in range(3):  # warm up: templates compiled, caches filled
            client.get(path)
    times = {path: [] for path in paths}
    counts = {path: 0 for path in paths}
    for _ in range(runs):
        for path in paths:
            queries.clear()
            start = time.perf_counter()
            response = client.get(path)
            times[path].append((time.perf_counter() - start) * 1000)
            counts[path] = max(counts[path], len(queries))
            assert response.status_code == 200, (path, response.status_code)
    return {
        path: (statistics.median(values), sorted(values)[max(0, int(len(values) * 0.95) - 1)], counts[path])
        for path, values in times.items()
    }


def streamed_peak(client, path):
    """Stream the export chunk by chunk (as a server would send it) and report tracemalloc's peak."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    response = client.get(path)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--slowest", action="store_true", help="also print the time of each query of the large page")
    args = parser.parse_args()

    app = migrated_app(SERVER_NAME="bench.test")
    from portal.accounts import services as account_services
    from portal.accounts.models import Role
    from portal.clock import utcnow
    from portal.consultations import responses as response_services
    from portal.consultations import services
    from portal.consultations.models import QuestionKind
    from portal.extensions import db
    from portal.schools import services as school_services
    from portal.schools.models import SchoolType

    setup_started = time.perf_counter()
    with app.app_context():
        _city, district = city_and_district()
        school = school_services.create_school(
            None,
            district,
            slug="bench-school",
            name_zh="基准小学",
            name_en="Bench Primary",
            type=SchoolType.PRIMARY,
            address="基准路 1 号",
        )
        now = utcnow()
        consultations = {}
        for name, count in (("small", args.small), ("large", args.large)):
            consultation = services.create_consultation(
                None,
                school=school,
                data={
                    "title": f"关于调整课后服务时间的意见征集（{count}条回应）",
                    "summary": "学校拟调整课后服务结束时间，征求家长意见。",
                    "proposal": "## 提案\n\n拟将课后服务结束时间由17:00调整为17:30。\n\n" * 5,
                    "audience": "registered",
                    "moderation": "pre",
                    "opens_at": now - timedelta(days=10),
                    "closes_at": now + timedelta(days=20),
                },
            )
            services.add_question(
                None,
                consultation,
                kind=QuestionKind.SINGLE,
                prompt="您希望课后服务几点结束？",
                choices=["17:00", "17:30", "18:00"],
            )
            services.add_question(
                None,
                consultation,
                kind=QuestionKind.MULTIPLE,
                prompt="您希望增加哪些活动？",
                choices=["体育", "艺术", "阅读", "作业辅导"],
            )
            services.add_question(None, consultation, kind=QuestionKind.TEXT, prompt="其他建议")
            services.submit(None, consultation, now=now - timedelta(days=11))
            services.approve(None, consultation, now=now - timedelta(days=11))
            consultations[name] = consultation
        db.session.commit()
        first_id = 1_000_000
        for consultation, count in ((consultations["small"], args.small), (consultations["large"], args.large)):
            set_tallies(db, consultation, bulk_responses(db, consultation, count, first_id, now))
            first_id += count
            db.session.commit()
        parent = account_services.register_user(
            email="bench-parent@example.net", display_name="基准家长", password="bench password 2035", language="zh"
        )
        account_services.grant_membership(None, parent, Role.PARENT, school)
        moderator = account_services.register_user(
            email="bench-moderator@example.net",
            display_name="基准审核员",
            password="bench password 2035",
            language="zh",
        )
        account_services.grant_membership(None, moderator, Role.MODERATOR, district)
        for consultation in consultations.values():
            response_services.submit_response(
                parent,
                consultation,
                {"stance": "support", "body": "我的回应", "answers": {}, "show_name": True},
                now=now,
            )
        for person in (parent, moderator):  # logged in, as through the login form
            account_services.start_session(person, user_agent="bench")
        db.session.commit()
        ids = {name: consultation.id for name, consultation in consultations.items()}
        sessions = {"parent": parent.get_id(), "moderator": moderator.get_id()}
        engine = db.engine
    setup_seconds = time.perf_counter() - setup_started

    clients = {"visitor": app.test_client()}
    for who, session_id in sessions.items():
        clients[who] = app.test_client()
        with clients[who].session_transaction() as session:
            session["_user_id"], session["_fresh"] = session_id, True

    queries = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(1))
    lines = [
        f"consultation page: {args.small:,} vs {args.large:,} responses, {args.runs} runs each "
        f"({engine.dialect.name}); data built in {setup_seconds:.1f} s",
        f"{'page':<34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}",
    ]
    print("\n".join(lines))
    ratios = {}
    for who, client in clients.items():
        medians = {}
        measured = timed(client, [f"/consultations/{ids[name]}" for name in ("small", "large")], args.runs, queries)
        for name in ("small", "large"):
            median, p95, count = measured[f"/consultations/{ids[name]}"]
            medians[name] = median
            line = f"{f'{name} ({who})':<34} {median:>10.1f} {p95:>8.1f} {count:>8}"
            lines.append(line)
            print(line)
        ratios[who] = medians["large"] / medians["small"]
    for who, ratio in ratios.items():
        line = f"ratio large/small ({who}): {ratio:.2f}  {'ok' if ratio <= 1.2 else 'OVER 1.2'}"
        lines.append(line)
        print(line)

    if args.slowest:
        started = {}
        spent = []
        event.listen(
            engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, *a: started.__setitem__("t", time.perf_counter()),
        )
        event.listen(
            engine,
            "after_cursor_execute",
            lambda conn, cursor, statement, *a: spent.append(((time.perf_counter() - started["t"]) * 1000, statement)),
        )
        for who, client in clients.items():
            spent.clear()
            client.get(f"/consultations/{ids['large']}")
            print(f"queries of the large page ({who}):")
            for ms, statement in spent:
                print(f"  {ms:6.2f} ms  {' '.join(statement.split())[:110]}")

    for extension in ("csv", "json"):
        peak, size, elapsed = streamed_peak(clients["visitor"], f"/consultations/{ids['large']}/responses.{extension}")
        line = (
            f"export {extension} of {args.large:,} responses: {size / 1e6:.1f} MB in {elapsed:.1f} s "
            f"(under tracemalloc), peak memory {peak / 1e6:.1f} MB  {'ok' if peak < 100e6 else 'OVER 100 MB'}"
        )
        lines.append(line)
        print(line)
        # A browser or a script that has the export asks again with its ETag: 304, nothing streamed.
        address = f"/consultations/{ids['large']}/responses.{extension}"
        first = clients["visitor"].get(address)
        etag = first.headers["ETag"]
        first.close()
        times = []
        for _ in range(20):
            begun = time.perf_counter()
            again = clients["visitor"].get(address, headers={"If-None-Match": etag})
            times.append((time.perf_counter() - begun) * 1000)
            assert again.status_code == 304, again.status_code
        line = (
            f"export {extension} of {args.large:,} responses asked again with its ETag: "
            f"304 in {statistics.median(times):.1f} ms (median of 20)"
        )
        lines.append(line)
        print(line)

    save_results(lines, f"consultation-page-{args.large}-{engine.dialect.name}")


if __name__ == "__main__":
    main()
