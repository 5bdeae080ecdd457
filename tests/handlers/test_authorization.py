"""Who may do what: every command and button × every role × public and confidential openings.

One table says allow or deny for each; the test drives the real app with signed requests and
checks the answer, then scans every reply for what the requester may not read: a candidate's
name (hiring team and admins only) and a confidential opening's title (also its channel's
members). Roles: an outsider, a member of the opening's channel who is not on the team, the
three team roles, and a hirebot admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass

import pytest

from handlers.local.fake_slack import Call

from .conftest import ADMIN, Bot, blocks_text

ROLES = {"outsider": "UOUT", "channel member": "UCHAN", "interviewer": "UINT", "recruiter": "UREC",
         "manager": "UMANAGER", "admin": ADMIN}
TEAM = {"interviewer", "recruiter", "manager", "admin"}
MANAGE = {"recruiter", "manager", "admin"}
DATA = {"recruiter", "admin"}
CANDIDATE = "Ada Lovelace"
TITLES = {"public": "Platform Engineer", "private": "VP of Engineering, confidential replacement"}
CHANNELS = {"public": "CJOBS", "private": "GSECRET"}

# (command, who may) — "sees" means whoever may see the opening at all: everyone for a public
# opening; the team, admins and its channel's members for a confidential one.
COMMANDS: list[tuple[str, str | set[str]]] = [
    ("show {op}", "sees"),
    ("team {op}", "sees"),
    ("discuss {op}", "sees"),
    ('add "Nova Person {n}" {op}', "sees"),
    ("pipeline {op}", TEAM),
    ("history {app}", TEAM),
    ("note {app} strong systems answers", TEAM),
    ("remind {app} in 2d chase", TEAM),
    ("move {app} screen", MANAGE),
    ("sla {op} interview 1", MANAGE),
    ("close {op} filled", MANAGE),
    ("export {app}", DATA),
    ("forget {app}", DATA),
]
# (action_id, value template, who may)
BUTTONS: list[tuple[str, str, str | set[str]]] = [
    ("card_refer", "{op_id}", "sees"),
    ("pipeline_move", "{app_id}:applied:screen", MANAGE),
    ("forget_confirm", "{app_id}", DATA),
]


@dataclass
class World:
    bot: Bot
    ops: dict[str, int]
    counter: itertools.count  # type: ignore[type-arg]

    async def fresh_app(self, privacy: str) -> int:
        """A new candidate on the opening, so every case starts from the same state."""
        _, app = await self.bot.hiring.add_candidate(self.ops[privacy], "UMANAGER", f"{CANDIDATE} {next(self.counter)}")
        return app.id


def allowed(rule: str | set[str], role: str, privacy: str) -> bool:
    if rule == "sees":
        return privacy == "public" or role != "outsider"
    return role in rule


@pytest.fixture
async def world(bot: Bot) -> World:
    bot.slack.private_channels.add("GSECRET")
    for channel in CHANNELS.values():  # the team and the channel member are in both channels
        bot.slack.channel_members[channel] = {"UCHAN", "UINT", "UREC", "UMANAGER"}
    ops = {}
    for privacy, title in TITLES.items():
        posting = f"{title}\n\nRequirements:\n- x"
        draft, _ = await bot.ctx.publishing.create_draft("UMANAGER", CHANNELS[privacy], posting)
        await bot.ctx.publishing.edit_draft(draft, "UMANAGER", {"title": title}, None)
        op = await bot.ctx.publishing.publish(draft, "UMANAGER")
        await bot.hiring.team_add(op.id, "UMANAGER", "UINT", "interviewer")
        await bot.hiring.team_add(op.id, "UMANAGER", "UREC", "recruiter")
        ops[privacy] = op.id
    return World(bot, ops, itertools.count(1))


def leaks(text: str, role: str, privacy: str) -> list[str]:
    """What this reply shows that ``role`` may not read."""
    found = []
    if role not in TEAM and CANDIDATE in text:
        found.append("a candidate's name")
    if role == "outsider" and TITLES["private"] in text:
        found.append("a confidential title")
    return found


async def first_answer(bot: Bot, after: int) -> Call:
    """The first reply to a click: a modal, an in-place update, or an ephemeral message."""
    kinds = {"views.open", "response_url", "chat.postEphemeral"}
    deadline = asyncio.get_running_loop().time() + 5.0
    while True:
        for call in bot.slack.calls[after:]:
            if call.method in kinds:
                return call
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("no answer within 5 s")
        bot.slack.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.slack.changed.wait(), timeout=0.05)


def is_refusal(text: str) -> bool:
    return text.startswith(":warning:") or "\n:warning:" in text or text.lstrip().startswith("⚠")


@pytest.mark.parametrize("privacy", ["public", "private"])
async def test_every_command_by_every_role(world: World, privacy: str) -> None:
    bot, op_id = world.bot, world.ops[privacy]
    failures = []
    for (template, rule), (role, user) in itertools.product(COMMANDS, ROLES.items()):
        app_id = await world.fresh_app(privacy)
        text = template.format(op=f"OP-{op_id}", app=f"APP-{app_id}", n=next(world.counter))
        mark = bot.mark()
        await bot.command(text, user=user, channel="CELSEWHERE")
        reply = blocks_text((await bot.slack.wait_for("response_url", after=mark)).args)
        expected = allowed(rule, role, privacy)
        if is_refusal(reply) == expected:
            failures.append(f"{role} `/hiring {text}`: expected {'allow' if expected else 'deny'}, got {reply[:90]!r}")
        failures += [f"{role} `/hiring {text}` shows {what}" for what in leaks(reply, role, privacy)]
        if template.startswith("close") and expected:
            await bot.hiring.reopen(op_id, "UMANAGER")
    assert failures == []


@pytest.mark.parametrize("privacy", ["public", "private"])
async def test_every_button_by_every_role(world: World, privacy: str) -> None:
    bot, op_id = world.bot, world.ops[privacy]
    failures = []
    for (action, value, rule), (role, user) in itertools.product(BUTTONS, ROLES.items()):
        app_id = await world.fresh_app(privacy)
        mark = bot.mark()
        await bot.click(action, value.format(op_id=op_id, app_id=app_id), user=user, channel=CHANNELS[privacy])
        # An allowed Refer opens a modal; everything else answers the clicker, in place or ephemerally.
        answer = await first_answer(bot, mark)
        text = blocks_text(answer.args) if answer.method != "views.open" else ""
        refused = answer.method != "views.open" and is_refusal(text)
        if refused == allowed(rule, role, privacy):
            failures.append(f"{role} [{action}]: {text[:90]!r}")
        failures += [f"{role} [{action}] shows {what}" for what in leaks(text, role, privacy)]
    assert failures == []


async def test_openings_lists_a_confidential_opening_only_to_those_who_see_it(world: World) -> None:
    bot = world.bot
    for role, user in ROLES.items():
        mark = bot.mark()
        await bot.command("openings all", user=user, channel="CELSEWHERE")
        text = blocks_text((await bot.slack.wait_for("response_url", after=mark)).args)
        assert TITLES["public"] in text, role
        assert (TITLES["private"] in text) == (role != "outsider"), role


async def test_digest_preview_of_another_channel_is_for_its_members_and_admins(world: World) -> None:
    bot = world.bot
    await world.fresh_app("private")
    for role, user in ROLES.items():
        mark = bot.mark()
        await bot.command("digest preview <#GSECRET|secret>", user=user, channel="CELSEWHERE")
        text = blocks_text((await bot.slack.wait_for("response_url", after=mark)).args)
        may = role in {"admin", "channel member", "interviewer", "recruiter", "manager"}
        assert is_refusal(text) != may, (role, text[:120])
        if not may:
            assert CANDIDATE not in text and TITLES["private"] not in text
