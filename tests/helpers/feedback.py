"""Helpers for the suggestion box's tests."""

import itertools
from datetime import UTC, datetime

_tokens = itertools.count(1)


def token() -> str:
    """A fresh submission token, as the form would carry."""
    return f"{next(_tokens):032x}"


def form_data(**changes) -> dict:
    """What the feedback form posts, filled in."""
    return {
        "category": "canteen",
        "body": "食堂的午餐经常是凉的，希望增加保温设备。",
        "submission_token": token(),
        **changes,
    }


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
