"""Fuzzing the front door with hypothesis: whatever arrives, no 5xx, no slow ack, every
acknowledged command answered (in its ack's body, or after it; never both).

Thousands of generated requests go through the real app over loopback: ``/hiring`` texts built
from real subcommands, ids, mentions, quotes, Unicode and junk, and Block Kit payloads of
every shape (missing fields, wrong types, deep nesting), signed and unsigned.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Bot

SUBCOMMANDS = ["post", "parse", "openings", "show", "close", "reopen", "team", "discuss", "add", "move", "pipeline",
               "history", "note", "export", "forget", "remind", "reminders", "sla", "notify", "digest", "help",
               "movee", ""]
WORDS = st.one_of(
    st.sampled_from(["OP-1", "APP-1", "OP-999999999999", "APP-0", "screen", "offer", "hired", "all", "mine",
                     "<@UDANA>", "<#CJOBS|jobs>", '"Ada Lovelace"', "ada@example.com", "in 2d", "tomorrow 9am",
                     "next monday", "22:00-06:00", "global", "subscribe", "preview", "on", "off", "<!channel>",
                     "\u1680" * 40, "‮rtl", "\x00", "%s%s", "{{ 7*7 }}", "' OR 1=1 --"]),
    st.text(min_size=0, max_size=40),
)
TEXTS = st.builds(lambda sub, words: " ".join([sub, *words]), st.sampled_from(SUBCOMMANDS),
                  st.lists(WORDS, max_size=8))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)
ACTION_IDS = st.sampled_from(["draft_post", "draft_edit", "draft_cancel", "card_refer", "card_discuss",
                              "pipeline_move", "nudge_advance", "nudge_snooze_1", "reminder_cancel", "forget_confirm"])
ACTIONS = st.one_of(JSON, st.lists(st.fixed_dictionaries(
    {"action_id": st.one_of(ACTION_IDS, JSON), "value": st.one_of(st.text(max_size=20), JSON)}), max_size=3))
PAYLOADS = st.fixed_dictionaries({"type": st.sampled_from(["block_actions", "view_submission", "event_callback",
                                                          "shortcut", "nonsense"]),
                                  "user": st.one_of(st.fixed_dictionaries({"id": st.sampled_from(["UMANAGER", "UX"])}),
                                                    JSON),
                                  "actions": ACTIONS, "view": JSON, "event": JSON, "trigger_id": st.text(max_size=12)})
FORM = "application/x-www-form-urlencoded"
#: Examples of each kind: 400 locally; CI sets HIREBOT_FUZZ_EXAMPLES=1500 (3,000 requests).
EXAMPLES = int(os.environ.get("HIREBOT_FUZZ_EXAMPLES", "400"))
SLACK_ACK_LIMIT = 3.0


class Tally:
    def __init__(self) -> None:
        self.commands: list[tuple[str, str, str]] = []
        self.slowest = 0.0
        self.last_body = ""


async def send(bot: Bot, body: str, content_type: str, tally: Tally, *, signed: bool = True) -> int:
    started = time.monotonic()
    if signed:
        resp = await bot.post(body, content_type)
    else:
        resp = await bot.http.post(bot.url + "/slack/events", data=body.encode("utf-8", "surrogatepass"),
                                   headers={"Content-Type": content_type})
    tally.slowest = max(tally.slowest, time.monotonic() - started)
    tally.last_body = await resp.text()
    assert resp.status < 500, (resp.status, body[:300])
    return resp.status


async def test_fuzzed_commands_and_payloads(bot: Bot) -> None:
    tally = Tally()
    await bot.ctx.publishing.publish(  # something real to act on: OP-1 with APP-1
        (await bot.ctx.publishing.create_draft("UMANAGER", "CJOBS", "Platform Engineer\n\nRequirements:\n- Go"))[0],
        "UMANAGER")
    await bot.hiring.add_candidate(1, "UMANAGER", "Ada Lovelace")

    commands: list[tuple[str, str]] = []
    in_ack: set[str] = set()
    payloads: list[tuple[dict[str, Any], bool, bool]] = []

    # Hypothesis draws the inputs (it runs no async code itself); the loop below sends them.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(text=TEXTS, user=st.sampled_from(["UMANAGER", "UOUT", "UADMIN"]))
    def draw_command(text: str, user: str) -> None:
        commands.append((text, user))

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(payload=PAYLOADS, signed=st.booleans(), as_json=st.booleans())
    def draw_payload(payload: dict[str, Any], signed: bool, as_json: bool) -> None:
        payloads.append((payload, signed, as_json))

    draw_command()
    draw_payload()
    for text, user in commands:
        url, trigger = bot.slack.response_url(), f"trig-{time.time_ns()}"
        body = urlencode({"command": "/hiring", "text": text, "user_id": user, "channel_id": "CJOBS",
                          "team_id": "T0001", "response_url": url, "trigger_id": trigger})
        if await send(bot, body, FORM, tally) == 200:
            if tally.last_body.startswith("{"):  # answered in the ack's body (help, a typing mistake)
                in_ack.add(url)
                assert json.loads(tally.last_body).get("blocks"), tally.last_body[:300]
            tally.commands.append((url, trigger, text))
    for payload, signed, as_json in payloads:
        try:
            encoded = json.dumps(payload)
        except (TypeError, ValueError):
            continue
        body = encoded if as_json else urlencode({"payload": encoded})
        status = await send(bot, body, "application/json" if as_json else FORM, tally, signed=signed)
        assert signed or status == 401, "an unsigned request is refused before anything else"
    assert len(commands) + len(payloads) >= EXAMPLES
    await bot.settled(60)
    replied = {c.args["response_url"] for c in bot.slack.of("response_url")}
    assert not in_ack & replied, "a command answered in its ack was answered again"
    answered = replied | in_ack
    answered |= {c.args.get("trigger_id") for c in bot.slack.of("views.open")}  # `post` alone opens a form
    missing = [text for url, trigger, text in tally.commands if url not in answered and trigger not in answered]
    assert missing == [], f"{len(missing)} of {len(tally.commands)} acknowledged commands got no answer: {missing}"
    assert tally.slowest < SLACK_ACK_LIMIT, f"slowest answer {tally.slowest:.2f}s"
