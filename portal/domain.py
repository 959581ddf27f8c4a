"""Errors that business rules raise; views turn them into a clear message (and 409 for a
change refused because of an object's state)."""


class DomainError(Exception):
    """A rule refused the change; `reason` names which one, for the view's message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
