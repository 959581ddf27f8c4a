"""Benchmark: what a login costs in password hashing, and how many logins one core verifies per
second, with the portal's parameters (argon2id, 19 MiB, 2 passes, 1 lane: OWASP) beside
argon2-cffi's defaults (64 MiB, 3 passes), which the portal used before.

    .venv/bin/python bench/login.py [--logins 40]

One process, one core: hashing is CPU- and memory-bound, so a server verifies about
cores x this figure per second at most (and does nothing else meanwhile).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_app import save_results  # noqa: E402

from portal.accounts.services import PASSWORD_HASHING  # noqa: E402

PASSWORD = "a parent's passphrase of some length"


def per_login(hasher: PasswordHasher, logins: int) -> list[float]:
    stored = hasher.hash(PASSWORD)
    timings = []
    for _ in range(logins):
        started = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        timings.append(time.perf_counter() - started)
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logins", type=int, default=40)
    args = parser.parse_args()
    lines = [f"password verification, {args.logins} logins each, one core"]
    portal = PasswordHasher(**PASSWORD_HASHING)
    old = PasswordHasher()
    results = {}
    for name, hasher in (("portal (argon2id 19 MiB, t=2, p=1)", portal), ("old default (64 MiB, t=3, p=4)", old)):
        median = statistics.median(per_login(hasher, args.logins))
        results[name] = median
        lines.append(f"{name:38} {median * 1000:7.1f} ms per login  {1 / median:6.1f} logins/s per core")
    first, second = results.values()
    lines.append(f"the portal's parameters cost {first / second:.2f} of the old ones")
    print("\n".join(lines))
    save_results(lines, "login")


if __name__ == "__main__":
    main()
