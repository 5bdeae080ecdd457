"""The layering the README promises, checked on the source itself.

- ``bot/`` (the domain) imports nothing from ``handlers/``, ``slack_bolt`` or ``slack_sdk``;
- SQL lives only in ``bot/storage/``;
- words a Slack user reads live only in ``templates/``: no prose string literals in the domain,
  the listeners or the Slack adapters (log lines, docstrings and programmer errors aside). The
  terminal tools (``handlers/cli.py``, ``handlers/local/``) print for operators and developers,
  not Slack users, and the parser's vocabulary is data, so they are out of scope;
- every error and message code used in code has its words in the catalogue, and every
  template the code renders is required at start-up.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.slack.render import BUILTIN_TEMPLATES, REQUIRED_TEMPLATES, Renderer, TemplateError, make_environment

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = sorted(p for p in (ROOT / "bot").rglob("*.py"))
SLACK_FACING = sorted([*(ROOT / "bot").glob("*.py"), *(ROOT / "handlers/listeners").rglob("*.py"),
                       *(ROOT / "handlers/slack").rglob("*.py"), ROOT / "handlers/app.py",
                       ROOT / "handlers/transports.py"])
ALL_CODE = sorted([*DOMAIN, *(ROOT / "handlers").rglob("*.py")])

SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
                 r"|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE|PRAGMA\s)", re.I | re.S)
PROSE = re.compile(r"[A-Za-z][a-z']+ [a-z][a-z']+ [a-z][a-z']+")
ERRORS = {"HiringError", "BadInput", "NotFound", "Forbidden", "InvalidMove", "PublishFailed"}
NOT_USER_FACING = {"RuntimeError", "TemplateError", "ValueError", "TypeError", "KeyError", "ConfigError",
                   "AssertionError", "DeliveryFailed", "add_argument", "add_parser", "ArgumentParser"}


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def strings(path: Path) -> Iterator[ast.Constant]:
    """String constants a user might read: not docstrings, log calls or programmer errors."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            if owner in {"log", "logger", "logging"} or name in NOT_USER_FACING:
                skip.update(id(sub) for sub in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node


def test_the_domain_imports_no_slack_and_no_handlers() -> None:
    bad = []
    for path in DOMAIN:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{rel(path)}: {n}" for n in names if n.split(".")[0] in {"handlers", "slack_bolt", "slack_sdk"}]
    assert bad == []


def test_sql_lives_only_in_storage() -> None:
    found = [f"{rel(p)}:{c.lineno}" for p in ALL_CODE if "storage" not in p.parts
             for c in strings(p) if SQL.search(c.value)]
    assert found == []


def test_no_user_facing_words_outside_templates() -> None:
    found = [f"{rel(p)}:{c.lineno}: {c.value[:60]!r}" for p in SLACK_FACING if "storage" not in p.parts
             for c in strings(p) if PROSE.search(c.value)]
    assert found == []


def _codes(kinds: set[str], first_kw: str | None = None) -> dict[str, str]:
    """code → where, for calls like ``BadInput("code", …)`` (or ``info("code", …)``)."""
    out: dict[str, str] = {}
    for path in ALL_CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = ""
            if isinstance(func, ast.Attribute):
                owner = getattr(func.value, "id", "") or getattr(func.value, "attr", "")
            if name not in kinds or (name == "info" and owner not in {"cmd", "ctx"}):
                continue
            args = [*node.args, *(k.value for k in node.keywords if k.arg == first_kw)]
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                out[args[0].value] = f"{rel(path)}:{node.lineno}"
    return out


def _macros(catalogue: str) -> set[str]:
    module = make_environment().get_template(catalogue).module
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_error_code_has_words() -> None:
    codes = _codes(ERRORS)
    assert len(codes) > 50
    missing = {c: where for c, where in codes.items() if c not in _macros("replies/errors.j2")}
    assert missing == {}


def test_every_message_code_has_words() -> None:
    codes = {**_codes({"info", "words"}), **_codes({"info"}, "code"), **_codes({"_words"})}
    assert len(codes) > 15
    missing = {c: where for c, where in codes.items() if c not in _macros("replies/messages.j2")}
    assert missing == {}


def test_every_rendered_template_is_required_at_start_up() -> None:
    used = {c.value for p in ALL_CODE for c in strings(p) if c.value.endswith(".j2")}
    assert used <= set(REQUIRED_TEMPLATES)


def test_start_up_refuses_a_missing_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Renderer().check()  # the installed set is complete
    partial = tmp_path / "templates"
    for name in REQUIRED_TEMPLATES:
        if name != "nudge.j2":
            (partial / name).parent.mkdir(parents=True, exist_ok=True)
            (partial / name).write_text((BUILTIN_TEMPLATES / name).read_text())
    monkeypatch.setattr("handlers.slack.render.BUILTIN_TEMPLATES", partial)
    with pytest.raises(TemplateError, match=r"nudge\.j2 is missing"):
        Renderer().check()
