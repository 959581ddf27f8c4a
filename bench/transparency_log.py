"""The transparency log at 1,000 and at 100,000 leaves: appending a publication's leaf (with its
new checkpoint), the root, an inclusion proof, a consistency proof and a page of entries, through
the test client and the services. The tree keeps every complete subtree's hash, so these read
O(log n) rows: the goal is that 100 times more leaves cost less than 3 times as much.

    python bench/transparency_log.py            (SQLite; DATABASE_URL=postgresql+psycopg://… for PostgreSQL)
"""

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_app import migrated_app, save_results, verdict  # noqa: E402

SMALL, LARGE = 1_000, 100_000
RUNS = 30
GOAL_RATIO = 3.0


def fill(db, until: int) -> None:
    """Leaves and subtree hashes written in bulk (as appending would have written them)."""
    from portal.transparency import merkle, services
    from portal.transparency.models import LogLeaf, LogNode

    start = services.tree_size()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    levels: dict[tuple[int, int], bytes] = {}
    leaves, nodes = [], []
    for index in range(start, until):
        data = services.canonical_leaf(
            {"kind": "decision", "record": f"/decisions/{index}", "sha256": f"{index:064x}", "status": "published"}
        )
        leaves.append(
            {
                "leaf_index": index,
                "leaf": data,
                "kind": "decision",
                "record": f"/decisions/{index}",
                "sha256": f"{index:064x}",
                "status": "published",
                "published_at": at,
                "created_at": at,
            }
        )
        digest = merkle.leaf_hash(data)
        level, position = 0, index
        nodes.append({"level": 0, "position": index, "hash": digest})
        levels[(0, index)] = digest
        while position & 1:
            left = levels.get((level, position - 1)) or services._node(level, position - 1)
            digest = merkle.node_hash(left, digest)
            level, position = level + 1, position >> 1
            levels[(level, position)] = digest
            nodes.append({"level": level, "position": position, "hash": digest})
    db.session.execute(LogLeaf.__table__.insert(), leaves)
    db.session.execute(LogNode.__table__.insert(), nodes)
    db.session.commit()


def timed(function) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(app, db, size: int) -> dict:
    from portal.transparency import services
    from portal.transparency.services import NewLeaf

    client = app.test_client()
    counter = iter(range(10**9))

    def append():
        services.record_leaves([NewLeaf("decision", f"/decisions/x{next(counter)}", "published", "e" * 64)])
        db.session.commit()

    figures = {"append + checkpoint": timed(append)}
    now = services.tree_size()
    middle = size // 2
    figures["GET /log/checkpoint"] = timed(lambda: client.get("/log/checkpoint", base_url="https://bench.test"))
    figures["GET /log/proof"] = timed(
        lambda: client.get(f"/log/proof?sha256={middle:064x}&tree_size={now}", base_url="https://bench.test")
    )
    figures["GET /log/consistency"] = timed(
        lambda: client.get(f"/log/consistency?first={middle}&second={now}", base_url="https://bench.test")
    )
    figures["GET /log/entries (100)"] = timed(
        lambda: client.get(f"/log/entries?start={middle}&end={middle + 100}", base_url="https://bench.test")
    )
    return figures


def main() -> None:
    from portal.extensions import db
    from portal.transparency import services

    key = Path(tempfile.mkdtemp(prefix="portal-bench-")) / "log-key.txt"
    services.generate_log_key(key, "bench.test/log")
    app = migrated_app(SERVER_NAME="bench.test", PORTAL_LOG_KEY=str(key))
    with app.app_context():
        fill(db, SMALL)
        small = measure(app, db, SMALL)
        started = time.perf_counter()
        fill(db, LARGE)
        filled = time.perf_counter() - started
        large = measure(app, db, LARGE)
    lines = [f"transparency log: median of {RUNS} runs, {SMALL:,} vs {LARGE:,} leaves (filled in {filled:.0f} s)"]
    worst = 0.0
    for name, at_small in small.items():
        ratio = large[name] / at_small
        worst = max(worst, ratio)
        lines.append(f"  {name:<24} {at_small:7.2f} ms  {large[name]:7.2f} ms  ×{ratio:.2f}")
    lines.append(f"worst ratio ×{worst:.2f} (goal under ×{GOAL_RATIO}): {verdict(worst < GOAL_RATIO)}")
    print("\n".join(lines))
    save_results(lines, "transparency-log")


if __name__ == "__main__":
    main()
