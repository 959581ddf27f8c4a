"""Access rows for moderation and oversight. The audit log and its export are the commission
admins' (each sees their own subtree: tests/moderation/test_audit_log_scope.py); moderators act on
content and do not read the log; everyone else with an account is refused, visitors log in."""
from access_rows import ROLES


def commission_admins_only(allowed_status):
    return {role: allowed_status if role == "commission_admin" else 302 if role == "visitor" else 403 for role in ROLES}


EXPECTED = {
    "moderation.audit": commission_admins_only(200),
    "moderation.audit_csv": commission_admins_only(200),
}
