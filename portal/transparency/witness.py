"""A witness of the portal's log, for anyone to run on their own machine (e.g. from cron):
`flask portal witness <portal URL> --state DIR`. No database, no portal configuration: it reads
the portal over HTTP.

Each run fetches the latest checkpoint, checks its signature with the log key (given by --key, or
the one kept in DIR since the first run), and checks with a consistency proof that the new tree
extends the checkpoint it kept last time; then it keeps the new one. A rollback (a smaller tree),
a fork (a different tree of the same history), a bad signature or an unreachable portal are errors
(WitnessError, exit status 1). With --cosign it also signs the checkpoint with its own key (kept in
DIR) as a C2SP tlog-cosignature and posts it to the portal, which keeps it if the portal's
operator listed the witness's key in PORTAL_WITNESS_KEYS.

State kept in DIR: `log-key` (the log's verifier key), `checkpoint` (the last verified checkpoint),
`witness-key` (this witness's private key, mode 0600) and `witness-key.pub` (its verifier key).
"""

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from portal.transparency import merkle, notes

TIMEOUT_SECONDS = 10
MAX_RESPONSE = 1 << 20

Fetch = Callable[[str], bytes]
Post = Callable[[str, bytes], tuple[int, bytes]]


class WitnessError(Exception):
    """What went wrong, in a sentence for the person running the witness."""


def http_get(url: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - an http(s) URL the user gave
            return response.read(MAX_RESPONSE)
    except urllib.error.HTTPError as error:
        raise WitnessError(f"{url} answered {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise WitnessError(f"the portal is unreachable: {url}: {getattr(error, 'reason', error)}") from error


def http_post(url: str, data: bytes, timeout: float = TIMEOUT_SECONDS) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(MAX_RESPONSE)
    except urllib.error.HTTPError as error:
        return error.code, error.read(MAX_RESPONSE)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise WitnessError(f"the portal is unreachable: {url}: {getattr(error, 'reason', error)}") from error


@dataclass(frozen=True)
class Outcome:
    message: str
    checkpoint: notes.Checkpoint
    cosigned: bool = False


def _write(path: Path, content: str, *, private: bool = False) -> None:
    """Atomically (a half-written checkpoint would be a false alarm next time)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(content, encoding="utf-8")
    if private:
        partial.chmod(0o600)
    os.replace(partial, path)


def _log_key(state: Path, base: str, key: str | None, fetch: Fetch) -> notes.VerifierKey:
    kept_path = state / "log-key"
    kept = kept_path.read_text(encoding="utf-8").strip() if kept_path.exists() else None
    if key is not None and kept is not None and key.strip() != kept:
        raise WitnessError("the log key given differs from the one kept since the first run")
    if key is None and kept is None:  # trust on first use
        key = fetch(f"{base}/log/key").decode("utf-8", "replace").strip()
    try:
        parsed = notes.parse_verifier_key(key or kept)
    except notes.NoteError as error:
        raise WitnessError(f"not a log key: {error}") from error
    if kept is None:
        _write(kept_path, str(parsed) + "\n")
    return parsed


def witness_key(state: Path, name: str | None) -> notes.SignerKey:
    path = state / "witness-key"
    if path.exists():
        return notes.parse_signer_key(path.read_text(encoding="ascii"))
    key = notes.generate_signer(name or "witness.example/anonymous", notes.COSIGNATURE_V1)
    _write(path, str(key) + "\n", private=True)
    _write(state / "witness-key.pub", str(key.verifier) + "\n")
    return key


def run(
    base_url: str,
    state_dir,
    *,
    key: str | None = None,
    cosign: bool = False,
    name: str | None = None,
    fetch: Fetch = http_get,
    post: Post = http_post,
    now: Callable[[], float] = time.time,
) -> Outcome:
    """One witness run (see the module's docstring). Raises WitnessError."""
    base = base_url.rstrip("/")
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    log_key = _log_key(state, base, key, fetch)
    note_text = fetch(f"{base}/log/checkpoint").decode("utf-8", "replace")
    try:
        new = notes.verify_checkpoint(note_text, log_key)
    except notes.NoteError as error:
        raise WitnessError(f"bad signature: the checkpoint does not verify with the log key ({error})") from error
    kept_path = state / "checkpoint"
    message = f"new checkpoint: {new.origin} at {new.size} entries"
    if kept_path.exists():
        old = notes.verify_checkpoint(kept_path.read_text(encoding="utf-8"), log_key)
        if new.origin != old.origin:
            raise WitnessError(f"the log's origin changed from {old.origin} to {new.origin}")
        if new.size < old.size:
            raise WitnessError(f"rollback: the log has {new.size} entries, it had {old.size}")
        if new.size == old.size and new.root != old.root:
            raise WitnessError(f"fork: a different tree of {new.size} entries than the one kept")
        if new.size == old.size:
            message = f"unchanged: {new.origin} at {new.size} entries"
        elif old.size > 0:
            answer = fetch(f"{base}/log/consistency?first={old.size}&second={new.size}")
            try:
                proof = [bytes.fromhex(node) for node in json.loads(answer)["consistency"]]
            except (ValueError, KeyError, TypeError) as error:
                raise WitnessError("the portal's consistency proof is malformed") from error
            if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
                raise WitnessError(
                    f"fork: the tree of {new.size} entries does not extend the one of {old.size} kept before"
                )
            message = f"consistent: {new.origin} grew from {old.size} to {new.size} entries"
    _write(kept_path, note_text)
    if not cosign:
        return Outcome(message, new)
    signer = witness_key(state, name)
    signature = notes.cosign(new.body, signer, int(now()))
    body, _ = notes.split_note(note_text)
    status, answer = post(f"{base}/log/cosignatures", f"{body}\n{signature.line}\n".encode())
    if status not in (200, 201):
        detail = answer.decode("utf-8", "replace")[:200]
        raise WitnessError(f"the portal refused the cosignature ({status}): {detail}")
    return Outcome(message + "; cosigned", new, cosigned=True)
