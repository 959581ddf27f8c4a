"""Checking whether an unknown PDF carries the portal's signature, with bounded work.

Parsing a PDF somebody uploaded is the most expensive thing the portal does for a visitor, and a
crafted file (object streams that inflate to megabytes of whitespace) can keep a parser busy for
many seconds. So the parse never runs in the web process: it runs in a child process, which
limits its own CPU time and address space before it reads the file, under a wall-clock timeout;
and at most PORTAL_VERIFY_PARSES of them run at once on a machine (one lock file per slot in
PORTAL_VERIFY_SLOT_DIR, taken without waiting). A file that hits a limit is "unchecked" (the page says
so); when every slot is taken the caller is told to come back in a moment (CheckerBusy).

The children come from a fork server that has the PDF library loaded already: starting one costs
milliseconds, not the second a new interpreter would, and it is single-threaded, so forking it is
safe (forking a threaded web process is not). Starting the fork server itself costs seconds (a new
interpreter importing the PDF libraries), so a serving process starts it when it starts
(start_fork_server: gunicorn's post_worker_init, and `flask run`), not at its first upload; and the
wall-clock limit counts from before the child is started, so even a slow start (a busy machine, a
fork server that had to be restarted) never makes a visitor wait longer than PORTAL_VERIFY_SECONDS
for the parse. Files the portal published never get here: /verify answers them from the archive by
their SHA-256.
"""

import fcntl
import multiprocessing
import multiprocessing.forkserver
import resource
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from flask import current_app

from portal.documents.signing import verify_signature

Outcome = Literal["valid", "broken", "unsigned", "unchecked"]
OUTCOMES = ("valid", "broken", "unsigned")

_processes = multiprocessing.get_context("forkserver")
# The PDF renderer's child (portal/documents/render.py) comes from the same fork server: one per
# process, started at the first use, with both libraries loaded once (WeasyPrint with pdf_writer,
# which the process that asks never imports).
_processes.set_forkserver_preload(
    ["portal.documents.checking", "portal.documents.render", "portal.documents.pdf_writer"]
)


def fork_server():
    """The multiprocessing context whose children fork from the fork server."""
    return _processes


def start_fork_server() -> None:
    """Start this process's fork server now, with the parser's and renderer's modules loaded, so
    that the first file checked (or PDF rendered) does not wait for it. For serving processes
    only: tests and commands start it at their first use, if ever."""
    multiprocessing.forkserver.ensure_running()


class CheckerBusy(Exception):
    """Every slot for checking a file is taken: try again in a moment."""


@contextmanager
def _slot(folder: Path, slots: int):
    """One of `slots` lock files, held for the duration; CheckerBusy when all are held (by this
    or any other process on the machine). A killed process releases its lock with its files."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(slots):
        handle = open(folder / f"verify-slot-{number}.lock", "a+")  # held while the file is parsed
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise CheckerBusy()


def _check_in_child(connection, pdf_bytes: bytes, trusted: dict, cpu_seconds: int, memory_bytes: int) -> None:
    """In the child: limit this process, then read the file. A file that needs more CPU time or
    memory than allowed ends this process (SIGXCPU, MemoryError), never the web process.
    `trusted`: the keyword arguments of verify_signature (certificates, tsa_certificates, portal_url)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        connection.send(verify_signature(pdf_bytes, **trusted))
    finally:
        connection.close()


def check_signature(pdf_bytes: bytes, *, certificates: list[bytes], tsa_certificates: list[bytes] = ()) -> Outcome:
    """ "valid", "broken" or "unsigned" as portal.documents.signing.verify_signature says, read in
    a bounded child process; "unchecked" when it hit a limit. `certificates`: the DER bytes of
    every certificate the portal has signed with; `tsa_certificates`: of the TSAs it trusts.
    Raises CheckerBusy when PORTAL_VERIFY_PARSES checks are already running on this machine."""
    config = current_app.config
    trusted = {
        "certificates": [bytes(c) for c in certificates],
        "tsa_certificates": [bytes(c) for c in tsa_certificates],
        "portal_url": config["PORTAL_PUBLIC_URL"].rstrip("/"),
    }
    limits = (int(config["PORTAL_VERIFY_CPU_SECONDS"]), int(config["PORTAL_VERIFY_MEMORY_MB"]) * 1024 * 1024)
    with _slot(Path(config["PORTAL_VERIFY_SLOT_DIR"]), int(config["PORTAL_VERIFY_PARSES"])):
        # The limit counts from here: starting the child (and, the first time in a process that
        # did not call start_fork_server, the fork server) is part of the visitor's wait.
        deadline = time.monotonic() + float(config["PORTAL_VERIFY_SECONDS"])
        receiver, sender = _processes.Pipe(duplex=False)
        child = _processes.Process(target=_check_in_child, args=(sender, bytes(pdf_bytes), trusted, *limits))
        child.start()
        sender.close()
        try:
            answered = receiver.poll(max(deadline - time.monotonic(), 0.0))
            outcome = receiver.recv() if answered else None
        except EOFError:  # the child ended without an answer: a limit ended it
            outcome = None
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()
    if outcome not in OUTCOMES:
        current_app.logger.warning("verify: a file was not checked within the limits (exit %s)", child.exitcode)
        return "unchecked"
    return outcome
