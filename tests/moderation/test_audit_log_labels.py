"""Every action the code records reads as words on /audit, in its group, with the details it
records named: the actions are collected from the source (every audit.record and the helpers that
call it), so that a new one without a label fails here, not in front of a commission admin."""

import ast
from pathlib import Path

import pytest

from portal.oversight.audit_log import ACTION_FAMILY_LABELS, ACTION_LABELS, DATA_LABELS, OBJECT_LABELS
from portal.supervision.models import CaseKind
from tests.helpers.audit_log import add_event, audit_page, event_row

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# The one action recorded from an f-string, and what it can be.
FORMATTED = {"f'supervision.{kind.value}'": [f"supervision.{kind.value}" for kind in CaseKind]}
# Keyword arguments of audit.record that place the event rather than describe it.
PLACING = {"school_id", "authority_id", "ip_address"}
CHINESE = {"Accept-Language": "zh-CN"}


def _strings_given_to(name: str, function: ast.AST) -> set[str] | None:
    """The strings `name` can hold in `function`: its default and what is assigned to it; None
    when it is a parameter without a default (the callers give it, and are collected)."""
    found = set()
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    with_default = [a.arg for a in positional][len(positional) - len(arguments.defaults) :]
    defaults = dict(zip(with_default, arguments.defaults, strict=True))
    defaults |= {a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is not None}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.add(node.value.value)
    if isinstance(defaults.get(name), ast.Constant) and isinstance(defaults[name].value, str):
        found.add(defaults[name].value)
    if not found and name in {a.arg for a in positional + arguments.kwonlyargs}:
        return None
    return found


def recorded_in_source() -> tuple[dict[str, str], dict[str, str]]:
    """Every action recorded, and every detail key given by name, each with where it is."""
    actions, keys = {}, {}
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
        # Helpers that pass their own `action` on to audit.record (moderation's _record).
        recorders = {"record"}
        for function in functions:
            for call in ast.walk(function):
                if _is_record(call, {"record"}) and isinstance(call.args[1], ast.Name):
                    if _strings_given_to(call.args[1].id, function) is None:
                        recorders.add(function.name)
        for function in [tree, *functions]:
            for call in ast.walk(function):
                if not _is_record(call, recorders):
                    continue
                where = f"{path.relative_to(PORTAL.parent)}:{call.lineno}"
                action = call.args[1]
                if isinstance(action, ast.Constant):
                    names = {action.value}
                elif isinstance(action, ast.JoinedStr):
                    names = set(FORMATTED.get(ast.unparse(action), [ast.unparse(action)]))
                elif isinstance(action, ast.Name):  # read in the function that holds it
                    names = (_strings_given_to(action.id, function) or set()) if function is not tree else set()
                else:
                    names = {ast.unparse(action)}
                actions.update(dict.fromkeys(names, where))
                keys.update({kw.arg: where for kw in call.keywords if kw.arg and kw.arg not in PLACING})
    return actions, keys


def _is_record(node: ast.AST, names: set[str]) -> bool:
    if not isinstance(node, ast.Call) or len(node.args) < 2:
        return False
    func = node.func
    if isinstance(func, ast.Attribute):  # audit.record(...)
        return func.attr == "record" and isinstance(func.value, ast.Name) and func.value.id == "audit"
    return isinstance(func, ast.Name) and func.id in names - {"record"}


ACTIONS, DETAIL_KEYS = recorded_in_source()


def test_the_source_is_read_for_the_actions_it_records():
    assert {"decision.publish", "response.create", "response.edit", "response.hide"} <= set(ACTIONS)
    assert {"supervision.escalated", "supervision.review", "user.logout_everywhere"} <= set(ACTIONS)
    assert {"formed_on", "item", "reference"} <= set(DETAIL_KEYS)


def test_every_recorded_action_has_a_label():
    missing = {action: where for action, where in ACTIONS.items() if action not in ACTION_LABELS}
    assert not missing, f"actions recorded without a label in ACTION_LABELS: {missing}"


def test_every_group_of_actions_has_a_name():
    missing = {action.split(".")[0] for action in ACTIONS} - set(ACTION_FAMILY_LABELS)
    assert not missing, f"groups without a name in ACTION_FAMILY_LABELS: {missing}"


def test_every_detail_recorded_by_name_has_a_label():
    # "changes" is never shown under its own name: each changed field is listed instead.
    missing = {key: where for key, where in DETAIL_KEYS.items() if key not in DATA_LABELS and key != "changes"}
    assert not missing, f"details recorded without a label in DATA_LABELS: {missing}"


@pytest.mark.parametrize("object_type", ["SchoolDisclosure", "DisclosureItem", "SupervisionCase", "SigningCertificate"])
def test_the_records_of_disclosure_and_supervision_have_a_name(object_type):
    assert object_type in OBJECT_LABELS


@pytest.fixture
def reader(city, commission_admin_of):
    return commission_admin_of(city)


def test_disclosure_and_supervision_read_as_words_in_chinese(client, reader, school, compiled_catalogues):
    published = add_event(
        "disclosure.publish",
        object_type="SchoolDisclosure",
        school=school,
        item="basic.01",
        sha256=None,
        formed_on="2026-09-01",
    )
    saved = add_event(
        "disclosure.save_draft",
        object_type="SchoolDisclosure",
        school=school,
        item="basic.01",
        before=None,
        after={"formed_on": "2026-09-01", "text": "本校简介"},
    )
    add_event("supervision.escalated", object_type="SupervisionCase", school=school, reference="FK-1")
    add_event("supervision.assign", object_type="Membership", school=school, user_id=3)

    page = audit_page(client, **CHINESE)

    for raw in ("disclosure：", "supervision：", ">SchoolDisclosure<", ">SupervisionCase<", "<dt>formed_on</dt>"):
        assert raw not in page, raw
    assert '<optgroup label="校务公开">' in page and '<optgroup label="责任督学">' in page
    assert "校务信息已公开（disclosure.publish）" in page
    assert "学校逾期未答复，意见转责任督学（supervision.escalated）" in page
    row = event_row(page, published.id)
    assert "<dt>信息形成或变更日期</dt> <dd>2026-09-01</dd>" in row and "<dt>事项</dt> <dd>basic.01</dd>" in row
    draft = event_row(page, saved.id)
    assert "<dt>内容</dt> <dd>— → 本校简介</dd>" in draft
    assert "formed_on" not in draft and "text" not in draft.replace("<dt>内容", "")


@pytest.mark.parametrize(
    "action, data, shown",
    [
        ("feedback.status", {"before": "received", "after": "answered"}, ("Received", "Answered")),
        ("feedback.status", {"before": "escalated", "after": "closed"}, ("Referred to the responsible supervisor",)),
        ("mail.send_again", {"before": "uncertain"}, ("Uncertain (a worker stopped while sending)",)),
        ("user.login_failed", {"reason": "credentials"}, ("wrong email address or password",)),
        ("user.login_failed", {"reason": "inactive"}, ("the account is deactivated",)),
    ],
)
def test_codes_an_action_stores_under_a_general_name_read_as_words(app, action, data, shown):
    from flask_babel import force_locale

    from portal.oversight.audit_log import readable_data

    with app.test_request_context(), force_locale("en"):
        text = " ".join(value for _, value in readable_data(data, action))

    for words in shown:
        assert words in text
    for code in data.values():
        assert code not in text.split()  # never the stored code alone
