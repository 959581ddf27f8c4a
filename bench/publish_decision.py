"""Benchmark: publishing a decision end to end, as the "Publish" button does.

    .venv/bin/python bench/publish_decision.py [--runs 20] [--paragraphs 14]

Builds a throwaway SQLite database by the real migrations (or uses DATABASE_URL, which it fills:
point it at an empty database), adds a school with a board and a past meeting with its
attendance, then `--runs` times: create_draft (a two-page Chinese decision) → commit →
publish_decision (number, render, sign, archive, log, audit) → commit. Prints the median, 90th
percentile and slowest time of each step and of the whole, and writes the same lines to
bench/results/<date>-publish-decision-<database>.txt. The first publication of a process also
loads the fonts; it is timed on its own and left out of the statistics.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPH = (
    "学校食堂坚持公益性，落实食品安全校长负责制和陪餐制度。食材统一由区教育委员会招标确定的配送企业供应，"
    "严格执行晨检、留样和索证索票制度；每月在学校治理门户公布带量食谱和主要食材来源，接受家长和社会监督。"
)


def decision_body(paragraphs: int) -> str:
    numerals = "一二三四五六七八九十"
    items = [f"{numerals[(n // 4) % 10]}、{PARAGRAPH}" if n % 4 == 0 else PARAGRAPH for n in range(paragraphs)]
    return "\n\n".join(items) + "\n"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def page_count(pdf_bytes: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf_bytes)).root["/Pages"]["/Count"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--paragraphs", type=int, default=14, help="paragraphs of the body (14 fill two pages)")
    parser.add_argument("--no-results-file", action="store_true", help="print only, write nothing to bench/results/")
    args = parser.parse_args()
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")

    from flask_migrate import upgrade

    from portal import create_app
    from portal.decisions import services
    from portal.documents.models import Document
    from portal.documents.signing import generate_development_keys
    from portal.extensions import db
    from portal.meetings import services as meetings
    from portal.meetings.models import BodyKind, Constituency, Position
    from portal.schools import services as school_services
    from portal.schools.models import SchoolType
    from portal.transparency.services import generate_log_key

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    key, cert = generate_development_keys(tmp / "key.pem", tmp / "cert.pem")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PORTAL_SIGNING_KEY": str(key),
            "PORTAL_SIGNING_CERT": str(cert),
            "PORTAL_LOG_KEY": str(generate_log_key(tmp / "log-key.txt", "bench/log")),
            "RATELIMIT_ENABLED": False,
        }
    )
    steps = {"draft": [], "publish": [], "commit": [], "total": []}
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        authority = school_services.create_authority(None, name_zh="基准区教育委员会", name_en="Bench District")
        school = school_services.create_school(
            None, authority, slug="bench-school", name_zh="重庆市基准小学", name_en="Bench Primary School",
            type=SchoolType.PRIMARY, decision_prefix="渝基小校委",
        )  # fmt: skip
        board = meetings.create_body(
            None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""}
        )
        members = [
            meetings.add_member(
                None,
                board,
                {
                    "name": name,
                    "position": Position.MEMBER,
                    "constituency": Constituency.TEACHER,
                    "term_start": date(2024, 9, 1),
                    "term_end": None,
                },
            )  # fmt: skip
            for name in ("周建华", "李秀英", "王国平", "赵雪梅", "黄德明", "吴俊杰", "孙静怡")
        ]
        meeting = meetings.create_meeting(
            None, school,
            {"body_id": board.id, "title": "第一次校务委员会会议", "place": "三楼会议室",
             "starts_at": datetime.now(UTC) - timedelta(days=2)},
        )  # fmt: skip
        meetings.record_attendance(None, meeting, {member.id: True for member in members})
        db.session.commit()
        data = {
            "title": "关于加强学校食堂膳食管理的决定",
            "body": decision_body(args.paragraphs),
            "meeting_id": meeting.id,
            "votes_for": 6,
            "votes_against": 0,
            "votes_abstain": 1,
        }

        def publish_once() -> tuple[float, float, float, str]:
            start = time.perf_counter()
            decision = services.create_draft(None, school, data)
            db.session.commit()
            drafted = time.perf_counter()
            services.publish_decision(None, decision, now=datetime.now(UTC))
            published = time.perf_counter()
            db.session.commit()
            committed = time.perf_counter()
            return drafted - start, published - drafted, committed - published, decision.document_sha256

        first = publish_once()
        for _ in range(args.runs):
            draft, publish, commit, sha256 = publish_once()
            for step, value in zip(steps, (draft, publish, commit, draft + publish + commit), strict=True):
                steps[step].append(value * 1000)
        pdf = db.session.get(
            Document, db.session.scalar(db.select(Document.id).where(Document.sha256 == sha256))
        ).content
        dialect = db.engine.dialect.name

    lines = [
        f"{args.runs} publications of a {page_count(pdf)}-page Chinese decision ({len(pdf) // 1024} KiB signed), "
        f"{dialect}, {os.cpu_count()} CPUs",
        f"first publication of the process (fonts load): {sum(first[:3]) * 1000:.1f} ms",
        f"{'step':<8} {'median ms':>10} {'p90 ms':>8} {'slowest ms':>11}",
    ]
    for step, values in steps.items():
        lines.append(
            f"{step:<8} {statistics.median(values):>10.1f} {percentile(values, 0.9):>8.1f} {max(values):>11.1f}"
        )
    print("\n".join(lines))
    if not args.no_results_file:
        results = ROOT / "bench" / "results" / f"{date.today().isoformat()}-publish-decision-{dialect}.txt"
        results.write_text("\n".join(lines) + "\n")
        print(f"written to {results.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
