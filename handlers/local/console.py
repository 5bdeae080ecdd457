"""``hirebot console``: try every command with no workspace (Hubot's shell adapter, for Slack).

The real app runs behind its real HTTP server on loopback; the console plays Slack: it signs
each slash command, button click and thread reply like Slack does, and the Web API calls the
app makes land in :class:`FakeSlack`, which the console prints as a person would see them.
Same handlers, same SQLite file as ``hirebot run``.

Typed lines: ``/hiring …`` runs a command; ``:as NAME`` switches user; ``:in #channel``
switches channel; ``:click N`` presses button N of the last message; ``:reply OP-12 text``
replies in the thread under an opening's card; ``:home`` opens App Home; ``:advance 3d``
moves the clock (and runs what fell due); ``:help``; ``:quit``.

After each line the console prints what the app sent, once the app has finished handling the
line: :class:`Handled` counts listener runs from bolt's dispatch to bolt's own completion
callback (listeners ack first and go on working after, in a task of their own), so the console
waits for exactly that work and never for a quiet period.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, TextIO
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot import ids
from bot.config import Config
from bot.errors import HiringError
from bot.worktime import parse_when, zone
from handlers.app import build_app, open_services
from handlers.local.fake_slack import Call, FakeSlack
from handlers.transports import make_web_app

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_bolt.response import BoltResponse

HELP = """Type a slash command as in Slack, e.g.  /hiring help   /hiring add "Ada Lovelace" OP-1
  /hiring post < FILE   paste a whole posting from a file (also: parse < FILE)
  /hiring post <<       paste several lines; end with a line holding only "."
  :as NAME          act as another user (e.g. :as dana)
  :in #channel      switch channel (default #jobs)
  :click N          press button N of the last message (menus: :click N.M for option M)
  :reply OP-1 text  reply in the thread under OP-1's card (start with APP-3 to note a candidate)
  :home             open your App Home
  :advance 3d       move the clock forward (d, h, m); due reminders and digests go out
  :advance to mon 10:00   move the clock to a moment (UTC)
  :quit             leave"""


def user_id(name: str) -> str:
    return "U" + re.sub(r"[^A-Z0-9]", "", name.upper())[:20]


def user_name(uid: str) -> str:
    return uid[1:].lower() if uid.startswith("U") else uid


def channel_id(name: str) -> str:
    return "C" + re.sub(r"[^A-Z0-9]", "", name.lstrip("#").upper())[:20]


def _humanise(text: str) -> str:
    text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + user_name(m.group(1)), text)
    text = re.sub(r"<#C([A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "#" + m.group(1).lower(), text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Handled:
    """The app's "request handled" signal: which Slack requests still have listener work running.

    With ``process_before_response=False`` (hirebot's setting) bolt's listener runner acks,
    starts the listener body in a task of its own and returns the HTTP response; the body ends
    in the runner's ``listener_completion_handler``. A request counts as busy from the moment
    the runner is asked to run its listener (before the HTTP response leaves) until that
    completion, so once a caller has its HTTP response, :meth:`idle` returning means the app
    has done everything that request asked for. Requests no listener matched never count.
    Install once per app, before it serves: ``Handled(app)``.
    """

    def __init__(self, app: AsyncApp) -> None:
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
        return len(self._busy)

    async def idle(self, timeout: float = 30.0) -> bool:
        """Wait until no listener work is running; False if it still is after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


class Buttons:
    """Numbered buttons of the last message, so ``:click 2`` can press one."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any], Call]] = []

    def add(self, label: str, element: dict[str, Any], call: Call) -> int:
        self.items.append((label, element, call))
        return len(self.items)


def render_blocks(blocks: list[dict[str, Any]], buttons: Buttons, call: Call) -> list[str]:
    lines: list[str] = []
    for b in blocks or []:
        kind = b.get("type")
        if kind == "header":
            lines.append("== " + _humanise(b["text"]["text"]) + " ==")
        elif kind == "section":
            if b.get("text"):
                lines.extend(_humanise(b["text"]["text"]).splitlines())
            for f in b.get("fields", []):
                lines.append(_humanise(f["text"]))
            acc = b.get("accessory") or {}
            if acc.get("type") == "overflow":
                n = buttons.add("menu", acc, call)
                opts = "  ".join(f"[{n}.{i + 1} {o['text']['text']}]" for i, o in enumerate(acc.get("options", [])))
                lines.append("    " + opts)
        elif kind == "context":
            lines.append("  (" + " ".join(_humanise(e.get("text", "")) for e in b.get("elements", [])) + ")")
        elif kind == "divider":
            lines.append("  ----")
        elif kind == "actions":
            labels = []
            for e in b.get("elements", []):
                if e.get("type") == "button":
                    labels.append(f"[{buttons.add(e['text']['text'], e, call)} {e['text']['text']}]")
            lines.append("  " + " ".join(labels))
        elif kind == "input":
            lines.append(f"  [field] {b['label']['text']}")
    return lines


class Console:
    def __init__(self, config: Config, user: str = "you", out: TextIO = sys.stdout) -> None:
        self.config = config
        self.user = user_id(user)
        self.channel = channel_id("jobs")
        self.out = out
        self.offset = timedelta()
        self.buttons = Buttons()
        self.secret = secrets.token_hex(16)

    def clock(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def run(self, lines: Callable[[], Any]) -> None:
        self._more = lines
        self.slack = await FakeSlack().start()
        config = Config(bot_token="xoxb-console", signing_secret=self.secret, api_url=self.slack.api_url,
                        db_path=self.config.db_path, admins=self.config.admins, tz=self.config.tz,
                        templates_dir=self.config.templates_dir)
        services = await open_services(config, clock=self.clock)
        store, self.hiring = services.store, services.hiring
        app, self.ctx = build_app(config, services)
        self.handled = Handled(app)
        await self.ctx.scheduler.start()
        runner = web.AppRunner(make_web_app(app, store), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"  # type: ignore[union-attr]
        self.say(f"hirebot console — database {config.db_path}. You are @{user_name(self.user)} in "
                 f"#{self.channel[1:].lower()}. Type :help for help.")
        try:
            async with aiohttp.ClientSession() as self.http:
                while True:
                    line = await lines()
                    if line is None:
                        break
                    if not await self.handle(line.rstrip("\n")):
                        break
        finally:
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
            self.user = user_id(line[4:].strip().lstrip("@"))
            self.say(f"(you are now @{user_name(self.user)})")
            return True
        if line.startswith(":in "):
            self.channel = channel_id(line[4:].strip())
            self.say(f"(you are now in #{self.channel[1:].lower()})")
            return True
        if line.startswith(":advance"):
            m = re.match(r":advance\s+(\d+)\s*([dhm])$", line)
            to = re.match(r":advance\s+to\s+(.+)$", line)
            if to:  # ":advance to mon 10:00" (UTC): handy to start from a working morning
                try:
                    target, _ = parse_when(to.group(1), self.clock(), zone("UTC"))
                except HiringError as exc:
                    self.say(f"  ! {exc}")
                    return True
                self.offset += target - self.clock()
            elif m:
                n, unit = int(m.group(1)), m.group(2)
                self.offset += timedelta(days=n) if unit == "d" else timedelta(hours=n) if unit == "h" else timedelta(minutes=n)
            else:
                self.say("(usage: :advance 3d | 4h | 30m | to mon 10:00)")
                return True
            self.say(f"(clock is now {self.clock():%a %Y-%m-%d %H:%M} UTC)")
            await self.ctx.scheduler.tick()  # whatever fell due in the skipped time goes out now
            await self.show(mark)
            await self._working_hours_hint()
            return True
        if line.startswith(":click"):
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
                    with open(m.group(2).strip(), "rb") as fh:
                        text = f"{m.group(1)} " + fh.read(1_000_000).decode("utf-8", "replace")
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

    async def _post(self, body: str, content_type: str) -> int:
        ts = str(int(time.time()))
        sig = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body) or ""
        async with self.http.post(self.url, data=body.encode(), headers={
                "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": content_type}) as resp:
            raw = await resp.text()
            if resp.status == 200 and raw.startswith("{"):
                self._view_ack(json.loads(raw))
            return resp.status

    def _view_ack(self, data: dict[str, Any]) -> None:
        if data.get("response_action") == "update":
            self.slack.calls.append(Call("views.update", {"view": data["view"]}))
        elif data.get("response_action") == "errors":
            self.say("  ! " + "; ".join(data.get("errors", {}).values()))

    async def command(self, text: str) -> None:
        await self._post(urlencode({
            "team_id": "T0001", "channel_id": self.channel, "channel_name": self.channel[1:].lower(),
            "user_id": self.user, "user_name": user_name(self.user), "command": "/hiring",
            "text": self._mentions(text), "response_url": self.slack.response_url(), "trigger_id": secrets.token_hex(6),
        }), "application/x-www-form-urlencoded")

    async def click(self, which: str) -> None:
        m = re.match(r"^(\d+)(?:\.(\d+))?$", which)
        if not m or not 0 < int(m.group(1)) <= len(self.buttons.items):
            self.say("(no such button; use the number shown in [brackets])")
            return
        label, element, call = self.buttons.items[int(m.group(1)) - 1]
        channel = str(call.args.get("channel") or self.channel)
        action: dict[str, Any] = {"action_id": element.get("action_id"), "block_id": "b", "type": element.get("type"),
                                  "value": element.get("value", ""), "action_ts": str(time.time())}
        if element.get("type") == "overflow":
            opts = element.get("options", [])
            k = int(m.group(2) or 0)
            if not 0 < k <= len(opts):
                self.say(f"(pick an option: :click {m.group(1)}.1 … {m.group(1)}.{len(opts)})")
                return
            action["selected_option"] = opts[k - 1]
        payload = {"type": "block_actions", "user": {"id": self.user}, "team": {"id": "T0001"}, "api_app_id": "A0001",
                   "channel": {"id": channel}, "container": {"type": "message", "channel_id": channel},
                   "trigger_id": secrets.token_hex(6), "response_url": self.slack.response_url(), "actions": [action]}
        await self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def reply(self, rest: str) -> None:
        parts = rest.split(None, 1)
        op_id = ids.parse_op(parts[0]) if parts else None
        if op_id is None or len(parts) < 2:
            self.say("(usage: :reply OP-1 your message)")
            return
        try:
            op = await self.hiring.opening(op_id)
        except Exception as exc:  # noqa: BLE001
            self.say(f"  ! {exc}")
            return
        if not op.message_ts:
            self.say(f"  ! {op.ref} has no card yet")
            return
        ts = f"{time.time():.6f}"
        self.say(f"[thread of {op.ref} in #{(op.channel_id or '')[1:].lower()}] @{user_name(self.user)}: {parts[1]}")
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
    async def show(self, mark: int) -> None:
        """Print what Slack would show for the calls made since ``mark``, once the app has handled the line.

        Every request the line sent has had its HTTP answer by now; the app's listener work after
        the ack is what :class:`Handled` waits for. The Web API calls it made were recorded by
        FakeSlack before they returned, so nothing of the line can arrive later.
        """
        if not await self.handled.idle():
            self.say("(hirebot is still working on that; its output may show up with the next line)")
        new = [c for c in self.slack.calls[mark:] if c.method not in {"auth.test", "chat.getPermalink",
                                                                      "conversations.open", "conversations.info",
                                                                      "users.info"}]
        if new:
            self.buttons = Buttons()
        for call in new:
            self.print_call(call)

    def print_call(self, call: Call) -> None:
        a = call.args
        m = call.method
        if m == "response_url" and a.get("delete_original"):
            self.say("[only you] (message removed)")
            return
        if m == "response_url" and str(a.get("replace_original")).lower() == "true":
            where = "[message updated]"
        elif m in {"response_url", "chat.postEphemeral"}:
            where = "[only you]"
        elif m == "chat.postMessage" and str(a.get("channel", "")).startswith("D"):
            where = f"[DM to @{user_name(str(a['channel'])[1:])}]"
        elif m == "chat.postMessage":
            where = f"[#{str(a.get('channel'))[1:].lower()}]"
        elif m == "chat.update":
            where = f"[#{str(a.get('channel'))[1:].lower()} · card updated]"
        elif m in {"views.open", "views.update", "views.push"}:
            view = a.get("view") or {}
            self.say(f"[modal] {view.get('title', {}).get('text', '')}")
            for line in render_blocks(view.get("blocks", []), self.buttons, call):
                self.say("  " + line)
            self.say("  (modals are forms in Slack; in the console type the text after the command instead, "
                     "e.g. /hiring post <paste>)")
            return
        elif m == "views.publish":
            where = f"[App Home of @{user_name(str(a.get('user_id')))}]"
            self.say(where)
            for line in render_blocks((a.get("view") or {}).get("blocks", []), self.buttons, call):
                self.say("  " + line)
            return
        elif m.endswith(":429"):
            self.say(f"(Slack said 429 to {m[:-4]}; retrying)")
            return
        else:
            self.say(f"[{m}]")
            return
        self.say(where)
        body = render_blocks(a.get("blocks") or [], self.buttons, call) or [_humanise(str(a.get("text") or ""))]
        for line in body:
            self.say("  " + line)


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


async def run_console(config: Config, user: str = "you") -> None:
    console = Console(config, user)
    reader = await _stdin_lines(lambda: f"@{user_name(console.user)} #{console.channel[1:].lower()}> ")
    await console.run(reader)
