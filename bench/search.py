"""Issue #17's goals for search, with 100,000 indexed records (generated decisions and minutes in
Chinese, 600 to 1,500 characters each, across 200 schools): a search takes p95 <= 50 ms and
<= 5 queries, and indexing one record takes <= 20 ms, on the database in use (SQLite in a new
temporary folder, or DATABASE_URL's PostgreSQL).

    .venv/bin/python bench/search.py [--records 100000]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/search.py
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOPICS = [
    ("食堂", "学校食堂坚持公益性，落实食品安全校长负责制和陪餐制度，食谱和大宗食材来源每周公示。"),
    ("校服", "学生校服由家长自愿购买，学校不强制、不变相强制，校服采购方案经家长委员会审议。"),
    ("课后服务", "课后服务于下午五点半结束，开设体育、艺术、阅读和作业辅导等活动，家长自愿参加。"),
    ("午休", "调整学生午休安排，保证学生午间在校休息时间不少于四十分钟，提供午休课桌椅。"),
    ("研学", "春季研学旅行方案以安全为前提，费用公开透明，家庭经济困难学生费用减免。"),
    ("安全", "放学时段校门口交通组织由学校、交警和家长志愿者共同负责，确保学生安全。"),
    ("作业", "各年级书面作业总量按规定控制，教师每周向家长说明作业安排，不布置惩罚性作业。"),
    ("图书馆", "学校图书馆延长开放时间，周末向学生和家长开放，新增图书目录征求学生意见。"),
    ("体育", "保证学生每天校内体育活动时间不少于一小时，大课间和体育课不得挤占。"),
    ("收费", "学校代收费项目严格执行收费公示制度，家长委员会参与监督，账目每学期公开。"),
]
SENTENCES = [
    "经校务委员会审议，决定如下。",
    "本决定自公布之日起施行，由学校办公室负责解释。",
    "会议听取了校长关于本学期工作的报告，与会委员进行了认真讨论。",
    "家长委员会代表列席会议并发表意见，会议对意见逐条作出回应。",
    "学校将在校园网和家长群公示有关情况，接受家长和社会监督。",
    "各年级组、各部门要按照职责分工，认真抓好落实，定期报告进展。",
    "教职工代表大会对方案进行了审议，提出了若干修改建议。",
    "会议强调，要坚持立德树人根本任务，办好人民满意的教育。",
    "对执行中出现的问题，由学校办公室汇总后提交下次会议研究。",
    "本学期学校共组织家长开放日两次，收到家长意见建议四十余条。",
]


def generated_text(n: int, length: int) -> str:
    """A decision's or minutes' text of about `length` characters, mostly about one topic (n's)."""
    chance = random.Random(n)
    topic, sentence = TOPICS[n % len(TOPICS)]
    parts = [f"关于{topic}工作的有关事项。", sentence]
    if chance.random() < 0.05:  # now and then a word of another topic
        parts.append(TOPICS[chance.randrange(len(TOPICS))][1])
    while sum(len(p) for p in parts) < length:
        parts.append(sentence if chance.random() < 0.15 else chance.choice(SENTENCES))
    return "".join(parts)[:length]


QUERIES = [
    "食堂",
    "校服",
    "课后服务",
    "午休 安排",
    "研学旅行",
    "陪餐",
    "家长委员会 监督",
    "图书馆",
    "jiefang",
    "基准",
    "餐",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=220)
    args = parser.parse_args()

    from sqlalchemy import event, text

    from bench.bench_app import city_and_district, migrated_app, percentile, save_results, verdict
    from portal.extensions import db
    from portal.schools import services as school_services
    from portal.search import segment, services
    from portal.search.models import Kind, SearchEntry

    app = migrated_app(SERVER_NAME="bench.test")
    lines = []
    with app.app_context():
        engine = db.engine.dialect.name
        _city, district = city_and_district()
        schools = [
            school_services.create_school(
                None,
                district,
                slug=f"bench-{n}",
                name_zh=f"重庆市渝中区基准第{n}小学" if n else "重庆市渝中区解放路小学",
                name_en=f"Bench Primary School No. {n}",
                type="primary",
            )
            for n in range(200)
        ]
        db.session.commit()

        started = time.perf_counter()
        base = datetime(2020, 1, 1, tzinfo=UTC)
        batch = []

        def flush_batch():
            if not batch:
                return
            db.session.execute(SearchEntry.__table__.insert(), batch)
            if engine == "postgresql":
                ids = [row["id"] for row in batch]
                db.session.execute(
                    text("UPDATE search_entry SET search_vector = to_tsvector('simple', terms) WHERE id = ANY(:ids)"),
                    {"ids": ids},
                )
            else:
                db.session.execute(
                    text("INSERT INTO search_fts (rowid, terms) VALUES (:id, :terms)"),
                    [{"id": row["id"], "terms": row["terms"]} for row in batch],
                )
            db.session.commit()
            batch.clear()

        for n in range(args.records):
            school = schools[n % len(schools)]
            kind = Kind.DECISION if n % 2 else Kind.MINUTES
            title = f"关于{TOPICS[n % len(TOPICS)][0]}工作的决定（第{n}号）"
            body = generated_text(n, 600 + (n * 37) % 900)
            title_terms = segment.index_terms(title)
            published = base + timedelta(hours=n)
            batch.append(
                {
                    "id": n + 1000,
                    "kind": kind.value,
                    "record_id": n + 1,
                    "school_id": school.id,
                    "authority_id": school.authority_id,
                    "year": published.year,
                    "title": title,
                    "title_en": "",
                    "body": body,
                    "terms": f"{title_terms} {title_terms} {segment.index_terms(body)}",
                    "published_at": published,
                }
            )
            if len(batch) == 2000:
                flush_batch()
        flush_batch()
        if engine == "postgresql":
            db.session.execute(text("ANALYZE search_entry"))
            db.session.commit()
        else:
            db.session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
            db.session.commit()
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        built = time.perf_counter() - started
        lines.append(f"{engine}: {args.records} records indexed in bulk in {built:.0f} s")

        statements = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SET ")):
                statements.append(statement)

        # The baseline of this run, at this moment's load: reading one entry by its id.
        baseline = []
        for n in range(200):
            db.session.expire_all()
            started = time.perf_counter()
            db.session.get(SearchEntry, 1000 + n * 37)
            baseline.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        base_p50 = percentile(baseline, 0.5)
        lines.append(f"load average {os.getloadavg()[0]:.1f}; baseline: one entry read by id, p50 {base_p50:.2f} ms")

        timings, most_queries = {q: [] for q in QUERIES}, 0
        for round_ in range(args.searches // len(QUERIES)):
            for query in QUERIES:
                db.session.expire_all()
                statements.clear()
                page = 1 + round_ % 3
                started = time.perf_counter()
                results = services.search(query, page=page)
                timings[query].append((time.perf_counter() - started) * 1000)
                most_queries = max(most_queries, len(statements))
                db.session.rollback()
        every = [t for values in timings.values() for t in values]
        p95 = percentile(every, 0.95)
        for query in QUERIES:
            found = services.search(query)
            lines.append(
                f"  {query:<12} p50 {percentile(timings[query], 0.5):6.1f} ms"
                f"  p95 {percentile(timings[query], 0.95):6.1f} ms"
                f"  ({'>' if found.more_than_counted else ''}{found.total} found)"
            )
            db.session.rollback()
        lines.append(
            f"search p50 {percentile(every, 0.5):.1f} ms ({percentile(every, 0.5) / base_p50:.0f}x the baseline), "
            f"p95 {p95:.1f} ms ({p95 / base_p50:.0f}x) over {len(every)} searches (goal 50 ms): {verdict(p95 <= 50)}"
        )
        lines.append(f"queries per search at most {most_queries} (goal 5): {verdict(most_queries <= 5)}")

        put_times = []
        for n in range(50):
            decision_like = type(
                "Record",
                (),
                {
                    "id": 10_000_000 + n,
                    "title": f"关于食堂工作的决定（新{n}号）",
                    "body": generated_text(n + 7, 1500),
                    "number": f"基准〔2026〕{n}号",
                    "school": schools[n],
                    "published_at": datetime(2026, 3, 1, tzinfo=UTC),
                },
            )
            started = time.perf_counter()
            services.put_decision(decision_like)
            put_times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
        put_p95 = percentile(put_times, 0.95)
        lines.append(
            f"indexing one 1,500-character record: p50 {percentile(put_times, 0.5):.1f} ms, p95 {put_p95:.1f} ms "
            f"(goal 20 ms): {verdict(put_p95 <= 20)}"
        )
        del results
    print("\n".join(lines))
    save_results(lines, f"search-{args.records}-{engine}")


if __name__ == "__main__":
    main()
