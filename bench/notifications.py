"""Benchmark: a district-wide consultation opening for 10,000 verified parents, and the person's
notification pages with 100,000 notifications in the table (issue #11's goals).

    .venv/bin/python bench/notifications.py [--parents 10000] [--schools 20] [--email-share 0.2]
                                            [--table 100000] [--runs 20]

Builds a throwaway SQLite database by the real migrations (or uses DATABASE_URL, which it fills:
point it at an empty database) with one district of `--schools` schools and `--parents` verified
parents spread over them (users, memberships and preferences bulk-inserted: no password hashing,
no ORM objects). `--email-share` of the parents chose "email at once" for school news; the others
keep the default, the daily digest. An SMTP server (aiosmtpd, in a process of its own) listens on a
free port of 127.0.0.1.
Jobs wait in this process's memory and are run here, as a worker runs them.

1. The approving request: a district moderator approves, through POST /moderation/consultations/<id>
   (the Flask test client, logged in), a district-wide consultation whose audience is every parent,
   and, as the baseline in the same run, a consultation of a school with no parents. Both open at
   once, so each enqueues its fan-out job; neither writes the notifications itself. Goal: the
   district one under 300 ms (median of `--approvals` each), about the baseline's time.
2. The fan-out job (tasks.fan_out) for the district consultation: one notification per parent.
   Goal: under 10 s.
3. The mails of the parents who want them at once: written (each in its reader's language, from
   the notification) and sent to the SMTP server over one connection per batch, as the
   deliver_mails job does. Goal: at least 100 mails per second from the first written to the last
   received by the server.
4. /me/notifications (first and an older page) and the header's unread count (on /schools), for
   a reader with 10 notifications and for one with 10,000 unread, first with the reader's 10 alone
   in the table (the baseline), then with `--table` notifications in it. Goal: the same number
   of queries; the times about the same.

Results are kept in bench/results/<date>-notifications-<database>.txt.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ["PORTAL_JOBS"] = "memory"  # jobs wait in this process; the benchmark runs them

from sqlalchemy import event, func, insert, select  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_app import city_and_district, migrated_app, percentile, save_results, verdict  # noqa: E402

BATCH = 5000
FIRST_PARENT_ID = 1_000_000
APPROVE_GOAL_MS, FAN_OUT_GOAL_S, MAILS_PER_SECOND_GOAL = 300.0, 10.0, 100.0


SMTP_SERVER = """
import sys, time
from aiosmtpd.controller import Controller

class Counter:
    def __init__(self, path):
        self.count, self.path = 0, path

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        with open(self.path, "w") as out:
            out.write(str(self.count))
        return "250 Message accepted for delivery"

controller = Controller(Counter(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("listening", flush=True)
while True:
    time.sleep(3600)
"""


class SmtpServer:
    """aiosmtpd in a process of its own (as a real mail server is: it does not share this
    process's CPU time), counting what it accepts into a file."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.counted = folder / "smtp-count.txt"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SMTP_SERVER, str(self.port), str(self.counted)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "listening"

    @property
    def count(self) -> int:
        try:
            return int(self.counted.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bulk_parents(db, schools, count, email_share, now):
    """`count` verified parents, round robin over `schools`; the first `email_share` of them want
    school news by email at once."""
    from portal.accounts.models import Membership, Role, User
    from portal.notifications.models import Delivery, Kind, Preference

    by_email = round(count * email_share)
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        users, memberships, preferences = [], [], []
        for n in range(made, made + size):
            user_id = FIRST_PARENT_ID + n
            users.append(
                {
                    "id": user_id,
                    "email": f"bench-parent-{n}@example.net",
                    "display_name": f"家长{n}",
                    "password_hash": "!",
                    "language": "en" if n % 5 == 0 else "zh",
                    "session_token": f"{n:032d}"[-32:],
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            memberships.append(
                {"user_id": user_id, "role": Role.PARENT, "school_id": schools[n % len(schools)].id, "created_at": now}
            )
            if n < by_email:
                preferences.append(
                    {"user_id": user_id, "kind": Kind.SCHOOL_NEWS, "delivery": Delivery.EMAIL, "updated_at": now}
                )
        db.session.execute(insert(User), users)
        db.session.execute(insert(Membership), memberships)
        if preferences:
            db.session.execute(insert(Preference), preferences)
        made += size
    return by_email


def bulk_notifications(db, user_ids, count, now):
    """`count` notifications, round robin over `user_ids`, unread, in the portal only."""
    from portal.notifications.models import Delivery, Kind, Notification

    made = 0
    while made < count:
        size = min(BATCH, count - made)
        db.session.execute(
            insert(Notification),
            [
                {
                    "user_id": user_ids[n % len(user_ids)],
                    "kind": Kind.FEEDBACK,
                    "event": "feedback.answered",
                    "endpoint": "feedback.my_item",
                    "url_args": {"feedback_id": n + 1},
                    "params": {"reference": f"FB-2026-{n:06d}", "school": {"zh": "基准第1小学", "en": "Bench 1"}},
                    "created_at": now - timedelta(seconds=count - n),
                    "delivery": Delivery.PORTAL,
                }
                for n in range(made, made + size)
            ],
        )
        made += size
    db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parents", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--email-share", type=float, default=0.2)
    parser.add_argument("--table", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--approvals", type=int, default=5)
    parser.add_argument("--no-results-file", action="store_true", help="print only, write nothing to bench/results/")
    args = parser.parse_args()

    counter = SmtpServer(Path(tempfile.mkdtemp(prefix="portal-bench-smtp-")))
    port = counter.port

    app = migrated_app(
        SERVER_NAME="bench.test",
        PORTAL_PUBLIC_URL="https://bench.test",
        PORTAL_SMTP_URL=f"smtp://127.0.0.1:{port}",
    )
    from portal import jobs
    from portal.accounts import services as account_services
    from portal.accounts.models import Role
    from portal.clock import utcnow
    from portal.consultations import services as consultations
    from portal.consultations.models import QuestionKind
    from portal.extensions import db
    from portal.notifications import mail, tasks
    from portal.notifications.models import Mail, MailStatus, Notification
    from portal.schools import services as school_services
    from portal.schools.models import SchoolType

    setup_started = time.perf_counter()
    with app.app_context():
        _city, district = city_and_district()
        now = utcnow()

        def school(n, slug):
            return school_services.create_school(
                None,
                district,
                slug=slug,
                name_zh=f"基准第{n}小学",
                name_en=f"Bench Primary {n}",
                type=SchoolType.PRIMARY,
                address=f"基准路 {n} 号",
            )

        schools = [school(n + 1, f"bench-school-{n}") for n in range(args.schools)]
        empty = school(0, "bench-empty-school")  # the baseline's: nobody to tell

        def submitted(owner, title):
            consultation = consultations.create_consultation(
                None,
                data={
                    "title": title,
                    "summary": "区教委拟调整中小学课后服务时间，征求家长意见。",
                    "proposal": "## 提案\n\n自下学期起，课后服务结束时间统一调整为17:30。",
                    "audience": "registered",
                    "moderation": "pre",
                    "opens_at": now - timedelta(hours=1),
                    "closes_at": now + timedelta(days=20),
                },
                **owner,
            )
            consultations.add_question(None, consultation, kind=QuestionKind.TEXT, prompt="其他建议")
            consultations.submit(None, consultation, now=now - timedelta(hours=2))
            return consultation.id

        baseline_ids = [submitted({"school": empty}, f"学校自己的征集（{n}）") for n in range(args.approvals)]
        district_ids = [
            submitted({"authority": district}, f"全区课后服务时间调整意见征集（{n}）") for n in range(args.approvals)
        ]
        db.session.commit()
        by_email = bulk_parents(db, schools, args.parents, args.email_share, now)
        moderator = account_services.register_user(
            email="bench-moderator@example.net",
            display_name="基准审核员",
            password="bench password 2035",
            language="zh",
        )
        account_services.grant_membership(None, moderator, Role.MODERATOR, district)
        reader = account_services.register_user(
            email="bench-reader@example.net", display_name="基准读者", password="bench password 2035", language="zh"
        )
        heavy = account_services.register_user(
            email="bench-heavy@example.net", display_name="通知很多的人", password="bench password 2035", language="zh"
        )
        for person in (moderator, reader, heavy):  # logged in, as through the login form
            account_services.start_session(person, user_agent="bench")
        db.session.commit()
        sessions = {"moderator": moderator.get_id(), "reader": reader.get_id(), "heavy": heavy.get_id()}
        reader_id, heavy_id, moderator_id = reader.id, heavy.id, moderator.id
        bulk_notifications(db, [reader_id], 10, now)
        engine = db.engine
        dialect = engine.dialect.name
        db.session.remove()
    setup_seconds = time.perf_counter() - setup_started

    queries = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(1))

    def client_of(who):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = sessions[who], True
        return client

    # 4a. The person's pages with the reader's 10 notifications alone in the table (the baseline).
    def measure(who, address):
        client = client_of(who)
        for _ in range(3):
            assert client.get(address).status_code == 200
        times, counts = [], []
        for _ in range(args.runs):
            queries.clear()
            start = time.perf_counter()
            assert client.get(address).status_code == 200
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(queries))
        return statistics.median(times), max(counts)

    def service_times(user_id):
        """The two queries themselves (the count and a page), without the page around them."""
        from portal.accounts.models import User
        from portal.notifications import services

        with app.app_context():
            person = db.session.get(User, user_id)
            figures = {}
            for name, run in (
                ("unread_count", lambda: services.unread_count(person)),
                ("notifications_of", lambda: services.notifications_of(person, limit=services.PAGE_SIZE + 1)),
            ):
                run()
                times = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    run()
                    times.append((time.perf_counter() - start) * 1000)
                figures[name] = statistics.median(times)
            db.session.remove()
        return figures

    with app.app_context():
        older = db.session.scalar(
            select(Notification.id).where(Notification.user_id == reader_id).order_by(Notification.id).offset(4)
        )
    pages = [
        ("reader", "/me/notifications", "/me/notifications, 10 of their own"),
        ("reader", f"/me/notifications?before={older}", "/me/notifications?before= (older page)"),
        ("reader", "/schools", "header count on /schools, 10 unread"),
    ]
    small_table = {label: measure(who, address) for who, address, label in pages}
    small_service = service_times(reader_id)
    with app.app_context():
        small_size = db.session.scalar(select(func.count()).select_from(Notification))
    # 1. The approving request, district-wide and the baseline, alternately.
    moderator_client = client_of("moderator")
    moderator_client.get("/moderation")  # warm up: templates compiled
    approve = {"baseline": [], "district": []}
    approve_queries = {"baseline": 0, "district": 0}
    for baseline_id, district_id in zip(baseline_ids, district_ids, strict=True):
        for name, consultation_id in (("baseline", baseline_id), ("district", district_id)):
            queries.clear()
            start = time.perf_counter()
            response = moderator_client.post(f"/moderation/consultations/{consultation_id}", data={"action": "approve"})
            approve[name].append((time.perf_counter() - start) * 1000)
            approve_queries[name] = max(approve_queries[name], len(queries))
            assert response.status_code in (200, 303), response.status_code
    waiting = jobs.huey.pending_count()
    jobs.huey.flush()  # each approval enqueued its fan-out; one is run below, by itself
    with app.app_context():
        written_by_requests = db.session.scalar(select(func.count()).select_from(Notification)) - small_size

    # 2. The fan-out job of one district consultation.
    with app.app_context():
        start = time.perf_counter()
        tasks.fan_out.call_local("consultation.opened", "Consultation", district_ids[0], moderator_id)
        fan_out_seconds = time.perf_counter() - start
        told = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.event == "consultation.opened")
        )
        db.session.remove()
    jobs.huey.flush()  # its deliver_mails job: run below, step by step

    # 3. The mails: written, then sent to the SMTP server.
    with app.app_context():
        start = time.perf_counter()
        while mail.write_due_mails() == mail.BATCH:
            pass
        write_seconds = time.perf_counter() - start
        written = db.session.scalar(select(func.count()).select_from(Mail))
        start = time.perf_counter()
        while mail.deliver_batch() == mail.BATCH:
            pass
        while counter.count < written and time.perf_counter() - start < 600:
            time.sleep(0.01)
        send_seconds = time.perf_counter() - start
        sent = db.session.scalar(select(func.count()).select_from(Mail).where(Mail.status == MailStatus.SENT))
        db.session.remove()
    counter.stop()
    mails_per_second = counter.count / (write_seconds + send_seconds) if counter.count else 0.0

    # 4b. The same pages with many notifications in the table.
    with app.app_context():
        in_table = db.session.scalar(select(func.count()).select_from(Notification))
        parents = list(range(FIRST_PARENT_ID, FIRST_PARENT_ID + args.parents))
        heavy_share = min(10_000, max(args.table - in_table, 0))
        bulk_notifications(db, [heavy_id], heavy_share, utcnow())
        bulk_notifications(db, parents, max(args.table - in_table - heavy_share, 0), utcnow())
        in_big_table = db.session.scalar(select(func.count()).select_from(Notification))
        db.session.remove()
    big_table = {label: measure(who, address) for who, address, label in pages}
    big_service = service_times(reader_id)
    heavy_pages = {
        f"/me/notifications, {heavy_share:,} unread of their own": measure("heavy", "/me/notifications"),
        f"header count on /schools, {heavy_share:,} unread (shows 99+)": measure("heavy", "/schools"),
    }

    district_median, baseline_median = statistics.median(approve["district"]), statistics.median(approve["baseline"])
    baseline_label = f"baseline: a school with no parents, {len(approve['baseline'])} runs"
    district_label = f"district-wide, audience {args.parents:,} parents, {len(approve['district'])} runs"
    same_queries = all(small_table[label][1] == big_table[label][1] for label in small_table)
    lines = [
        f"notifications: a district of {args.schools} schools, {args.parents:,} verified parents "
        f"({by_email:,} want school news by email at once) ({dialect}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}); "
        f"data built in {setup_seconds:.1f} s",
        "",
        f"{'approving request (POST /moderation/consultations/<id>)':<58} {'median ms':>10} {'p95 ms':>8} "
        f"{'queries':>8}",
        f"{baseline_label:<58} {baseline_median:>10.1f} "
        f"{percentile(approve['baseline'], 0.95):>8.1f} {approve_queries['baseline']:>8}",
        f"{district_label:<58} "
        f"{district_median:>10.1f} {percentile(approve['district'], 0.95):>8.1f} {approve_queries['district']:>8}",
        f"ratio district / baseline: {district_median / baseline_median:.2f}; notifications written by the "
        f"requests: {written_by_requests}; jobs they enqueued: {waiting}",
        f"approving median: {district_median:.1f} ms (goal < {APPROVE_GOAL_MS:.0f} ms)  "
        f"{verdict(district_median < APPROVE_GOAL_MS)}",
        "",
        f"fan-out job: {told:,} notifications written in {fan_out_seconds:.2f} s "
        f"({told / fan_out_seconds:,.0f} per s) (goal < {FAN_OUT_GOAL_S:.0f} s)  "
        f"{verdict(fan_out_seconds < FAN_OUT_GOAL_S and told == args.parents)}",
        f"mails: {written:,} written in {write_seconds:.2f} s ({written / max(write_seconds, 1e-9):,.0f} per s), "
        f"{counter.count:,} received by the SMTP server in {send_seconds:.2f} s "
        f"({counter.count / max(send_seconds, 1e-9):,.0f} per s); {sent:,} marked sent",
        f"mails from the first written to the last received: {mails_per_second:,.0f} per s "
        f"(goal >= {MAILS_PER_SECOND_GOAL:.0f})  "
        f"{verdict(mails_per_second >= MAILS_PER_SECOND_GOAL and counter.count == by_email == sent)}",
        "",
        f"{'page':<52} {'table':>9} {'median ms':>10} {'queries':>8}",
    ]
    for label in small_table:
        for size, figures in ((small_size, small_table[label]), (in_big_table, big_table[label])):
            lines.append(f"{label:<52} {size:>9,} {figures[0]:>10.1f} {figures[1]:>8}")
    for label, figures in heavy_pages.items():
        lines.append(f"{label:<52} {in_big_table:>9,} {figures[0]:>10.1f} {figures[1]:>8}")
    ratios = ", ".join(
        f"{label.split(',')[0]}: {big_table[label][0] / small_table[label][0]:.2f}" for label in small_table
    )
    for name in small_service:
        lines.append(
            f"{f'services.{name}() alone (the query)':<52} {small_size:>9,} {small_service[name]:>10.2f} {1:>8}"
        )
        lines.append(
            f"{f'services.{name}() alone (the query)':<52} {in_big_table:>9,} {big_service[name]:>10.2f} {1:>8}"
        )
    lines += [
        f"time ratio {in_big_table:,} / {small_size:,} in the table: {ratios}",
        f"same query count with {in_big_table:,} notifications as with {small_size:,}: "
        f"{'yes' if same_queries else 'NO'}  {verdict(same_queries)}",
    ]
    print("\n".join(lines))
    if not args.no_results_file:
        save_results(lines, f"notifications-{dialect}")


if __name__ == "__main__":
    main()
