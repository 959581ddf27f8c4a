"""Benchmark: rendering, signing and verifying an archived PDF.

    .venv/bin/python bench/pdf_render.py [--runs 10] [--paragraphs 18]

Renders the two-page Chinese sample document (templates/pdf/sample.html) to PDF/A-3b, signs it
with a throwaway key pair, verifies it, and prints the median and slowest times of each step.
Without Debian's libharfbuzz-subset0, rendering takes ~12 s instead of ~0.3 s.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--paragraphs", type=int, default=18)
    args = parser.parse_args()
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")

    from portal import create_app
    from portal.documents.render import render_pdf
    from portal.documents.signing import generate_development_keys, sign_pdf, verify_signature
    from tests.helpers.pdfs import sample_context  # the tests' sample document

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    key, cert = generate_development_keys(tmp / "key.pem", tmp / "cert.pem")
    app = create_app({"PORTAL_SIGNING_KEY": str(key), "PORTAL_SIGNING_CERT": str(cert), "RATELIMIT_ENABLED": False})
    timings = {"render": [], "sign": [], "verify": []}
    with app.app_context():
        render_pdf("sample", sample_context(args.paragraphs))  # warm-up: fonts load once per process
        for _ in range(args.runs):
            start = time.perf_counter()
            pdf = render_pdf("sample", sample_context(args.paragraphs))
            rendered = time.perf_counter()
            signed = sign_pdf(pdf)
            signed_at = time.perf_counter()
            assert verify_signature(signed) == "valid"
            verified = time.perf_counter()
            timings["render"].append(rendered - start)
            timings["sign"].append(signed_at - rendered)
            timings["verify"].append(verified - signed_at)
    print(f"{args.paragraphs} paragraphs ({len(signed) // 1024} KiB signed), {args.runs} runs")
    for step, values in timings.items():
        print(f"{step:<7} median {statistics.median(values) * 1000:7.1f} ms   slowest {max(values) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
