"""Decisions: drafting and publishing under /schools/<slug>/manage/decisions, the public archive
(/decisions), verification (/verify) and the Atom feeds."""
from portal.decisions import bp  # noqa: F401
