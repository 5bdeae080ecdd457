"""Publishing end to end when Slack refuses the card: the first-day ``not_in_channel``."""

from __future__ import annotations

from .conftest import Bot, blocks_text
from .test_posting import POSTING


async def test_not_in_channel_leaves_an_unposted_opening_that_posts_after_the_invite(bot: Bot) -> None:
    mark = bot.mark()
    await bot.command("post " + POSTING, channel="CNEW")
    preview = await bot.slack.wait_for("response_url", after=mark)
    value = next(e["value"] for b in preview.args["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "draft_post")

    bot.slack.fail_next["chat.postMessage"] = ["not_in_channel"]
    mark = bot.mark()
    await bot.click("draft_post", value, channel="CNEW")
    refused = await bot.slack.wait_for("response_url", after=mark)
    text = blocks_text(refused.args)
    assert "not_in_channel" in text and "/invite @hirebot" in text and "Post to channel" in text
    [unposted] = await bot.hiring.list_openings("UMANAGER", "mine")
    assert not unposted.posted and unposted.post_error == "not_in_channel"

    mark = bot.mark()  # hirebot is invited; the same Post button now works
    await bot.click("draft_post", value, channel="CNEW")
    card = await bot.slack.wait_for("chat.postMessage", after=mark)
    done = await bot.slack.wait_for("response_url", lambda c: "Posted" in blocks_text(c.args), after=mark)
    assert card.args["channel"] == "CNEW" and unposted.ref in blocks_text(done.args)
    [posted] = await bot.hiring.list_openings("UMANAGER", "mine")
    assert posted.id == unposted.id and posted.posted and posted.post_error is None
    assert len([c for c in bot.slack.of("chat.postMessage") if c.args.get("channel") == "CNEW"]) == 1
