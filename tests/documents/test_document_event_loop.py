"""Signing and verifying also work where an asyncio event loop is already running in the thread
(an async server; Playwright's sync API in our own browser tests)."""

import asyncio
import threading

from portal.documents.signing import sign_pdf, verify_signature


def test_signing_and_verifying_work_inside_a_running_event_loop(app, sample_pdf):
    verdicts = []

    async def inside_a_loop():
        with app.app_context():
            verdicts.append(verify_signature(sign_pdf(sample_pdf)))

    # A thread of its own, so that the test does not depend on whether this one has a loop already.
    worker = threading.Thread(target=asyncio.run, args=(inside_a_loop(),))
    worker.start()
    worker.join()

    assert verdicts == ["valid"]
