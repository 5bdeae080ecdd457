"""Slack's hard rules: signatures, retries acted on once, 429s survived, threads, App Home, health."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from .conftest import Bot, blocks_text
from .test_candidates import say
from .test_posting import post_opening


def _command_body(text: str) -> str:
    return urlencode({"team_id": "T0001", "channel_id": "CJOBS", "user_id": "UMANAGER", "command": "/hiring",
                      "text": text, "response_url": "http://127.0.0.1:9/none", "trigger_id": "t"})


async def test_forged_signature_is_401_and_writes_nothing(bot: Bot) -> None:
    resp = await bot.post(_command_body('add "X" OP-1'), "application/x-www-form-urlencoded", secret="wrong")
    assert resp.status == 401
    resp = await bot.post(_command_body("post Nurse"), "application/x-www-form-urlencoded",
                          timestamp=int(time.time()) - 60 * 10)
    assert resp.status == 401, "a stale timestamp is a replay"
    resp = await bot.http.post(bot.url + "/slack/events", data=_command_body("post Nurse"),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 401
    async with bot.store.transaction() as tx:
        assert await tx._all("SELECT * FROM drafts") == []
    assert bot.slack.calls == []


async def test_command_is_acked_with_an_empty_200_at_once(bot: Bot) -> None:
    start = time.monotonic()
    resp = await bot.command("parse Senior Nurse\nRequirements:\n- RN license")
    assert resp.status == 200 and time.monotonic() - start < 3


async def test_thread_replies_become_notes_once_even_when_retried(bot: Bot) -> None:
    op_id = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op_id}')
    op = await bot.hiring.opening(op_id)
    base = {"type": "message", "channel": op.channel_id, "thread_ts": op.message_ts, "user": "UMANAGER"}
    await bot.event({**base, "text": "Budget approved for two hires", "ts": "1800000000.000001"}, "Ev1")
    await bot.event({**base, "text": "Budget approved for two hires", "ts": "1800000000.000001"}, "Ev1", retry=1)
    await bot.event({**base, "text": "APP-1: great on-site, hire", "ts": "1800000000.000002"}, "Ev2")
    await bot.event({**base, "text": "not threaded", "ts": "1800000000.000003", "thread_ts": None}, "Ev3")
    await bot.event({"type": "message", "channel": "COTHER", "thread_ts": "1.2", "ts": "1.3", "user": "U1",
                     "text": "elsewhere"}, "Ev4")
    await bot.settled()  # every event above has been handled to the end
    notes = await bot.hiring.opening_notes(op_id, "UMANAGER")
    history = await bot.hiring.history(1, "UMANAGER")
    assert [n["text"] for n in notes] == ["Budget approved for two hires"]
    assert [n["text"] for n in history[3]] == ["great on-site, hire"]
    out = await say(bot, "history APP-1")
    assert "great on-site, hire" in out


async def test_thread_replies_hirebot_will_not_keep_are_answered_with_why(bot: Bot) -> None:
    op_id = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op_id}')
    op = await bot.hiring.opening(op_id)
    mark = bot.mark()
    await bot.event({"type": "message", "channel": op.channel_id, "thread_ts": op.message_ts, "user": "UOUT",
                     "text": "APP-1 I know her!", "ts": "1800000000.000009"}, "Ev9")
    told = await bot.slack.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "UOUT", after=mark)
    assert "only the hiring team" in blocks_text(told.args) and told.args["thread_ts"] == op.message_ts
    await bot.event({"type": "message", "channel": op.channel_id, "thread_ts": op.message_ts, "user": "UMANAGER",
                     "text": "APP-999 who is this?", "ts": "1800000000.000010"}, "Ev10")
    told = await bot.slack.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "UMANAGER", after=mark)
    assert "APP-999 is not a candidate" in blocks_text(told.args)
    # Both answers came back, so both replies were handled: neither became a note.
    assert await bot.hiring.opening_notes(op_id, "UMANAGER") == []
    assert (await bot.hiring.history(1, "UMANAGER"))[3] == []


async def test_web_api_429_is_retried_after_retry_after(bot: Bot) -> None:
    op_id = await post_opening(bot)
    bot.slack.rate_limit_next["chat.update"] = 1
    mark = bot.mark()
    await say(bot, f'add "Ada Lovelace" OP-{op_id}')
    await bot.slack.wait_for("chat.update", after=mark, timeout=6)
    assert bot.slack.of("chat.update:429")


async def test_app_home_shows_openings_and_who_is_waiting(bot: Bot) -> None:
    op_id = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op_id}')
    bot.clock.advance(days=5)
    await bot.event({"type": "app_home_opened", "user": "UMANAGER", "channel": "DUMANAGER", "tab": "home"}, "EvH")
    home = await bot.slack.wait_for("views.publish")
    text = blocks_text(home.args)
    assert home.args["user_id"] == "UMANAGER"
    assert f"OP-{op_id}" in text and "Ada Lovelace" in text
    assert "4 working days in applied" in text and "applied 1" in text


async def test_healthz(bot: Bot) -> None:
    resp = await bot.http.get(bot.url + "/healthz")
    assert resp.status == 200 and (await resp.json())["ok"] is True
    await bot.store.close()
    resp = await bot.http.get(bot.url + "/healthz")
    assert resp.status == 503
    await bot.store.open()


async def test_refer_button_opens_modal_and_submission_adds_privately(bot: Bot) -> None:
    op_id = await post_opening(bot)
    mark = bot.mark()
    await bot.click("card_refer", str(op_id), user="UFRIEND")
    modal = await bot.slack.wait_for("views.open", after=mark)
    assert modal.args["view"]["callback_id"] == "refer_modal"
    mark = bot.mark()
    await bot.submit("refer_modal", {"name": {"v": {"type": "plain_text_input", "value": "Linus Torvalds"}},
                                     "email": {"v": {"type": "plain_text_input", "value": "linus@example.com"}},
                                     "note": {"v": {"type": "plain_text_input", "value": "kernel person"}}},
                     user="UFRIEND", private_metadata=str(op_id))
    thanks = await bot.slack.wait_for("chat.postEphemeral", after=mark)
    assert thanks.args["user"] == "UFRIEND" and "APP-1" in blocks_text(thanks.args)
    _, app = await bot.hiring.application(1, "UMANAGER")
    assert app.referrer == "UFRIEND" and app.source == "referral"
    for call in bot.slack.of("chat.postMessage") + bot.slack.of("chat.update"):
        assert "Linus" not in blocks_text(call.args), "a candidate's name never goes to a channel"
