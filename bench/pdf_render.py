"""Benchmark: the memory of rendering PDFs, and of the web process while decisions are published.

    .venv/bin/python bench/pdf_render.py [--quick] [--renders 1000] [--per-process 20]
                                         [--publish 100] [--baseline 150] [--paragraphs 18]

Three parts, in one run (the machine is shared: times are given as ratios to each other):

1. Rendering as a job worker does: --renders times the two-page Chinese sample document
   (templates/pdf/sample.html, as the tests render it), written by the render child process that
   is replaced after --per-process documents (PORTAL_RENDERS_PER_PROCESS). A thread samples every
   10 ms the proportional set size (PSS, /proc/<pid>/smaps_rollup) of this process and of each
   render child, and each child's peak resident size (VmHWM, an upper bound of its PSS). Prints
   the children's peak (goal ≤ 220 MiB) and this process's PSS from the first render to the last
   (goal: flat).
2. Publishing as people do: a real job worker (`flask portal worker`, its queue in a SQLite file)
   and this process as the web process, which posts "Publish" for --publish drafts through the
   page and asks the progress page until each is published. Prints the web process's PSS before
   and after (goal: flat; before, it rendered in the request and grew by ~0.22 MiB a render) and
   the worker's with its render children.
3. The baseline: --baseline renders in this process (PORTAL_RENDERS_PER_PROCESS=0, as before):
   its peak and growth per render, and the render child's time as a ratio to it.

--quick: 60 renders, 10 publications, 20 baseline renders (a minute or two). The figures are also
written to bench/results/<date>-pdf-render.txt. SQLite in a temporary folder, or DATABASE_URL (an
empty database) for part 2.
"""

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEAK_GOAL_MIB = 220
FLAT_GOAL_MIB = 10  # what "flat" allows over the whole run: allocator noise, not a leak


# --- memory of processes --------------------------------------------------------------------


def _status_field(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pss_mib(pid: int) -> float | None:
    """The process's proportional set size in MiB (shared pages divided among their sharers)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mib(pid: int) -> float | None:
    return _status_field(pid, "VmHWM")


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the fork server's children are the worker's grandchildren)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, its_parent in parents.items() if its_parent == parent]
        found += children
        frontier += children
    return found


class Sampler:
    """Samples, every 10 ms, the PSS and peak RSS of the processes `watch()` returns."""

    def __init__(self, watch):
        self.watch = watch
        self.peak_pss: dict[int, float] = {}
        self.peak_rss: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for pid in self.watch():
                pss, rss = pss_mib(pid), peak_rss_mib(pid)
                if pss is not None:
                    self.peak_pss[pid] = max(self.peak_pss.get(pid, 0.0), pss)
                if rss is not None:
                    self.peak_rss[pid] = max(self.peak_rss.get(pid, 0.0), rss)
            self._stop.wait(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def settled_pss() -> float:
    """This process's PSS after a collection (what stays, not what is waiting to be freed)."""
    gc.collect()
    return pss_mib(os.getpid())


# --- 1. rendering in the render child -------------------------------------------------------


def render_in_children(app, renders: int, per_process: int, paragraphs: int) -> dict:
    from portal.documents import render
    from tests.helpers.pdfs import sample_context

    app.config["PORTAL_RENDERS_PER_PROCESS"] = per_process
    me = os.getpid()
    with app.app_context(), Sampler(render.render_process_ids) as sampler:
        render.render_pdf("sample", sample_context(paragraphs))  # the first child loads the fonts
        start = settled_pss()
        times, along = [], [start]
        children = set()
        for n in range(1, renders + 1):
            began = time.perf_counter()
            render.render_pdf("sample", sample_context(paragraphs))
            times.append(time.perf_counter() - began)
            children.add(render.last_render_pid)
            if n % max(1, renders // 10) == 0:
                along.append(settled_pss())
        end = settled_pss()
    render.shutdown_render_process()
    assert me not in children
    return {
        "renders": renders,
        "children": len(children),
        "child_peak_pss": max(sampler.peak_pss.values()),
        "child_peak_rss": max(sampler.peak_rss.values()),
        "start": start,
        "end": end,
        "along": along,
        "median_s": statistics.median(times),
    }


# --- 2. publishing through the page with a real job worker ----------------------------------


def publish_through_the_page(app, publications: int, per_process: int, worker_env: dict, log_path: Path) -> dict:
    from bench.bench_app import city_and_district
    from portal.extensions import db
    from tests.helpers import factories
    from tests.helpers.decisions import publishable_drafts
    from tests.helpers.pages import session_id

    with app.app_context():
        _city, district = city_and_district()
        school = factories.school(district)
        board_member = factories.user(role="board_member", scope=school)
        drafts = [(school.slug, draft.id) for draft in publishable_drafts(school, publications + 1)]
        login = session_id(board_member)
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = login, True

    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "portal", "worker"],
            cwd=ROOT,
            env={**worker_env, "PORTAL_RENDERS_PER_PROCESS": str(per_process)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def publish(slug, decision_id) -> float:
            began = time.perf_counter()
            base = f"/schools/{slug}/manage/decisions/{decision_id}"
            asked = client.post(base + "/publish", data={"confirm": "y"})
            assert asked.status_code == 303, (asked.status_code, asked.get_data(as_text=True)[:500])
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                answer = client.get(base + "/publishing")
                if answer.status_code == 303 and "/decisions/" in answer.location and "manage" not in answer.location:
                    return time.perf_counter() - began
                assert answer.status_code in (200, 303), answer.status_code
                if answer.status_code == 303:  # back to the draft: it failed
                    raise RuntimeError(f"publishing failed; see {log_path}")
                time.sleep(0.05)
            raise RuntimeError(f"not published within 5 minutes; see {log_path}")

        publish(*drafts[0])  # the worker's first render child loads the fonts
        me = os.getpid()
        with Sampler(lambda: [worker.pid, *descendants(worker.pid)]) as sampler:
            start = settled_pss()
            times, along = [], [start]
            for n, (slug, decision_id) in enumerate(drafts[1:], start=1):
                times.append(publish(slug, decision_id))
                if n % max(1, publications // 10) == 0:
                    along.append(settled_pss())
            end = settled_pss()
            worker_end = pss_mib(worker.pid)
        assert pss_mib(me) is not None
        worker_peak = sampler.peak_pss.get(worker.pid, 0.0)
        children_peak = max((v for pid, v in sampler.peak_pss.items() if pid != worker.pid), default=0.0)
        return {
            "publications": publications,
            "start": start,
            "end": end,
            "along": along,
            "worker_peak": worker_peak,
            "worker_end": worker_end,
            "children_peak": children_peak,
            "median_s": statistics.median(times),
        }
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


# --- 3. the baseline: rendering in this process ---------------------------------------------


def render_here(app, renders: int, paragraphs: int) -> dict:
    from portal.documents import render
    from tests.helpers.pdfs import sample_context

    app.config["PORTAL_RENDERS_PER_PROCESS"] = 0
    me = os.getpid()
    with app.app_context(), Sampler(lambda: [me]) as sampler:
        render.render_pdf("sample", sample_context(paragraphs))
        start = settled_pss()
        times = []
        for _ in range(renders):
            began = time.perf_counter()
            render.render_pdf("sample", sample_context(paragraphs))
            times.append(time.perf_counter() - began)
        end = settled_pss()
    return {
        "renders": renders,
        "peak_pss": sampler.peak_pss[me],
        "start": start,
        "end": end,
        "median_s": statistics.median(times),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 renders, 10 publications, 20 baseline renders")
    parser.add_argument("--renders", type=int, default=1000)
    parser.add_argument("--per-process", type=int, default=20, help="PORTAL_RENDERS_PER_PROCESS")
    parser.add_argument("--publish", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=150)
    parser.add_argument("--paragraphs", type=int, default=18)
    args = parser.parse_args()
    if args.quick:
        args.renders, args.publish, args.baseline = 60, 10, 20

    # Before the portal is imported: the job queue is chosen from the environment at import, and
    # the worker started in part 2 inherits the same settings (database, queue, keys, address).
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-pdf-"))
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.db")
    if not os.environ.get("REDIS_URL"):
        os.environ["PORTAL_JOBS_DB"] = str(tmp / "jobs.db")
    os.environ["PORTAL_PUBLIC_URL"] = "https://portal.bench"
    os.environ["PORTAL_OUTBOX_DIR"] = str(tmp / "outbox")
    os.environ["PORTAL_VERIFY_SLOT_DIR"] = str(tmp / "verify-slots")

    from bench.bench_app import migrated_app, save_results
    from portal.documents.signing import generate_development_keys

    key, cert = generate_development_keys(tmp / "key.pem", tmp / "cert.pem")
    os.environ["PORTAL_SIGNING_KEY"], os.environ["PORTAL_SIGNING_CERT"] = str(key), str(cert)
    app = migrated_app(SERVER_NAME="portal.bench", PORTAL_SIGNING_KEY=str(key), PORTAL_SIGNING_CERT=str(cert))

    lines = [f"{args.paragraphs} paragraphs (2 pages), a render child per {args.per_process} renders"]

    def say(line=""):
        print(line, flush=True)
        lines.append(line)

    children = render_in_children(app, args.renders, args.per_process, args.paragraphs)
    growth = children["end"] - children["start"]
    say(f"1. {children['renders']} renders in {children['children']} render children:")
    say(
        f"   render child peak PSS {children['child_peak_pss']:.0f} MiB (peak RSS {children['child_peak_rss']:.0f} MiB;"
        f" goal ≤ {PEAK_GOAL_MIB}: {'ok' if children['child_peak_pss'] <= PEAK_GOAL_MIB else 'OVER THE GOAL'})"
    )
    say(
        f"   this process {children['start']:.0f} → {children['end']:.0f} MiB PSS ({growth:+.1f} MiB,"
        f" {growth / children['renders'] * 1024:+.1f} KiB a render;"
        f" {'flat' if abs(growth) <= FLAT_GOAL_MIB else 'GROWS'}); along the way: "
        + " ".join(f"{value:.0f}" for value in children["along"])
    )

    published = publish_through_the_page(app, args.publish, args.per_process, dict(os.environ), tmp / "worker.log")
    growth = published["end"] - published["start"]
    say(f"2. {published['publications']} decisions published through the page, by a job worker:")
    say(
        f"   web process {published['start']:.0f} → {published['end']:.0f} MiB PSS ({growth:+.1f} MiB;"
        f" {'flat' if abs(growth) <= FLAT_GOAL_MIB else 'GROWS'}); along the way: "
        + " ".join(f"{value:.0f}" for value in published["along"])
    )
    say(
        f"   job worker peak {published['worker_peak']:.0f} MiB PSS, {published['worker_end']:.0f} at the end;"
        f" its render children's peak {published['children_peak']:.0f} MiB"
    )
    say(f"   from the click to the decision's page: median {published['median_s'] * 1000:.0f} ms")

    here = render_here(app, args.baseline, args.paragraphs)
    growth = here["end"] - here["start"]
    say(f"3. baseline: {here['renders']} renders in this process (PORTAL_RENDERS_PER_PROCESS=0):")
    say(
        f"   peak PSS {here['peak_pss']:.0f} MiB; {here['start']:.0f} → {here['end']:.0f} MiB"
        f" ({growth / here['renders'] * 1024:+.1f} KiB a render)"
    )
    say(f"   time of a render in the child ÷ in this process: {children['median_s'] / here['median_s']:.2f}")
    save_results(lines, "pdf-render" + ("-quick" if args.quick else ""))


if __name__ == "__main__":
    main()
