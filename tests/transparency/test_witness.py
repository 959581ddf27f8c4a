"""`flask portal witness`: a newspaper or a parents' association watches the log from its own
machine. It keeps the checkpoint it saw, accepts a log that only grew, and exits non-zero on a
rollback, a fork, a bad signature or an unreachable portal; it can cosign, and the portal keeps
the cosignatures of the witnesses its operator listed (PORTAL_WITNESS_KEYS) beside its checkpoint."""

import json

import pytest
from sqlalchemy import text

from portal.extensions import db as _db
from portal.transparency import notes, services, witness
from portal.transparency.services import NewLeaf

BASE = "https://portal.test"


@pytest.fixture
def http(client):
    """The witness's HTTP, answered by the test app (the URL's host is the portal's)."""

    def fetch(url):
        response = client.get(url.removeprefix(BASE))
        if response.status_code != 200:
            raise witness.WitnessError(f"{url} answered {response.status_code}")
        return response.data

    def post(url, data):
        response = client.post(url.removeprefix(BASE), data=data, content_type="text/plain")
        return response.status_code, response.data

    return fetch, post


@pytest.fixture
def run_witness(http, tmp_path):
    fetch, post = http

    def run(**options):
        options.setdefault("fetch", fetch)
        options.setdefault("post", post)
        return witness.run(BASE, tmp_path / "state", **options)

    return run


@pytest.fixture
def listed_witness(app, tmp_path):
    """A witness key the portal's operator configured."""
    key = notes.generate_signer("news.example/witness", notes.COSIGNATURE_V1)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "witness-key").write_text(str(key) + "\n")
    previous = app.config["PORTAL_WITNESS_KEYS"]
    app.config["PORTAL_WITNESS_KEYS"] = [str(key.verifier)]
    yield key
    app.config["PORTAL_WITNESS_KEYS"] = previous


def publish_more(app):
    with app.app_context():
        services.record_leaves([NewLeaf("decision", "/decisions/999", "published", "c" * 64)])
        _db.session.commit()


def rewrite_log(app, keep: int, then_add: int = 0):
    """What an insider with the log key does: keep the first `keep` leaves, re-sign."""
    leaves = _db.session.execute(text("SELECT leaf FROM log_leaf ORDER BY leaf_index")).scalars().all()
    for table in ("log_cosignature", "log_checkpoint", "log_node", "log_leaf"):
        _db.session.execute(text(f"DELETE FROM {table}"))
    _db.session.expunge_all()
    kept = [json.loads(leaf) for leaf in leaves[:keep]]
    new = [NewLeaf(f["kind"], f["record"], f["status"], f["sha256"]) for f in kept]
    new += [NewLeaf("decision", f"/decisions/{900 + i}", "published", "d" * 64) for i in range(then_add)]
    with app.app_context():
        if new:
            services.record_leaves(new)
        else:
            services.sign_checkpoint()
        _db.session.commit()


def test_the_first_run_trusts_the_key_and_keeps_the_checkpoint(run_witness, tmp_path, client):
    outcome = run_witness()
    assert outcome.message == "new checkpoint: portal.test/log at 4 entries"
    assert (tmp_path / "state" / "log-key").read_text().strip() == client.get("/log/key").get_data(as_text=True).strip()
    assert (tmp_path / "state" / "checkpoint").read_text() == client.get("/log/checkpoint").get_data(as_text=True)


def test_a_log_that_grew_consistently_is_accepted(run_witness, app):
    run_witness()
    publish_more(app)
    assert run_witness().message == "consistent: portal.test/log grew from 4 to 5 entries"
    assert run_witness().message == "unchanged: portal.test/log at 5 entries"


def test_a_rolled_back_log_is_an_error(run_witness, app):
    run_witness()
    rewrite_log(app, keep=2)
    with pytest.raises(witness.WitnessError, match="rollback: the log has 2 entries, it had 4"):
        run_witness()


def test_a_rewritten_log_of_the_same_size_is_a_fork(run_witness, app):
    run_witness()
    rewrite_log(app, keep=3, then_add=1)
    with pytest.raises(witness.WitnessError, match="fork: a different tree of 4 entries"):
        run_witness()


def test_a_rewritten_log_that_grew_is_a_fork(run_witness, app):
    run_witness()
    rewrite_log(app, keep=2, then_add=5)
    with pytest.raises(witness.WitnessError, match="fork: the tree of 7 entries does not extend the one of 4"):
        run_witness()


def test_a_checkpoint_with_a_bad_signature_is_an_error(run_witness, http, tmp_path):
    fetch, _post = http
    run_witness()

    def tampered(url):
        data = fetch(url)
        return data.replace(b"\n4\n", b"\n5\n") if url.endswith("/log/checkpoint") else data

    with pytest.raises(witness.WitnessError, match="bad signature"):
        run_witness(fetch=tampered)


def test_a_key_other_than_the_kept_one_is_refused(run_witness):
    run_witness()
    other = notes.generate_signer("portal.test/log").verifier
    with pytest.raises(witness.WitnessError, match="differs from the one kept"):
        run_witness(key=str(other))


def test_a_checkpoint_signed_by_another_key_is_refused_on_the_first_run(run_witness):
    other = notes.generate_signer("portal.test/log").verifier
    with pytest.raises(witness.WitnessError, match="bad signature"):
        run_witness(key=str(other))


def test_an_unreachable_portal_exits_non_zero_with_a_clear_message(app, tmp_path):
    # Port 9 (discard) on this machine: nothing listens, the connection is refused at once.
    result = app.test_cli_runner().invoke(
        args=["portal", "witness", "http://127.0.0.1:9", "--state", str(tmp_path / "state")]
    )
    assert result.exit_code == 1
    assert "witness: the portal is unreachable: http://127.0.0.1:9/log/key" in result.output


def test_a_listed_witness_cosigns_and_the_checkpoint_shows_it(run_witness, listed_witness, client):
    outcome = run_witness(cosign=True)
    assert outcome.cosigned
    note = client.get("/log/checkpoint").get_data(as_text=True)
    body, signatures = notes.split_note(note)
    assert [s.name for s in signatures] == ["portal.test/log", "news.example/witness"]
    assert notes.verify_cosignature(body, signatures[1], listed_witness.verifier) is not None
    # Sending it again stores nothing new.
    assert run_witness(cosign=True).cosigned
    assert client.get("/log/checkpoint").get_data(as_text=True) == note


def test_a_witness_the_operator_did_not_list_is_refused(run_witness, tmp_path, client):
    with pytest.raises(witness.WitnessError, match="refused the cosignature \\(400\\)"):
        run_witness(cosign=True, name="stranger.example/witness")
    assert "stranger.example" not in client.get("/log/checkpoint").get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [b"", b"hello", b"\xff\xfe", b"portal.test/log\n4\nAAAA\n\n\xe2\x80\x94 x AAAAAAAA\n", b"x" * 10000],
)
def test_malformed_cosignatures_answer_400(client, listed_witness, body):
    response = client.post("/log/cosignatures", data=body, content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_cosignature_of_a_checkpoint_the_log_never_signed_is_refused(client, listed_witness):
    fake = notes.Checkpoint("portal.test/log", 4, b"\x07" * 32).body
    line = notes.cosign(fake, listed_witness, 1_700_000_000).line
    response = client.post("/log/cosignatures", data=f"{fake}\n{line}\n", content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["error"] == "not a checkpoint of this log"
