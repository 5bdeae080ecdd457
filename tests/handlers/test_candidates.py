"""Applications end to end: add, move (state machine), pipeline buttons, history, notes, privacy."""

from __future__ import annotations

from .conftest import ADMIN, Bot, ack_body, blocks_text
from .test_posting import post_opening


async def say(bot: Bot, text: str, user: str = "UMANAGER", channel: str = "CJOBS") -> str:
    """A command and the text of its private reply: the ack's body when the text alone decides it
    (help, a typing mistake; see ``Bot.answered_in_ack`` for the strict form), else the response URL."""
    mark = bot.mark()
    body = await ack_body(await bot.command(text, user=user, channel=channel))
    if body is not None:
        assert body.get("response_type") == "ephemeral"
        return blocks_text(body)
    reply = await bot.slack.wait_for("response_url", after=mark)
    assert reply.args.get("response_type") == "ephemeral"
    return blocks_text(reply.args)


async def test_add_move_pipeline_history(bot: Bot) -> None:
    op = await post_opening(bot)
    out = await say(bot, f'add "Ada Lovelace" OP-{op} ada@example.com linkedin')
    assert "APP-1" in out and "Ada Lovelace" in out
    out = await say(bot, f"add “Grace Hopper” OP-{op} <@UREFERRER>")
    assert "APP-2" in out

    out = await say(bot, "move APP-1 screen strong CV")
    assert "applied → *screen*" in out
    bot.clock.advance(days=4)
    out = await say(bot, "move APP-1 offer")
    assert "cannot move to offer" in out and "interview" in out, "the state machine lists allowed moves"
    out = await say(bot, "move APP-1 interview")
    assert "screen → *interview*" in out

    out = await say(bot, f"pipeline OP-{op}")
    assert "Ada Lovelace" in out and "Grace Hopper" in out and "4 working days in applied" in out

    out = await say(bot, "history APP-1")
    assert "strong CV" in out and "applied → *screen*" in out and "<@UMANAGER>" in out

    moves = await bot.hiring.history(1, "UMANAGER")
    assert [(m["from_stage"], m["to_stage"]) for m in moves[2]] == [(None, "applied"), ("applied", "screen"),
                                                                     ("screen", "interview")]
    await bot.settled()  # card redraws are paced (bot/changes.py): wait for the last one
    card = bot.slack.messages[((await bot.hiring.opening(op)).channel_id, (await bot.hiring.opening(op)).message_ts)]
    card_text = blocks_text(card)
    assert "interview 1" in card_text and "applied 1" in card_text
    assert "Ada" not in card_text and "Grace" not in card_text, "a public card never shows a candidate"


async def test_pipeline_overflow_moves_and_stale_click_is_harmless(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    mark = bot.mark()
    await bot.click("pipeline_move", "", selected="1:applied:screen")
    updated = await bot.slack.wait_for("response_url", after=mark)
    assert updated.args.get("replace_original") is True
    assert "0 working days in screen" in blocks_text(updated.args)  # the test's clock has not moved
    mark = bot.mark()
    await bot.click("pipeline_move", "", selected="1:applied:rejected")
    stale = await bot.slack.wait_for("response_url", after=mark)
    assert "already moved to screen" in blocks_text(stale.args)
    _, app = await bot.hiring.application(1, "UMANAGER")
    assert app.stage == "screen"


async def test_privacy_outsiders_see_no_candidates(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    for text in (f"pipeline OP-{op}", "history APP-1", "move APP-1 screen", "note APP-1 hi", "export APP-1"):
        out = await say(bot, text, user="UOUTSIDER")
        assert f"not on the hiring team of OP-{op}" in out, text
        assert "Ada" not in out
    out = await say(bot, f"show OP-{op}", user="UOUTSIDER")
    assert "hiring team only" in out and "Ada" not in out
    out = await say(bot, f"pipeline OP-{op}", user=ADMIN)
    assert "Ada Lovelace" in out, "admins see every pipeline"


async def test_team_roles_interviewer_can_note_but_not_move(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    out = await say(bot, f"team OP-{op} add <@UINT|ivan> interviewer")
    assert "<@UINT> is now interviewer" in out
    assert "Noted on" in await say(bot, "note APP-1 solid answers", user="UINT")
    assert "hiring manager or a recruiter" in await say(bot, "move APP-1 screen", user="UINT")
    assert "Only recruiters" in await say(bot, "forget APP-1", user="UINT")
    assert "hiring manager or a recruiter" in await say(bot, f"close OP-{op}", user="UINT")
    out = await say(bot, f"team OP-{op} remove <@UINT>")
    assert "no longer on the hiring team" in out
    assert "not on the hiring team" in await say(bot, "note APP-1 again", user="UINT")


async def test_close_reopen_and_closed_takes_no_candidates(bot: Bot) -> None:
    op = await post_opening(bot)
    assert "Closed" in await say(bot, f"close OP-{op} cancelled")
    assert "closed (cancelled)" in await say(bot, f'add "Late Person" OP-{op}')
    assert "already closed" in await say(bot, f"close OP-{op}")
    assert "Reopened" in await say(bot, f"reopen OP-{op}")
    assert "APP-" in await say(bot, f'add "Late Person" OP-{op}')
    assert f"OP-{op}" in await say(bot, "openings mine")
    assert "Nothing here" in await say(bot, "openings closed")


async def test_export_dms_the_record_and_forget_erases_personal_data(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f"team OP-{op} add <@URECRUIT> recruiter")
    await say(bot, f'add "Ada Lovelace" OP-{op} ada@example.com')
    await say(bot, "note APP-1 loves compilers")
    mark = bot.mark()
    out = await say(bot, "export APP-1", user="URECRUIT")
    assert "direct message" in out
    dm = await bot.slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "DURECRUIT", after=mark)
    assert "ada@example.com" in blocks_text(dm.args) and "loves compilers" in blocks_text(dm.args)
    asked = await say(bot, "forget APP-1", user="URECRUIT")
    assert "cannot be undone" in asked
    assert await bot.hiring.application(1, "URECRUIT"), "nothing erased before the click"
    mark = bot.mark()
    await bot.click("forget_confirm", "1", user="URECRUIT")
    done = await bot.slack.wait_for("response_url", after=mark)
    assert "Forgot" in blocks_text(done.args)
    record = await bot.hiring.export(1, "URECRUIT")
    assert record["candidate_name"] is None and record["email"] is None and record["notes"] == []
    audit = await _audit(bot, "APP-1")
    assert [a["action"] for a in audit] == ["application.add", "application.export", "application.forget",
                                            "application.export"]
    assert all("Ada" not in str(a) for a in audit)


async def _audit(bot: Bot, subject: str) -> list[dict]:
    async with bot.store.transaction() as tx:
        return await tx.audit_for(subject)


async def test_ids_are_never_reused(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "A One" OP-{op}')
    await say(bot, "forget APP-1")  # manager is not a recruiter: refused
    await say(bot, f'add "B Two" OP-{op}')
    async with bot.store.transaction() as tx:
        await tx._run("DELETE FROM stage_moves WHERE application_id = 2")
        await tx._run("DELETE FROM applications WHERE id = 2")
    assert "APP-3" in await say(bot, f'add "C Three" OP-{op}')
