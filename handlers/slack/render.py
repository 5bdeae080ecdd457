"""Render replies, cards, modals and digests from the Jinja2 templates in ``templates/``.

Templates emit Block Kit as JSON. User text passes through ``|mrkdwn`` (escapes ``& < >`` so a
pasted ``<!channel>`` cannot ping anyone) and ``|j`` (JSON string encoding). After rendering,
:func:`fit_blocks` enforces Slack's limits so no template can produce a message Slack rejects.

A team can override any template by pointing ``HIREBOT_TEMPLATES`` at a folder of its own;
files there win over the built-in ones. :meth:`Renderer.check` compiles every template at
start-up so a broken one fails loudly with file and line, never as a silently empty message.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from bot.cachedir import cache_dir


def _builtin_templates() -> Path:
    """The installed templates: the ``hirebot_templates`` package (``templates/`` in the repo)."""
    return Path(str(importlib.resources.files("hirebot_templates")))


BUILTIN_TEMPLATES = _builtin_templates()

MAX_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON = 75
MAX_CONTEXT = 2000
MAX_FIELD = 2000


#: Every template hirebot renders. Start-up refuses to run when one is missing (a broken
#: install, or an override folder that deleted one), instead of failing on a user's first click.
REQUIRED_TEMPLATES = (
    "_macros.j2", "card.j2", "digest.j2", "edit_modal.j2", "error.j2", "export.j2", "forget_confirm.j2",
    "help.j2", "history.j2", "home.j2", "info.j2", "notify.j2", "nudge.j2", "opening.j2", "openings.j2",
    "parsed.j2", "pipeline.j2", "post_modal.j2", "preview.j2", "refer_modal.j2", "reminder_dm.j2",
    "reminders.j2", "sla.j2", "replies/card_text.j2", "replies/errors.j2", "replies/help_topics.j2",
    "replies/messages.j2", "replies/more.j2",
)


class TemplateError(RuntimeError):
    """A template that does not compile or does not produce valid Block Kit JSON."""


def _mrkdwn(value: Any) -> str:
    s = "" if value is None else str(value)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _j(value: Any) -> str:
    return json.dumps("" if value is None else value, ensure_ascii=False)


def _clip(value: Any, n: int) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= n else s[: max(0, n - 1)].rstrip() + "…"


def _date(value: Any) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def _local(value: Any, tz: str | None = None, fmt: str = "%a %d %b %H:%M") -> str:
    """A moment in someone's time zone: ``{{ r.due_at|local(tz) }}`` → "Thu 27 Nov 09:00"."""
    if not value:
        return ""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return dt.astimezone(zone).strftime(fmt)


def _pay(salary: dict[str, Any] | None) -> str:
    if not salary:
        return ""
    lo, hi = salary.get("min"), salary.get("max")

    def f(v: Any) -> str:
        return f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) and not v.is_integer() else f"{int(v):,}"

    if lo is not None and hi is not None and lo != hi:
        span = f"{f(lo)}–{f(hi)}"
    elif lo is not None:
        span = f(lo) if hi is not None else f"from {f(lo)}"
    elif hi is not None:
        span = f"up to {f(hi)}"
    else:
        return ""
    return f"{span} {salary.get('currency') or ''} / {salary.get('period') or '?'}".replace("  ", " ")


class _SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates kept for the whole process and, when it can be written, in the cache
    directory between processes.

    Every app builds its own environment and compiles all templates at start-up to refuse a
    broken one; compiling is most of that cost (0.4 s of a console's 1 s start). Jinja checks
    each entry against its template's checksum and its own Python's magic, so an edited or
    overriding template, or another Python, compiles anew. A cache that cannot be read or
    written is only slower."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def _file(self, key: str) -> Path:
        return cache_dir() / f"templates-jinja{jinja2.__version__}" / f"{key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is None:
            try:
                code = self._file(bucket.key).read_bytes()
            except OSError:
                return
        bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = bucket.bytecode_to_string()
        self._code[bucket.key] = code
        path = self._file(bucket.key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tpl-", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(code)
            os.replace(tmp, path)
        except OSError:
            pass


_BYTECODE = _SharedBytecode()


def make_environment(override_dir: str | Path | None = None, reload: bool | None = None) -> jinja2.Environment:
    """The one Jinja environment: override folder first, built-ins second; strict undefined.

    Templates are compiled once and kept (``auto_reload`` would stat every file at every render);
    ``HIREBOT_TEMPLATES_RELOAD=1`` (or ``reload=True``) picks up edits without a restart."""
    search = [str(override_dir)] if override_dir else []
    search.append(str(BUILTIN_TEMPLATES))
    if reload is None:
        reload = os.environ.get("HIREBOT_TEMPLATES_RELOAD", "").strip() == "1"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        auto_reload=reload,
        cache_size=-1 if not reload else 400,  # every template stays compiled: there are a few dozen
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        bytecode_cache=_BYTECODE,
    )
    env.filters.update(mrkdwn=_mrkdwn, j=_j, clip=_clip, date=_date, pay=_pay, local=_local)
    return env


def _fit_text(obj: dict[str, Any], limit: int) -> None:
    text = obj.get("text")
    if isinstance(text, dict) and isinstance(text.get("text"), str):
        text["text"] = _clip(text["text"], limit)


def _more(hidden: int) -> str:
    return f"+{hidden}"


def fit_blocks(blocks: list[dict[str, Any]], limit: int = MAX_BLOCKS,
               more: Callable[[int], str] = _more) -> list[dict[str, Any]]:
    """Clip texts to Slack's per-element limits and the list to ``limit`` blocks; the last block
    then says how many were left out, in the words ``more`` gives (``replies/more.j2``)."""
    for b in blocks:
        kind = b.get("type")
        if kind == "header":
            _fit_text(b, MAX_HEADER)
        elif kind == "section":
            _fit_text(b, MAX_SECTION)
            if "fields" in b:
                b["fields"] = b["fields"][:10]
                for f in b["fields"]:
                    f["text"] = _clip(f.get("text"), MAX_FIELD)
            if not (b.get("text") or {}).get("text") and not b.get("fields"):
                b["text"] = {"type": "mrkdwn", "text": " "}
        elif kind == "context":
            b["elements"] = b.get("elements", [])[:10]
            for e in b["elements"]:
                if "text" in e:
                    e["text"] = _clip(e["text"], MAX_CONTEXT) or " "
        elif kind == "actions":
            b["elements"] = b.get("elements", [])[:25]
            for e in b["elements"]:
                if e.get("type") == "button":
                    _fit_text(e, MAX_BUTTON)
    if len(blocks) > limit:
        hidden = len(blocks) - (limit - 1)
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": more(hidden)}]}
        blocks = [*blocks[: limit - 1], note]
    return blocks


class Renderer:
    """Renders named templates into Block Kit blocks, views, or plain text."""

    def __init__(self, override_dir: str | Path | None = None) -> None:
        self.override_dir = override_dir
        self.env = make_environment(override_dir)
        self._search = [*([str(override_dir)] if override_dir else []), str(BUILTIN_TEMPLATES)]

    def check(self) -> None:
        """Compile every template; raise :class:`TemplateError` naming a missing one, or the file
        and line of a broken one."""
        present = set(self.env.list_templates(extensions=["j2"]))
        missing = [name for name in REQUIRED_TEMPLATES if name not in present]
        if missing:
            raise TemplateError(f"template {missing[0]} is missing (looked in {', '.join(self._search)})")
        for name in sorted(present):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                where = exc.filename or name
                raise TemplateError(f"template {where}, line {exc.lineno}: {exc.message}") from exc

    def _json(self, name: str, **ctx: Any) -> Any:
        try:
            raw = self.env.get_template(name).render(**ctx)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {exc.filename or name}, line {exc.lineno}: {exc.message}") from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"template {name}: {exc.message}") from exc
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"template {name} produced invalid JSON at line {exc.lineno}: {exc.msg}") from exc

    def blocks(self, name: str, **ctx: Any) -> list[dict[str, Any]]:
        data = self._json(name, **ctx)
        if not isinstance(data, list):
            raise TemplateError(f"template {name} must produce a JSON list of blocks")
        return fit_blocks([b for b in data if b], more=self._more)

    def view(self, name: str, **ctx: Any) -> dict[str, Any]:
        view = self._json(name, **ctx)
        if not isinstance(view, dict):
            raise TemplateError(f"template {name} must produce a JSON object (a view)")
        view["blocks"] = fit_blocks([b for b in view.get("blocks", []) if b], MAX_MODAL_BLOCKS, self._more)
        return view

    def _more(self, hidden: int) -> str:
        return self.text("replies/more.j2", hidden=hidden)

    def text(self, name: str, **ctx: Any) -> str:
        return self.env.get_template(name).render(**ctx).strip()

    def phrase(self, catalogue: str, code: str, params: dict[str, Any]) -> tuple[str, str | None] | None:
        """A message and its hint from a catalogue of macros (``replies/errors.j2``,
        ``replies/messages.j2``): macro ``code(p)`` is the sentence, ``code_hint(p)`` what to type
        next. None when the catalogue has no such code."""
        module = self.env.get_template(catalogue).module
        macro = getattr(module, code, None)
        if macro is None or not callable(macro):
            return None
        try:
            text = str(macro(params)).strip()
            hint_macro = getattr(module, f"{code}_hint", None)
            hint = str(hint_macro(params)).strip() if callable(hint_macro) else ""
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"template {catalogue}, message {code}: {exc.message}") from exc
        return text, hint or None
