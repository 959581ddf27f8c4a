"""A real RFC 3161 timestamp authority over HTTP, for tests: a thread serving POSTed
TimeStampReq bodies with pyHanko's DummyTimeStamper (which signs with a test TSA key), so that
the portal's HTTPTimeStamper talks to it exactly as it would to a public TSA."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import tsp
from pyhanko.sign.general import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from portal.documents import signing


def make_tsa_keys(folder) -> tuple[Path, Path]:
    """A TSA key pair (critical extended key usage: time stamping) in `folder`."""
    folder = Path(folder)
    return signing.generate_development_keys(
        folder / "tsa-key.pem", folder / "tsa-cert.pem", force=True, subject="Test TSA", timestamping=True
    )


@contextmanager
def running_tsa(key_path, cert_path):
    """A TSA on 127.0.0.1 (a free port) until the block ends; yields (url, requests served list)."""
    stamper = DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(cert_path)), tsa_key=load_private_key_from_pemder(str(key_path), None)
    )
    served: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server interface
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            response = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            served.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
