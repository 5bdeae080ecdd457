"""Follow-ups end to end: signed requests into the real app, Slack's Web API at FakeSlack,
a real SQLite file, the real APScheduler-backed scheduler, time moved by a controllable clock."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from handlers.app import open_services
from handlers.slack.render import TemplateError

from .conftest import Bot, blocks_text
from .test_candidates import say
from .test_posting import post_opening


def buttons(args: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """action_id → the first such button, of a message."""
    out: dict[str, dict[str, Any]] = {}
    for b in args.get("blocks") or []:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            out.setdefault(e["action_id"], e)
        if (b.get("accessory") or {}).get("type") == "button":
            out.setdefault(b["accessory"]["action_id"], b["accessory"])
    return out


async def overdue_screen(bot: Bot) -> tuple[int, int]:
    op = await post_opening(bot)  # Mon 2 Nov 09:00 UTC
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    await say(bot, "move APP-1 screen")
    bot.clock.advance(days=4, hours=1)  # Fri 10:00: 4 working days, past screen's limit of 3
    return op, 1


async def test_sla_crossing_dms_the_manager_and_buttons_update_the_dm(bot: Bot) -> None:
    _, app = await overdue_screen(bot)
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    dm = await bot.slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "DUMANAGER", after=mark)
    text = blocks_text(dm.args)
    assert "Ada Lovelace" in text and "in *screen* (limit 3)" in text
    b = buttons(dm.args)
    assert set(b) == {"nudge_advance", "nudge_reject", "nudge_snooze_1", "nudge_snooze_3", "nudge_done"}
    assert b["nudge_advance"]["text"]["text"] == "Move to interview"

    mark = bot.mark()
    await bot.click("nudge_advance", b["nudge_advance"]["value"], channel="DUMANAGER")
    updated = await bot.slack.wait_for("response_url", after=mark)
    assert updated.args["replace_original"] in (True, "true")
    assert "now in interview" in blocks_text(updated.args) and not buttons(updated.args)
    card = await bot.slack.wait_for("chat.update", after=mark)
    assert "interview 1" in blocks_text(card.args) and "Ada" not in blocks_text(card.args)

    mark = bot.mark()  # the same button again: a stale click changes nothing
    await bot.click("nudge_advance", b["nudge_advance"]["value"], channel="DUMANAGER")
    stale = await bot.slack.wait_for("chat.postEphemeral", after=mark)
    assert "already moved to interview" in blocks_text(stale.args)
    _, application = await bot.hiring.application(app, "UMANAGER")
    assert application.stage == "interview"

    await bot.settled()  # the clicks are done with
    mark = bot.mark()
    await bot.ctx.scheduler.tick()  # returns once its sends are done: the positive barrier
    assert not [c for c in bot.slack.calls[mark:] if c.method == "chat.postMessage"], "nothing waits any more"


async def test_snooze_and_done_buttons(bot: Bot) -> None:
    await overdue_screen(bot)
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    dm = await bot.slack.wait_for("chat.postMessage", after=mark)
    b = buttons(dm.args)
    mark = bot.mark()
    await bot.click("nudge_snooze_3", b["nudge_snooze_3"]["value"], channel="DUMANAGER")
    updated = await bot.slack.wait_for("response_url", after=mark)
    # Fri 10:00 + 3 working days (the weekend does not count): Wednesday at the same time.
    assert "snoozed until Wed 11 Nov 10:00" in blocks_text(updated.args)
    bot.clock.advance(days=4)  # Tuesday: still snoozed
    await bot.settled()
    mark = bot.mark()
    await bot.ctx.scheduler.tick()  # returns once its sends are done: the positive barrier
    assert not [c for c in bot.slack.calls[mark:] if c.method == "chat.postMessage"], "snoozed: no nudge"
    mark = bot.mark()
    await bot.click("nudge_done", b["nudge_done"]["value"], channel="DUMANAGER")
    done = await bot.slack.wait_for("response_url", after=mark)
    assert ":white_check_mark: done" in blocks_text(done.args)


async def test_interviewers_cannot_act_on_nudge_buttons(bot: Bot) -> None:
    op, _ = await overdue_screen(bot)
    await say(bot, f"team OP-{op} add <@UINTERVIEW> interviewer")
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    dm = await bot.slack.wait_for("chat.postMessage", after=mark)
    value = buttons(dm.args)["nudge_advance"]["value"]
    mark = bot.mark()
    await bot.click("nudge_advance", value, user="UINTERVIEW", channel="DUINTERVIEW")
    refused = await bot.slack.wait_for("chat.postEphemeral", after=mark)
    assert "Only the hiring manager or a recruiter" in blocks_text(refused.args)
    mark = bot.mark()
    await bot.click("nudge_done", "junk", channel="DUMANAGER")
    junk = await bot.slack.wait_for("chat.postEphemeral", after=mark)
    assert "out of date" in blocks_text(junk.args)


async def test_remind_uses_the_users_slack_time_zone_and_lists_with_cancel(bot: Bot) -> None:
    bot.slack.user_tz["UMANAGER"] = "America/New_York"
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    out = await say(bot, "remind APP-1 tomorrow 9am chase references")
    assert "Tue 03 Nov at 09:00 (America/New_York)" in out
    out = await say(bot, f"remind OP-{op} in 10h budget sync")  # Mon 04:00 NY + 10h = 14:00, in hours
    assert "Mon 02 Nov at 14:00" in out
    assert len(bot.slack.of("users.info")) == 1, "the time zone is cached"

    mark = bot.mark()
    await bot.command("reminders")
    listing = await bot.slack.wait_for("response_url", after=mark)
    text = blocks_text(listing.args)
    assert "Your reminders* (2)" in text and "chase references" in text and "Ada Lovelace" in text
    cancel = [b["accessory"] for b in listing.args["blocks"] if (b.get("accessory") or {}).get("action_id")
              == "reminder_cancel"]
    mark = bot.mark()
    await bot.click("reminder_cancel", cancel[0]["value"])
    after = await bot.slack.wait_for("response_url", after=mark)
    assert "Your reminders* (1)" in blocks_text(after.args)

    bot.clock.advance(days=2)  # Wed 04:00 New York: due Tue 09:00 there, unsent, and now off work
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    assert not [c for c in bot.slack.calls[mark:] if c.method == "chat.postMessage"], "held for the working day"
    bot.clock.advance(hours=5)  # Wed 09:00 New York
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    dm = await bot.slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "DUMANAGER", after=mark)
    assert "fell due outside your working hours, so it waited for the start of your working day" in blocks_text(dm.args)
    assert "chase references" in blocks_text(dm.args)  # the budget sync was cancelled (it was sooner)
    assert "budget sync" not in blocks_text(dm.args)


async def test_notify_sla_and_their_bad_input(bot: Bot) -> None:
    op = await post_opening(bot)
    assert "Notifications:* on" in await say(bot, "notify")
    out = await say(bot, "notify digest-only")
    assert "Notifications are now *digest-only*" in out
    out = await say(bot, "notify hours 08:00-16:30 mon-thu")
    assert "08:00–16:30 Mon–Thu" in out
    assert "interview 2" in await say(bot, f"sla OP-{op}")
    assert "interview 1" in await say(bot, f"sla OP-{op} interview 1")
    assert "Only hirebot admins" in await say(bot, "sla global screen 5")
    bad = {
        "notify sometimes": "not a notification setting",
        "notify hours": "Which hours?",
        "notify hours 9-9": "must not start and end at the same time",
        f"sla OP-{op} lunch 2": "not a stage with a time limit",
        f"sla OP-{op} screen lots": "not a number of working days",
        "sla OP-999": "no opening OP-999",
        "sla bananas": "not an opening id",
        "remind": "What and when?",
        "remind APP-1": "What and when?",
        "remind APP-99 in 2d": "no application APP-99",
        f"remind OP-{op} whenever": "can't tell when",
        f"remind OP-{op} in 3 fortnights": "not a duration",
        "remind Bob in 2d": "not an APP- or OP- id",
        "digest frobnicate": "not a digest command",
        "digest subscribe Mars/Olympus": "not a time zone",
    }
    for command, expected in bad.items():
        out = await say(bot, command)
        assert expected in out, (command, out)
        assert ":warning:" in out


async def test_digest_in_public_and_private_channels(bot: Bot) -> None:
    bot.slack.private_channels.add("GHIRING")
    public_op = await post_opening(bot, channel="CJOBS")
    private_op = await post_opening(bot, channel="GHIRING")
    await say(bot, f'add "Ada Lovelace" OP-{public_op}')
    await say(bot, f'add "Grace Hopper" OP-{private_op}')
    bot.clock.advance(days=3)

    out = await say(bot, "digest preview", channel="CJOBS")
    assert "Waiting past their limit:* 1" in out and "Counts only" in out
    assert "Ada" not in out and "Grace" not in out
    out = await say(bot, "digest preview", channel="GHIRING")
    assert "Grace Hopper" in out and "Ada" not in out

    out = await say(bot, "digest subscribe fri 09:00 Europe/Berlin", channel="CJOBS")  # now: Thu 5 Nov 09:00 UTC
    assert "Fridays at 09:00 (Europe/Berlin)" in out and "Counts only" in out and "First one: Fri 06 Nov" in out
    await bot.settled()  # the re-arm follows the change
    assert bot.ctx.scheduler.aps.get_job("digest:CJOBS") is not None
    out = await say(bot, "digest subscribe <#GHIRING|hiring> sat 10:00 UTC", channel="CJOBS")
    assert "Saturdays at 10:00 (UTC)" in out and "names are shown" in out

    bot.clock.advance(days=1)  # Fri 6 Nov 09:00 UTC = 10:00 Berlin: the CJOBS digest is an hour late
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    posted = await bot.slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "CJOBS", after=mark)
    text = blocks_text(posted.args)
    assert "Hiring this week" in text and "Ada" not in text and "preview" not in text
    assert "https://hirebot-local.slack.test/archives/CJOBS/" in text, "links to the card"
    bot.clock.advance(days=1, hours=1)
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    private = await bot.slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "GHIRING", after=mark)
    assert "Grace Hopper" in blocks_text(private.args)
    await bot.settled()  # the tick above has returned, so its sends are all recorded
    assert not [c for c in bot.slack.calls[mark:] if c.method == "chat.postMessage" and c.args["channel"] == "CJOBS"]

    bot.slack.not_member.add("CSALES")
    assert "/invite @hirebot" in await say(bot, "digest subscribe <#CSALES|sales>", channel="CJOBS")
    assert "not DMs" in await say(bot, "digest subscribe", channel="DUMANAGER")
    assert "no longer gets" in await say(bot, "digest unsubscribe", channel="CJOBS")
    await bot.settled()
    assert bot.ctx.scheduler.aps.get_job("digest:CJOBS") is None
    assert "has no weekly digest" in await say(bot, "digest unsubscribe", channel="CJOBS")


async def test_a_failed_send_is_retried_with_backoff_and_a_429_after_retry_after(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    await overdue_screen(bot)
    bot.slack.fail_next["chat.postMessage"] = ["internal_error", "internal_error"]
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    dm = await bot.slack.wait_for("chat.postMessage", after=mark)
    assert "Ada Lovelace" in blocks_text(dm.args)
    assert [c.method for c in bot.slack.calls[mark:] if c.method.startswith("chat.postMessage")] == [
        "chat.postMessage:internal_error", "chat.postMessage:internal_error", "chat.postMessage"]
    assert "retry 1" in caplog.text and "retry 2" in caplog.text

    bot.clock.advance(days=3)  # Monday
    bot.slack.rate_limit_next["chat.postMessage"] = 1
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    await bot.slack.wait_for("chat.postMessage", after=mark, timeout=8)
    assert bot.slack.of("chat.postMessage:429")

    bot.clock.advance(days=1)  # Tuesday; Slack keeps failing: logged, kept, sent on a later sweep
    bot.slack.fail_next["chat.postMessage"] = ["channel_not_found"]
    mark = bot.mark()
    await bot.ctx.scheduler.tick()
    assert "giving up sending" in caplog.text
    assert not [c for c in bot.slack.calls[mark:] if c.method == "chat.postMessage"]
    await bot.ctx.scheduler.tick()
    await bot.slack.wait_for("chat.postMessage", after=mark)


async def test_posts_to_one_channel_are_paced(bot: Bot) -> None:
    outbox = bot.ctx.outbox
    outbox.interval = 0.3
    mark = bot.mark()
    await asyncio.gather(*(outbox.post("CPACE", f"m{i}", []) for i in range(3)))
    times = [c.at for c in bot.slack.calls[mark:] if c.method == "chat.postMessage"]
    assert len(times) == 3 and all(b - a >= 0.28 for a, b in itertools.pairwise(times))
    outbox.interval = 60  # were different channels held back by each other, the second would wait a minute
    await asyncio.wait_for(asyncio.gather(outbox.post("CONE", "x", []), outbox.post("CTWO", "y", [])), 30)


async def test_a_scheduled_send_no_longer_ours_opens_the_dm_but_posts_nothing(bot: Bot) -> None:
    """The fence goes between conversations.open and chat.postMessage: a replica whose job was
    taken over (``still_ours`` says no) posts nothing; the next send, still ours, posts."""
    outbox = bot.ctx.outbox
    asked: list[str] = []

    def answer(ours: bool) -> Any:
        async def still_ours() -> bool:
            asked.append(bot.slack.calls[-1].method if bot.slack.calls else "")
            return ours
        return still_ours

    mark = bot.mark()
    assert not await outbox.dm("UFENCE", "taken over", [], answer(False))
    assert await outbox.dm("UFENCE", "still ours", [], answer(True))
    calls = [c for c in bot.slack.calls[mark:] if c.method in {"conversations.open", "chat.postMessage"}]
    assert [c.method for c in calls] == ["conversations.open", "chat.postMessage"]
    assert calls[1].args["text"] == "still ours" and asked[0] == "conversations.open"


def _config(tmp_path: Path, templates: Path) -> Config:
    return Config.from_env({"HIREBOT_DB": str(tmp_path / "t.db"), "HIREBOT_TEMPLATES": str(templates)})


async def test_template_override_and_broken_template(tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "digest.j2").write_text('[{"type": "section", "text": {"type": "mrkdwn", "text": '
                                      '{{ ("Our week: " ~ digest.openings|length ~ " openings")|j }}}}, null]')
    services = await open_services(_config(tmp_path, custom))
    try:
        from handlers.slack.outbox import digest_blocks

        digest = await services.digests.build(None)
        blocks = digest_blocks(services.renderer, digest, "UTC")
        assert blocks_text({"blocks": blocks}).strip() == "Our week: 0 openings"
    finally:
        await services.store.close()

    (custom / "nudge.j2").write_text('[\n{% for x in batch.items %}\n{{ x.ref }\n{% endfor %}\nnull]')
    with pytest.raises(TemplateError, match=r"nudge\.j2, line 3"):
        await open_services(_config(tmp_path, custom))
