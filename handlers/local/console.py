"""``hirebot console``: try every command with no workspace (Hubot's shell adapter, for Slack).

The real app runs behind its real HTTP server on loopback; the console plays Slack: it signs
each slash command, button click, modal submission and thread reply like Slack does, and the
Web API calls the app makes land in :class:`FakeSlack`, which the console prints as a person
would see them. Same handlers as ``hirebot run``, but a database of its own
(``hirebot-console.db``, or ``--db PATH``; never ``HIREBOT_DB``), so a trial never writes into a
deployment's data, and a log file beside it (``hirebot-console.log``), so log lines never mix
with replies. The console's clock is kept beside the database too (``hirebot-console.clock``):
after ``:advance 7d`` a later session goes on from there, so nothing it wrote is in its future.

Buttons get a number the first time they are drawn and keep it (a card redrawn after a move
shows the same numbers), and a label (``APP-7 Snooze 3 working days``): ``:click 12`` and
``:click APP-7 snooze 3`` press the same button. A button with a ``confirm`` shows Slack's
dialog first. Modals can be filled (``:fill title="Staff nurse" team=ER``) and sent
(``:submit``). A card or message that is updated prints only its lines that changed.

``:advance 3d`` does not jump: it steps the clock to each moment something falls due (the next
reminder, each digest's time, every SLA sweep) and runs it there, so a Monday digest goes out
on Monday and a reminder at its hour, as in a deployment that was running all along.

After each line the console prints what the app sent, once the app has finished handling the
line: :class:`Handled` counts listener runs from bolt's dispatch to bolt's own completion
callback (listeners ack first and go on working after, in a task of their own), so the console
waits for exactly that work and never for a quiet period.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import logging
import re
import secrets
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot import ids
from bot.config import Config
from bot.errors import HiringError
from bot.parser_pool import ParserPool
from bot.worktime import parse_when, zone
from handlers.app import build_app, open_services
from handlers.listeners.inbox import Durable, durable
from handlers.local.fake_slack import Call, FakeSlack
from handlers.transports import make_web_app

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_bolt.response import BoltResponse

#: The console's own database, in the current directory, unless ``--db`` names another.
DEFAULT_DB = "hirebot-console.db"

HELP = """Type a slash command as in Slack, e.g.  /hiring help   /hiring add "Ada Lovelace" OP-1
  /hiring post < FILE   paste a whole posting from a file (also: parse < FILE)
  /hiring post <<       paste several lines; end with a line holding only "."
  :as NAME          act as another user (e.g. :as dana)
  :in #channel      switch channel (default #jobs)
  :click 7          press button 7 (menus: :click 7.2 for option 2); numbers never change
  :click APP-3 Snooze 1 working day   press a button by its label (any unique part will do)
  :click 7 --yes    press a button that asks "are you sure?" without being asked
  :fill title="Staff nurse" team=ER   fill fields of the open modal (field=@FILE reads a file)
  :submit           send the open modal; :close closes it
  :reply OP-1 text  reply in the thread under OP-1's card (start with APP-3 to note a candidate)
  :home             open your App Home
  :tz Europe/Berlin   set your Slack time zone (:tz @dana America/New_York for someone else)
  :advance 3d       move the clock forward (d, h, m), stopping wherever something falls due
  :advance to mon 10:00   move the clock to a moment (UTC)
  :quit             leave"""

_REF = re.compile(r"\b(?:APP|OP)-\d+\b")
_USERS: dict[str, str] = {}
_CHANNELS: dict[str, str] = {}


def user_id(name: str) -> str:
    name = name.lstrip("@").lower()
    core = re.sub(r"[^A-Z0-9]", "", name.upper())
    uid = "U" + (core[:20] if re.fullmatch(r"[a-z0-9]+", name) else core[:16] + _tag(name))
    _USERS[uid] = name
    return uid


def user_name(uid: str) -> str:
    return _USERS.get(uid) or (uid[1:].lower() if uid.startswith("U") else uid)


def channel_id(name: str) -> str:
    """A Slack-shaped id for a channel name. Names with dashes (``eng-hiring``) get a short tag
    in the id so ``#eng-hiring`` and ``#enghiring`` stay two channels, and the name is kept so
    every later mention prints ``#eng-hiring`` again."""
    name = name.lstrip("#").lower()
    core = re.sub(r"[^A-Z0-9]", "", name.upper())
    cid = "C" + (core[:20] if re.fullmatch(r"[a-z0-9]+", name) else core[:16] + _tag(name))
    _CHANNELS[cid] = name
    return cid


def channel_name(cid: str) -> str:
    return _CHANNELS.get(cid) or cid[1:].lower()


def _tag(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:4].upper()


def _humanise(text: str) -> str:
    text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + user_name(m.group(1)), text)
    text = re.sub(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>", lambda m: "#" + (m.group(2) or channel_name(m.group(1))), text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _read_paste(path: str) -> str:
    with open(path, "rb") as fh:
        return fh.read(1_000_000).decode("utf-8", "replace")


def _where(channel: str) -> str:
    return f"DM to @{user_name(channel[1:])}" if channel.startswith("D") else f"#{channel_name(channel)}"


class Handled:
    """The app's "request handled" signal: which Slack requests still have listener work running.

    With ``process_before_response=False`` (hirebot's setting) bolt's listener runner acks,
    starts the listener body in a task of its own and returns the HTTP response; the body ends
    in the runner's ``listener_completion_handler``. A request counts as busy from the moment
    the runner is asked to run its listener (before the HTTP response leaves) until that
    completion, and what its listener queued after the ack (``after_ack``: the app's
    :class:`~handlers.listeners.inbox.Durable`) until that is processed too, so once a caller
    has its HTTP response, :meth:`idle` returning means the app has done everything that
    request asked for. Requests no listener matched never count. Install once per app, before
    it serves: ``Handled(app, durable(ctx))``.
    """

    def __init__(self, app: AsyncApp, after_ack: Durable | None = None) -> None:
        self._after_ack = after_ack
        self._busy: set[int] = set()
        self._started: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.handled = 0
        runner = app.listener_runner
        run, started, completed = runner.run, runner.listener_start_handler, runner.listener_completion_handler
        tracker = self

        async def tracked_run(request: AsyncBoltRequest, response: BoltResponse, listener_name: str,
                              listener: Any, starting_time: float | None = None) -> BoltResponse | None:
            background = not runner.process_before_response and not request.lazy_only
            if background:
                tracker._begin(request)
            try:
                return await run(request=request, response=response, listener_name=listener_name,
                                 listener=listener, starting_time=starting_time)
            except BaseException:
                if background and id(request) not in tracker._started:
                    tracker._end(request)  # failed before bolt started the listener: no completion comes
                raise

        class Start:
            async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
                tracker._started.add(id(request))
                await started.handle(request=request, response=response)

        class Completion:
            async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
                try:
                    await completed.handle(request=request, response=response)
                finally:
                    tracker._end(request)

        runner.run = tracked_run  # type: ignore[method-assign]
        runner.listener_start_handler = Start()  # type: ignore[assignment]
        runner.listener_completion_handler = Completion()  # type: ignore[assignment]

    def _begin(self, request: AsyncBoltRequest) -> None:
        self._busy.add(id(request))
        self._idle.clear()

    def _end(self, request: AsyncBoltRequest) -> None:
        if id(request) in self._busy:
            self.handled += 1
        self._busy.discard(id(request))
        self._started.discard(id(request))
        if not self._busy:
            self._idle.set()

    @property
    def busy(self) -> int:
        return len(self._busy) + (self._after_ack.working() if self._after_ack is not None else 0)

    async def idle(self, timeout: float = 30.0) -> bool:  # noqa: ASYNC109 (callers and tests pass a bound)
        """Wait until no listener work is running, nor work queued after an ack; False if some
        still is after ``timeout`` seconds. (A listener queues its work before it completes, so
        once no listener runs, all the work requests gave is queued or done.)"""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self._idle.wait()
                    if self._after_ack is None:
                        return True
                    await self._after_ack.quiet()
                    if self._idle.is_set():
                        return True
        except TimeoutError:
            return False


@dataclass
class Button:
    """One button or menu as drawn: its number never changes for the rest of the session."""

    number: int
    label: str
    element: dict[str, Any]
    call: Call
    message: tuple[str, ...] = ()


class Buttons:
    """Every button drawn this session, by a number that stays and by a label.

    A button is the same button when its action and value are (a card redrawn after a move
    draws the same Refer/Discuss; a nudge's Snooze carries the batch and the candidate), so it
    keeps its number; pressing it uses the message it was drawn in last.
    """

    def __init__(self) -> None:
        self.items: dict[int, Button] = {}
        self._numbers: dict[str, int] = {}
        self._recent: list[int] = []  # most recently drawn last
        #: message → the buttons it shows now (a message redrawn without a button takes it off screen)
        self.shown: dict[tuple[str, ...], set[int]] = {}

    def redraw(self, message: tuple[str, ...]) -> None:
        """``message`` is about to be drawn again (or was removed): forget what it showed."""
        self.shown.pop(message, None)

    def on_screen(self, number: int) -> bool:
        button = self.items.get(number)
        return button is not None and (not button.message or number in self.shown.get(button.message, set()))

    def add(self, label: str, element: dict[str, Any], call: Call, message: tuple[str, ...] = ()) -> int:
        options = [o.get("value") for o in element.get("options", [])]
        key = json.dumps([element.get("action_id"), element.get("value"), options, label], sort_keys=True)
        number = self._numbers.setdefault(key, len(self._numbers) + 1)
        self.items[number] = Button(number, label, element, call, message)
        self.shown.setdefault(message, set()).add(number)
        if number in self._recent:
            self._recent.remove(number)
        self._recent.append(number)
        return number

    def find(self, which: str) -> tuple[Button, int] | str:
        """The button (and menu option, 1-based, or 0) a ``:click`` means, or why there is none."""
        m = re.match(r"^(\d+)(?:\.(\d+))?$", which)
        if m:
            button = self.items.get(int(m.group(1)))
            if button is None:
                return "no such button; use the number shown in [brackets], or the button's label"
            if not self.on_screen(button.number):
                return f"button {button.number} is gone: the message it was in has changed since"
            return button, int(m.group(2) or 0)
        want = " ".join(which.casefold().split())
        if not want:
            return "which button? :click 7 or :click APP-3 Snooze 1 working day"
        exact: list[tuple[Button, int]] = []
        partial: list[tuple[Button, int]] = []
        for number in reversed(self._recent):  # the newest drawing of a label wins
            if not self.on_screen(number):
                continue
            button = self.items[number]
            choices = [(button.label, 0)] + [(f"{_ref_of(button.label)}{_option_text(o)}", i + 1)
                                             for i, o in enumerate(button.element.get("options", []))]
            for text, option in choices:
                folded = " ".join(text.casefold().split())
                if folded == want:
                    exact.append((button, option))
                elif want in folded:
                    partial.append((button, option))
        if exact:
            return exact[0]
        labels = list(dict.fromkeys(
            b.label if not o else f"{_ref_of(b.label)}{_option_text(b.element['options'][o - 1])}"
            for b, o in partial))
        if len(labels) == 1:
            return partial[0]
        if labels:
            return "which one? " + " | ".join(labels[:6])
        return f"no button is labelled {which!r}"


def _ref_of(label: str) -> str:
    m = _REF.match(label)
    return m.group(0) + " " if m else ""


def _short(value: str, width: int = 60) -> str:
    """A field's value on one line: long pastes cut, several lines counted."""
    lines = value.splitlines() or [""]
    first = lines[0] if len(lines[0]) <= width else lines[0][: width - 1] + "…"
    more = f" (+{len(lines) - 1} more line{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else ""
    return json.dumps(first, ensure_ascii=False) + more


def _option_text(option: dict[str, Any]) -> str:
    return str((option.get("text") or {}).get("text", ""))


def _block_text(b: dict[str, Any]) -> str:
    parts = [(b.get("text") or {}).get("text", "")] if isinstance(b.get("text"), dict) else []
    parts += [f.get("text", "") for f in b.get("fields", []) + b.get("elements", []) if isinstance(f, dict)]
    return " ".join(str(p) for p in parts)


def render_blocks(blocks: list[dict[str, Any]], buttons: Buttons, call: Call,
                  message: tuple[str, ...] = ()) -> list[str]:
    """Block Kit as terminal lines; every button and menu (in actions blocks and as section
    accessories) is drawn as ``[number label]``, its label led by the APP-/OP- reference of
    the section it belongs to."""
    lines: list[str] = []
    ref = ""
    if message:
        buttons.redraw(message)

    def draw(element: dict[str, Any], near: str) -> str:
        kind = element.get("type")
        text = _option_text(element) if kind == "button" else ""
        if kind == "button":
            label = f"{near} {text}".strip()
            note = " …asks first" if element.get("confirm") else ""
            return f"[{buttons.add(label, element, call, message)} {label}{note}]"
        if kind in {"overflow", "static_select"} and element.get("options"):
            placeholder = _option_text({"text": element.get("placeholder") or {}}) or "menu"
            label = f"{near} {placeholder}".strip()
            n = buttons.add(label, element, call, message)
            opts = " ".join(f"[{n}.{i + 1} {_option_text(o)}]" for i, o in enumerate(element["options"]))
            return f"{label}: {opts}"
        return f"[{kind}]"

    for b in blocks or []:
        if not isinstance(b, dict):
            continue
        kind = b.get("type")
        found = _REF.search(_humanise(_block_text(b)))
        if found and kind in {"section", "header", "context"}:
            ref = found.group(0)
        if kind == "header":
            lines.append("== " + _humanise(b["text"]["text"]) + " ==")
        elif kind == "section":
            if b.get("text"):
                lines.extend(_humanise(b["text"]["text"]).splitlines())
            for f in b.get("fields", []):
                lines.append(_humanise(f["text"]))
            if isinstance(b.get("accessory"), dict) and b["accessory"].get("type") != "image":
                lines.append("    " + draw(b["accessory"], found.group(0) if found else ref))
        elif kind == "context":
            lines.append("  (" + " ".join(_humanise(e.get("text", "")) for e in b.get("elements", [])) + ")")
        elif kind == "divider":
            lines.append("  ----")
        elif kind == "actions":
            lines.append("  " + " ".join(draw(e, ref) for e in b.get("elements", []) if isinstance(e, dict)))
        elif kind == "input":
            lines.append(f"  [field] {b['label']['text']}")
    return lines


@dataclass
class Modal:
    """The modal open on screen: its view and what has been typed into its fields."""

    id: str
    view: dict[str, Any]
    typed: dict[str, Any]

    def inputs(self) -> list[dict[str, Any]]:
        return [b for b in self.view.get("blocks", []) if isinstance(b, dict) and b.get("type") == "input"]

    def initial(self) -> None:
        for b in self.inputs():
            e = b.get("element") or {}
            value = (e.get("initial_value") or e.get("initial_conversation")
                     or (e.get("initial_option") or {}).get("value"))
            if value and b["block_id"] not in self.typed:
                self.typed[b["block_id"]] = value

    def describe(self) -> list[str]:
        out = []
        for b in self.inputs():
            e = b.get("element") or {}
            kind = e.get("type")
            value = self.typed.get(b["block_id"])
            shown = ("#" + channel_name(value) if kind == "conversations_select" and value
                     else _short(str(value)) if value else "(empty)")
            need = "" if b.get("optional") else " (required)"
            hint = ""
            if kind == "static_select":
                hint = "  one of: " + ", ".join(str(o.get("value")) for o in e.get("options", []))
            elif kind == "conversations_select":
                hint = "  a channel, e.g. #jobs"
            elif e.get("multiline"):
                hint = "  several lines: \\n between them, or =@FILE"
            out.append(f"  {b['block_id']}{need} · {b['label']['text']} = {shown}{hint}")
        return out

    def state(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for b in self.inputs():
            e = b.get("element") or {}
            kind, value = e.get("type"), self.typed.get(b["block_id"])
            if kind == "conversations_select":
                st: dict[str, Any] = {"type": kind, "selected_conversation": value or None}
            elif kind == "static_select":
                opt = next((o for o in e.get("options", []) if o.get("value") == value), None)
                st = {"type": kind, "selected_option": opt}
            else:
                st = {"type": kind or "plain_text_input", "value": value or None}
            values[b["block_id"]] = {e.get("action_id") or "v": st}
        return {"values": values}


class Console:
    def __init__(self, config: Config, user: str = "you", out: TextIO = sys.stdout) -> None:
        self.config = config
        self.user = user_id(user)
        self.channel = channel_id("jobs")
        self.out = out
        self.offset = timedelta()
        #: Set for a script (input not a terminal): the clock then stands still between lines and
        #: moves only by ``:advance``, so a script prints the same however fast the machine runs
        #: it (a move a second later would otherwise cross a limit a sweep later).
        self.stopped_at: datetime | None = None
        self.buttons = Buttons()
        self.secret = secrets.token_hex(16)
        self.modal: Modal | None = None
        #: what each message on screen showed last, so an update prints only what changed
        self.screens: dict[tuple[str, ...], list[str]] = {}
        #: response_url of a click → the message the clicked button is in (replace_original edits it)
        self.origin: dict[str, tuple[str, ...]] = {}

    def _now(self) -> datetime:
        return self.stopped_at or datetime.now(UTC)

    def clock(self) -> datetime:
        return self._now() + self.offset

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @property
    def clock_file(self) -> Path:
        return Path(self.config.db_path).with_suffix(".clock")

    def _resume_clock(self) -> str:
        try:
            saved = datetime.fromisoformat(self.clock_file.read_text().strip())
        except (OSError, ValueError):
            return ""
        if saved.tzinfo is None or saved <= self.clock():
            return ""
        self.offset = saved - self._now()
        return f" The clock goes on from the last session: {self.clock():%a %Y-%m-%d %H:%M} UTC."

    def _save_clock(self) -> None:
        try:
            self.clock_file.write_text(self.clock().isoformat() + "\n")
        except OSError:
            logging.getLogger("hirebot.console").warning("could not keep the console's clock in %s", self.clock_file)

    async def run(self, lines: Callable[[], Any]) -> None:
        self._more = lines
        self.slack = await FakeSlack().start()
        resumed = self._resume_clock()
        config = Config(bot_token="xoxb-console", signing_secret=self.secret, api_url=self.slack.api_url,
                        db_path=self.config.db_path, admins=self.config.admins, tz=self.config.tz,
                        templates_dir=self.config.templates_dir, sweep_minutes=self.config.sweep_minutes,
                        escalate_after=self.config.escalate_after)
        services = await open_services(config, clock=self.clock)
        # One person pastes at a time here: one parsing worker, not one per core (each is a
        # Python interpreter with the gazetteer loaded).
        services.parser = parser = ParserPool(workers=1)
        store, self.hiring = services.store, services.hiring
        app, self.ctx = build_app(config, services)
        self.handled = Handled(app, durable(self.ctx))
        await self.ctx.scheduler.start()
        runner = web.AppRunner(make_web_app(app, store), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"  # type: ignore[union-attr]
        self.say(f"hirebot console — database {config.db_path}, log {Path(config.db_path).with_suffix('.log')}. "
                 f"You are @{user_name(self.user)} in #{channel_name(self.channel)}.{resumed} Type :help for help.")
        try:
            async with aiohttp.ClientSession() as self.http:
                while True:
                    line = await lines()
                    if line is None:
                        break
                    if not await self.handle(line.rstrip("\n")):
                        break
        finally:
            self._save_clock()
            parser.close()
            await self.ctx.hiring.changes.drained()
            await self.ctx.scheduler.stop()
            await runner.cleanup()
            await store.close()
            await self.slack.stop()

    # ------------------------------------------------------------------ input
    async def handle(self, line: str) -> bool:
        line = line.strip()
        if not line:
            return True
        mark = len(self.slack.calls)
        if line in {":quit", ":q", ":exit"}:
            return False
        if line == ":help":
            self.say(HELP)
            return True
        if line.startswith(":as "):
            self.user = user_id(line[4:].strip())
            self.say(f"(you are now @{user_name(self.user)})")
            return True
        if line.startswith(":in "):
            self.channel = channel_id(line[4:].strip())
            self.say(f"(you are now in #{channel_name(self.channel)})")
            return True
        if line.startswith(":tz"):
            await self.set_tz(line[3:].strip())
            return True
        if line.startswith(":advance"):
            await self.advance(line)
            return True
        if line.startswith(":fill"):
            await self.fill(line[5:].strip())
            return True
        if line in {":close", ":cancel"}:
            self.say("(modal closed)" if self.modal else "(no modal is open)")
            self.modal = None
            return True
        if line == ":submit":
            await self.submit()
        elif line.startswith(":click"):
            await self.click(line[6:].strip())
        elif line.startswith(":reply "):
            await self.reply(line[7:])
        elif line == ":home":
            await self.event({"type": "app_home_opened", "user": self.user, "tab": "home", "channel": "D" + self.user})
        elif line.startswith("/hiring"):
            text = line[len("/hiring"):].strip()
            m = None if text.endswith("<<") else re.match(r"^(post|parse)\s+<\s*(\S.*)$", text)
            if m:  # "/hiring post < posting.txt": paste a whole file, newlines and all
                try:
                    raw = await asyncio.to_thread(_read_paste, m.group(2).strip())
                    text = f"{m.group(1)} " + raw
                except OSError as exc:
                    self.say(f"  ! cannot read {m.group(2).strip()}: {exc.strerror}")
                    return True
            elif text.endswith("<<"):  # heredoc: lines until a line with a single "."
                body = []
                while (more := await self._more()) is not None and more.rstrip("\n") != ".":
                    body.append(more.rstrip("\n"))
                text = text[:-2].rstrip() + " " + "\n".join(body)
            await self.command(text)
        else:
            self.say("(type /hiring … or :help)")
            return True
        await self.show(mark)
        return True

    async def set_tz(self, rest: str) -> None:
        """``:tz Europe/Berlin`` (or ``:tz @dana America/New_York``): the time zone Slack's
        ``users.info`` gives for the user, as set in their Slack profile; hirebot picks it up."""
        parts = rest.split()
        who = user_id(parts.pop(0)) if parts and parts[0].startswith("@") else self.user
        if len(parts) != 1:
            self.say("(usage: :tz Europe/Berlin   or   :tz @dana America/New_York)")
            return
        try:
            name = zone(parts[0]).key
        except HiringError as exc:
            self.say(f"  ! {exc}")
            return
        self.slack.user_tz[who] = name
        await self.ctx.followups.people.refresh_timezone(who)
        self.say(f"(@{user_name(who)}'s Slack time zone is now {name}; "
                 f"there it is {self.clock().astimezone(zone(name)):%a %H:%M})")

    async def advance(self, line: str) -> None:
        m = re.match(r":advance\s+(\d+)\s*([dhm])$", line)
        to = re.match(r":advance\s+to\s+(.+)$", line)
        if to:  # ":advance to mon 10:00" (UTC): handy to start from a working morning
            try:
                target, _ = parse_when(to.group(1), self.clock(), zone("UTC"))
            except HiringError as exc:
                self.say(f"  ! {exc}")
                return
        elif m:
            n, unit = int(m.group(1)), m.group(2)
            target = self.clock() + (timedelta(days=n) if unit == "d" else timedelta(hours=n) if unit == "h"
                                     else timedelta(minutes=n))
        else:
            self.say("(usage: :advance 3d | 4h | 30m | to mon 10:00)")
            return
        await self.step_to(target)
        self.say(f"(clock is now {self.clock():%a %Y-%m-%d %H:%M} UTC)")
        await self._working_hours_hint()

    def _next_due(self, now: datetime) -> datetime:
        """The next moment after ``now`` at which a deployment's scheduler would wake: what its
        last run armed (a reminder's due time, each digest's), or the SLA sweep (every
        ``sweep_minutes``). Anything that changes a schedule re-arms it, so this is current."""
        every = self.ctx.scheduler.sweep_every.total_seconds()
        moments = [at for at in self.ctx.scheduler.armed if at > now]
        moments.append(datetime.fromtimestamp((now.timestamp() // every + 1) * every, UTC))
        return min(moments)

    async def step_to(self, target: datetime) -> None:
        """Move the clock to ``target`` one due moment at a time, running what falls due at each
        (and printing it under the time it happened), never skipping past a due time."""
        while True:
            now = self.clock()
            nxt = self._next_due(now)
            stop = min(nxt, target)
            self.offset += stop - self.clock()
            mark = len(self.slack.calls)
            await self.ctx.scheduler.tick()
            await self.ctx.hiring.changes.drained()
            if self._visible(self.slack.calls[mark:]):
                self.say(f"({self.clock():%a %Y-%m-%d %H:%M} UTC)")
                await self.show(mark)
            if stop >= target:
                return

    async def _working_hours_hint(self) -> None:
        """After a jump outside working hours: what is held back, and until when. Reminders that
        fell due are held for the start of the working day (then arrive in one DM); say so only
        when some are waiting, so the line never contradicts a DM just shown."""
        person = await self.ctx.followups.people.person(self.user)
        now = self.clock()
        if person.is_working(now):
            return
        nxt = person.hours.next_working_moment(now, person.tz)
        held = [r for r in await self.ctx.followups.reminders.reminders_of(self.user) if r.due_at <= nxt]
        what = f"{len(held)} reminder{'s' if len(held) != 1 else ''} and any nudges" if held else "nudges"
        self.say(f"(outside @{user_name(self.user)}'s working hours, {person.hours.describe()} {person.tz_name}: "
                 f"{what} wait until {nxt.astimezone(person.tz):%a %d %b %H:%M}, then arrive together)")

    def _mentions(self, text: str) -> str:
        """Slack escapes @mentions and #channels in slash commands; do the same."""
        text = re.sub(r"(?<![\w<])@([a-zA-Z][\w.-]*)", lambda m: f"<@{user_id(m.group(1))}|{m.group(1)}>", text)
        return re.sub(r"(?<![\w<])#([a-z][\w-]*)", lambda m: f"<#{channel_id(m.group(1))}|{m.group(1)}>", text)

    async def _post(self, body: str, content_type: str) -> tuple[int, str]:
        ts = str(int(time.time()))
        sig = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body) or ""
        async with self.http.post(self.url, data=body.encode(), headers={
                "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": content_type}) as resp:
            raw = await resp.text()
            if resp.status == 200 and raw.startswith("{"):
                self._view_ack(json.loads(raw))
            return resp.status, raw

    def _view_ack(self, data: dict[str, Any]) -> None:
        if data.get("response_action") in {"update", "push"}:
            self.slack.calls.append(Call("views.update", {"view": data["view"]}))
        elif data.get("response_action") == "errors":
            self.say("  ! " + "; ".join(f"{k}: {v}" for k, v in data.get("errors", {}).items()))

    async def command(self, text: str) -> None:
        """A slash command; a reply hirebot put in the ack's body (help, a typing mistake) is
        shown like any other private reply, as Slack shows it."""
        status, raw = await self._post(urlencode({
            "team_id": "T0001", "channel_id": self.channel, "channel_name": channel_name(self.channel),
            "user_id": self.user, "user_name": user_name(self.user), "command": "/hiring",
            "text": self._mentions(text), "response_url": self.slack.response_url(), "trigger_id": secrets.token_hex(6),
        }), "application/x-www-form-urlencoded")
        if status == 200 and raw.strip():
            body = json.loads(raw) if raw.startswith("{") else {"text": raw}
            self.slack.calls.append(Call("ack", body))  # printed with the line's other output, in order

    async def click(self, which: str) -> None:
        yes = bool(re.search(r"(^|\s)(--yes|-y)$", which))
        which = re.sub(r"(^|\s)(--yes|-y)$", "", which).strip()
        found = self.buttons.find(which)
        if isinstance(found, str):
            self.say(f"({found})")
            return
        button, k = found
        element, call = button.element, button.call
        channel = str(call.args.get("channel") or self.channel)
        action: dict[str, Any] = {"action_id": element.get("action_id"), "block_id": "b", "type": element.get("type"),
                                  "action_ts": str(time.time())}
        if "value" in element:
            action["value"] = element["value"]
        if element.get("options"):
            opts = element["options"]
            if not 0 < k <= len(opts):
                self.say(f"(pick an option: :click {button.number}.1 … {button.number}.{len(opts)})")
                return
            action["selected_option"] = opts[k - 1]
        if element.get("confirm") and not await self.confirm(element["confirm"], yes):
            return
        response_url = self.slack.response_url()
        if button.message:
            self.origin[response_url] = button.message
        container: dict[str, Any] = {"type": "message", "channel_id": channel}
        if self.modal is not None and button.message == ("view", self.modal.id):
            container = {"type": "view", "view_id": self.modal.id}
        payload = {"type": "block_actions", "user": {"id": self.user}, "team": {"id": "T0001"}, "api_app_id": "A0001",
                   "channel": {"id": channel}, "container": container,
                   "trigger_id": secrets.token_hex(6), "response_url": response_url, "actions": [action]}
        await self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def confirm(self, dialog: dict[str, Any], yes: bool) -> bool:
        """Slack's "are you sure?" dialog for a button with a ``confirm`` object."""
        title = _option_text({"text": dialog.get("title") or {}})
        text = _humanise(str((dialog.get("text") or {}).get("text", "")))
        ok = _option_text({"text": dialog.get("confirm") or {}}) or "Confirm"
        deny = _option_text({"text": dialog.get("deny") or {}}) or "Cancel"
        self.say(f"[dialog] {title}: {text}  [{ok}] / [{deny}]")
        if yes:
            self.say(f"  ({ok}: confirmed with --yes)")
            return True
        self.say(f"  {ok}? (y/n)")
        answer = await self._more()
        if (answer or "").strip().lower() in {"y", "yes", ok.lower()}:
            return True
        self.say(f"  ({deny}: nothing was done)")
        return False

    async def fill(self, rest: str) -> None:
        if self.modal is None:
            self.say("(no modal is open; a button like Edit or Refer, or /hiring post with no text, opens one)")
            return
        try:
            pairs = shlex.split(rest)
        except ValueError as exc:
            self.say(f"(cannot read that: {exc}; quote values with spaces: title=\"Staff nurse\")")
            return
        fields = {b["block_id"]: b for b in self.modal.inputs()}
        if not pairs:
            self.say("(usage: :fill field=value …; the fields are:)")
        for pair in pairs:
            name, eq, value = pair.partition("=")
            block = fields.get(name)
            if not eq or block is None:
                self.say(f"(no field {name!r}; the fields are: {', '.join(fields)})")
                continue
            element = block.get("element") or {}
            if value.startswith("@"):
                try:
                    value = await asyncio.to_thread(_read_paste, value[1:])
                except OSError as exc:
                    self.say(f"  ! cannot read {value[1:]}: {exc.strerror}")
                    continue
            else:
                value = value.replace("\\n", "\n")
            if element.get("type") == "conversations_select" and value:
                value = channel_id(value)
            elif element.get("type") == "static_select" and value:
                options = {str(o.get("value")).lower(): str(o.get("value")) for o in element.get("options", [])}
                if value.lower() not in options:
                    self.say(f"  ! {name} is one of: {', '.join(options.values())}")
                    continue
                value = options[value.lower()]
            self.modal.typed[name] = value
        self.say(f"[modal] {_option_text({'text': self.modal.view.get('title') or {}})}")
        for line in self.modal.describe():
            self.say(line)

    async def submit(self) -> None:
        modal = self.modal
        if modal is None:
            self.say("(no modal is open)")
            return
        missing = [b["label"]["text"] for b in modal.inputs()
                   if not b.get("optional") and not modal.typed.get(b["block_id"])]
        if missing:  # Slack itself does not send a modal with an empty required field
            self.say("  ! please fill in: " + ", ".join(missing))
            return
        view = {**modal.view, "id": modal.id, "state": modal.state()}
        payload = {"type": "view_submission", "team": {"id": "T0001"}, "api_app_id": "A0001",
                   "user": {"id": self.user, "name": user_name(self.user)}, "trigger_id": secrets.token_hex(6),
                   "view": view}
        status, raw = await self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        if status == 200 and not raw.strip().startswith("{"):
            if self.modal is modal:
                self.modal = None
            self.say("(modal sent and closed)")
        elif status != 200:
            self.say(f"  ! hirebot answered {status}")

    async def reply(self, rest: str) -> None:
        parts = rest.split(None, 1)
        op_id = ids.parse_op(parts[0]) if parts else None
        if op_id is None or len(parts) < 2:
            self.say("(usage: :reply OP-1 your message)")
            return
        try:
            op = await self.hiring.opening(op_id)
        except Exception as exc:
            self.say(f"  ! {exc}")
            return
        if not op.message_ts:
            self.say(f"  ! {op.ref} has no card yet")
            return
        ts = f"{time.time():.6f}"
        self.say(f"[thread of {op.ref} in #{channel_name(op.channel_id or '')}] @{user_name(self.user)}: {parts[1]}")
        await self.event({"type": "message", "channel": op.channel_id, "user": self.user, "text": parts[1], "ts": ts,
                          "thread_ts": op.message_ts})
        await self.handled.idle()
        self.say("  (saved as a note)")

    async def event(self, event: dict[str, Any]) -> None:
        eid = "Ev" + hashlib.sha1(json.dumps(event, sort_keys=True).encode()).hexdigest()[:10]
        await self._post(json.dumps({"team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                                     "event_id": eid, "event_time": int(time.time()), "event": event}),
                         "application/json")

    # ------------------------------------------------------------------ output
    _QUIET = frozenset({"auth.test", "chat.getPermalink", "conversations.open", "conversations.info",
                        "conversations.members", "users.info"})

    def _visible(self, calls: list[Call]) -> list[Call]:
        return [c for c in calls if c.method not in self._QUIET]

    async def show(self, mark: int) -> None:
        """Print what Slack would show for the calls made since ``mark``, once the app has handled the line.

        Every request the line sent has had its HTTP answer by now; the app's listener work after
        the ack is what :class:`Handled` waits for. The Web API calls it made were recorded by
        FakeSlack before they returned, so nothing of the line can arrive later.
        """
        if not await self.handled.idle():
            self.say("(hirebot is still working on that; its output may show up with the next line)")
        await self.ctx.hiring.changes.drained()  # the card redraws the line's changes caused
        for call in self._visible(self.slack.calls[mark:]):
            self.print_call(call)

    def _message(self, where: str, key: tuple[str, ...], lines: list[str], update: bool) -> None:
        """A message as Slack shows it; an update of one already on screen prints only what changed."""
        before = self.screens.get(key) if update else None
        self.screens[key] = lines
        diff = difflib.SequenceMatcher(None, before or [], lines, autojunk=False)
        kept = sum(i2 - i1 for op, i1, i2, _, _ in diff.get_opcodes() if op == "equal")
        if before is None or kept * 2 < len(lines):  # new, or replaced by something else: all of it
            self.say(where)
            for line in lines:
                self.say("  " + line)
            return
        hunks = [h for h in diff.get_opcodes() if h[0] != "equal"]
        if not hunks:
            return  # nothing a person could see changed (Slack shows no "edited" for an app's update)
        self.say(where)
        for op, i1, i2, j1, j2 in hunks:
            shown = before[i1:i2] if op == "delete" else lines[j1:j2]
            if not any(_REF.search(line) for line in shown):  # say whose line it is: the APP-/OP- line above it
                above = next((line for line in reversed(lines[:j1]) if _REF.search(line)), None)
                if above is not None:
                    self.say("  · " + above.strip())
            old, new = before[i1:i2], lines[j1:j2]
            paired = min(len(old), len(new))  # a replaced line is shown once, as it is now
            for line in new[:paired]:
                self.say("  ~ " + line)
            for line in old[paired:]:
                self.say("  - " + line)
            for line in new[paired:]:
                self.say("  + " + line)

    def print_call(self, call: Call) -> None:
        a, m, r = call.args, call.method, call.result
        if m.endswith(":429"):
            self.say(f"(Slack said 429 to {m[:-4]}; retrying)")
            return
        if m in {"views.open", "views.update", "views.push"}:
            self._print_modal(call)
            return
        if m == "response_url":
            url = str(a.get("response_url", ""))
            key = self.origin.get(url, ("resp", url))
            if a.get("delete_original") and str(a.get("delete_original")).lower() != "false":
                self.screens.pop(key, None)
                self.buttons.redraw(key)
                self.say("[only you] (message removed)")
                return
            update = str(a.get("replace_original")).lower() == "true"
            where = "[message updated]" if update else "[only you]"
            if not update:
                key = ("resp", url)
        elif m == "ack":  # a slash command's reply in its ack body: a message only the typist sees
            where, key, update = "[only you]", ("ack", str(id(call))), False
        elif m == "chat.postEphemeral":
            where, key, update = "[only you]", ("eph", str(r.get("message_ts"))), False
        elif m == "chat.postMessage":
            channel = str(a.get("channel", ""))
            thread = f" · thread of {a['thread_ts']}" if a.get("thread_ts") else ""
            where, key, update = f"[{_where(channel)}{thread}]", ("msg", channel, str(r.get("ts"))), False
        elif m == "chat.update":
            channel = str(a.get("channel", ""))
            key = ("msg", channel, str(a.get("ts")))
            where, update = f"[{_where(channel)} · {'card ' if channel.startswith(('C', 'G')) else ''}updated]", True
        elif m == "views.publish":
            user = str(a.get("user_id"))
            key = ("home", user)
            lines = render_blocks((a.get("view") or {}).get("blocks", []), self.buttons, call, key)
            self._message(f"[App Home of @{user_name(user)}]", key, lines, update=False)
            return
        else:
            self.say(f"[{m}]")
            return
        lines = render_blocks(a.get("blocks") or [], self.buttons, call, key) or [_humanise(str(a.get("text") or ""))]
        self._message(where, key, lines, update)

    def _print_modal(self, call: Call) -> None:
        view = call.args.get("view") or {}
        vid = str(call.result.get("view", {}).get("id") or call.args.get("view_id") or
                  (self.modal.id if self.modal is not None else f"V{secrets.token_hex(3).upper()}"))
        self.modal = Modal(vid, view, {})
        self.modal.initial()
        title = _option_text({"text": view.get("title") or {}})
        self.say(f"[modal] {title}")
        shown = [b for b in view.get("blocks", []) if isinstance(b, dict) and b.get("type") != "input"]
        for line in render_blocks(shown, self.buttons, call, ("view", vid)):
            self.say("  " + line)
        for line in self.modal.describe():
            self.say(line)
        submit = _option_text({"text": view.get("submit") or {}}) or "Submit"
        names = [b["block_id"] for b in self.modal.inputs()]
        if names:
            example = names[0] + '="…"'
            self.say(f"  (:fill {example} … to type into it, :submit to press {submit}, :close to cancel)")


async def _stdin_lines(prompt: Callable[[], str]) -> Callable[[], Any]:
    loop = asyncio.get_running_loop()
    interactive = sys.stdin.isatty()

    async def read() -> str | None:
        def blocking() -> str | None:
            try:
                return input(prompt()) if interactive else (sys.stdin.readline() or None)
            except EOFError:
                return None
        return await loop.run_in_executor(None, blocking)

    return read


def log_path(db_path: str) -> Path:
    """The console's log file, beside its database: ``hirebot-console.db`` → ``hirebot-console.log``."""
    return Path(db_path).with_suffix(".log")


def _log_to_file(path: Path) -> Callable[[], None]:
    """Send every log record (and Python warnings) to ``path``, none to the terminal; returns an undo."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)

    def undo() -> None:
        logging.captureWarnings(False)
        root.handlers, root.level = saved[0], saved[1]
        handler.close()

    return undo


async def run_console(config: Config, user: str = "you") -> None:
    """Run the console on ``config.db_path`` (the caller decides which file: see ``hirebot console --db``)."""
    undo = _log_to_file(log_path(config.db_path))
    try:
        console = Console(config, user)
        if not sys.stdin.isatty():
            console.stopped_at = datetime.now(UTC).replace(microsecond=0)
        reader = await _stdin_lines(lambda: f"@{user_name(console.user)} #{channel_name(console.channel)}> ")
        await console.run(reader)
    finally:
        undo()
