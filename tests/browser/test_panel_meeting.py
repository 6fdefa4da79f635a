"""A council meeting run from the control panel, through the pages only: no API call, no token
read out of the HTML. The organiser starts the room from the home page with its settings,
invites and removes a co-moderator, prints attendee codes, runs polls of several kinds on a
timer, works a queue of 50 questions with the keyboard and bulk approval, bans and unbans
with a confirmation step, exports, reports, closes and publishes. axe checks every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def _axe(page: Any) -> list[str]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
            f"{[n['target'] for n in v['nodes']][:3]})" for v in violations]


def _shot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"panel-{name}.png"), full_page=True)


def _checked(page: Any, shots: Path, name: str) -> None:
    """axe finds nothing, and a screenshot to look at."""
    assert _axe(page) == [], name
    _shot(page, shots, name)


def _ask(page: Any, text: str) -> None:
    page.get_by_label("Ask a question").fill(text)
    page.get_by_role("button", name="Send question").click()
    page.locator("#my-questions", has_text=text).wait_for()


def _confirm(page: Any, link: Any, button: str, reason: str | None = None) -> None:
    """A destructive action: its link opens a step that asks first."""
    link.click()
    page.wait_for_url("**/moderate/confirm?**")
    if reason is not None:
        page.get_by_label("Reason").select_option(label=reason)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url("**/moderate?**")
    page.wait_for_selector("body[data-conn=online]")


def _tab(page: Any, section: str) -> None:
    """With JavaScript the panel's sections are tabs: the link shows its section alone."""
    page.locator(f'.sections a[href="#{section}"]').click()
    page.locator(f"#{section}").wait_for()


def _start(browser: Any, server: LiveServer, title: str, **settings: str) -> tuple[Any, Any]:
    """A laptop that started a meeting from the home page and opened its panel."""
    ctx = browser.new_context(**LAPTOP)
    mod = ctx.new_page()
    mod.goto(server.http + "/")
    mod.get_by_label("Title").fill(title)
    if settings:
        mod.get_by_text("Meeting settings").click()
        for label, value in settings.items():
            mod.get_by_label(label).fill(value)
    mod.get_by_role("button", name="Create room").click()
    mod.get_by_role("link", name="Open the control panel").click()
    mod.wait_for_selector("body[data-conn=online]")
    return ctx, mod


def _count(page: Any, section: str) -> str:
    return str(page.locator(f'.sections a[href="#{section}"] .count').inner_text())


@pytest.mark.timeout(600)
def test_a_council_meeting_from_the_panel(server: LiveServer, browser: Any, shots: Path) -> None:
    ctx = browser.new_context(**LAPTOP)
    mod = ctx.new_page()
    # -- set up from the home page ------------------------------------------------------------
    mod.goto(server.http + "/")
    _checked(mod, shots, "home")
    mod.get_by_label("Title").fill("City council, 3 March")
    mod.get_by_text("Meeting settings").click()
    assert mod.get_by_label("Allow anonymous questions").is_checked()  # the engine's defaults
    assert not mod.get_by_label("Downvotes on questions").is_checked()
    mod.get_by_label("Require a name to join").check()
    mod.get_by_label("Speaking time (seconds)").fill("90")
    mod.get_by_label("Districts").fill("North ward\nSouth ward")
    _checked(mod, shots, "home-settings")
    mod.get_by_role("button", name="Create room").click()
    mod.get_by_role("heading", name="Save this link now").wait_for()
    assert "token=" in mod.get_by_label("Organiser link").input_value()
    assert mod.get_by_role("button", name="Copy").is_visible()
    _checked(mod, shots, "organiser")
    mod.get_by_role("link", name="Open the control panel").click()
    mod.wait_for_selector("body[data-conn=online]")
    code = mod.locator(".bar .code").inner_text()
    _checked(mod, shots, "empty")

    # The settings page shows what was chosen, and saves a change.
    mod.locator(".meeting").get_by_role("link", name="Settings").click()
    assert mod.get_by_label("Require a name to join").is_checked()
    assert mod.get_by_label("Speaking time (seconds)").input_value() == "90"
    assert mod.get_by_label("Districts").input_value() == "North ward\nSouth ward"
    mod.get_by_label("Reactions").uncheck()
    _checked(mod, shots, "settings")
    mod.get_by_role("button", name="Save settings").click()
    mod.get_by_text("Room settings saved.").wait_for()
    assert not mod.get_by_label("Reactions").is_checked()
    mod.get_by_label("Access code").fill("not a code!")
    mod.get_by_role("button", name="Save settings").click()
    mod.get_by_role("alert").wait_for()  # refused in words, not a code
    assert "field.invalid" not in mod.get_by_role("alert").inner_text()
    mod.get_by_role("link", name="Back to the control panel").click()
    mod.wait_for_selector("body[data-conn=online]")

    # -- the big screen and the overlay open from the panel's own links ----------------------
    with ctx.expect_page() as opened:
        mod.locator("#open-screen").click()
    screen = opened.value
    screen.wait_for_load_state()
    assert screen.title() == "City council, 3 March · Big screen"
    with ctx.expect_page() as opened:
        mod.locator("#open-overlay").click()
    overlay = opened.value
    overlay.wait_for_load_state()
    assert overlay.title() == "City council, 3 March"
    overlay.close()

    # -- a co-moderator, invited and removed ------------------------------------------------
    _tab(mod, "people")
    assert mod.locator("#polls").is_hidden()  # one section at a time
    people = mod.locator("#people")
    people.get_by_label("Their name").fill("Deputy clerk")
    people.get_by_role("button", name="Create invitation link").click()
    invite = mod.get_by_label("Invitation link")
    invite.wait_for()
    deputy_ctx = browser.new_context(**LAPTOP)
    deputy = deputy_ctx.new_page()
    deputy.goto(invite.input_value())
    deputy.wait_for_selector("body[data-conn=online]")
    assert deputy.locator("#open-screen").count() == 1  # a co-moderator can project too
    mod.reload()
    _tab(mod, "people")
    _confirm(mod, people.get_by_role("link", name="Remove"), "Remove")
    people.get_by_text("removed", exact=True).wait_for()
    deputy.reload()
    assert deputy.get_by_role("heading", name="This link is not valid").count() == 1
    deputy_ctx.close()

    # -- one-time codes, printed as a sheet ----------------------------------------------------
    people.get_by_label("How many").fill("6")
    people.get_by_role("button", name="Issue codes and print the sheet").click()
    mod.get_by_role("heading", name="Attendee codes").wait_for()
    assert mod.locator(".code-card").count() == 6
    assert mod.locator(".code-card svg").count() == 6
    _checked(mod, shots, "codes")
    mod.get_by_role("link", name="Back to the control panel").click()
    mod.wait_for_selector("body[data-conn=online]")

    # -- polls of several kinds, with a timer ------------------------------------------------
    _tab(mod, "polls")
    polls = mod.locator("#polls")
    for kind, question, options in (
        ("Single choice", "Adopt the 2027 budget?", "Yes\nNo\nAbstain"),
        ("Rating", "How clear was the presentation?", None),
        ("Word cloud", "One word for the new park", None),
        ("Ranking", "Rank the road projects", "Main St\nRiver Rd\nHill Ave"),
    ):
        polls.get_by_role("link", name=kind, exact=True).click()
        mod.wait_for_selector("body[data-conn=online]")
        builder = mod.locator("#new-poll")
        assert builder.get_by_text(f"Kind: {kind}").count() == 1
        builder.get_by_label("Question").fill(question)
        # Only this kind's fields: options for kinds with options, none for the others.
        assert builder.get_by_label("Options, one per line").count() == (options is not None)
        if options:
            builder.get_by_label("Options, one per line").fill(options)
        if kind == "Rating":
            assert builder.get_by_label("Scale (highest rating)").count() == 1
            assert builder.get_by_label("Words per person").count() == 0
        builder.get_by_role("button", name="Create poll").click()
        polls.locator("article.poll", has_text=question).wait_for()
    assert polls.locator(".drafts li").count() == 4
    budget = polls.locator("article.poll", has_text="Adopt the 2027 budget?")
    budget.get_by_label("Timer").select_option(label="1 minute")
    budget.get_by_role("button", name="Open", exact=True).click()
    budget.locator(".countdown").wait_for()
    assert budget.locator(".countdown strong").inner_text() in ("1:00", "0:59", "0:58", "0:57")
    assert budget.get_by_role("button", name="Open", exact=True).count() == 0
    _checked(mod, shots, "poll-open")
    cloud = polls.locator("article.poll", has_text="One word for the new park")
    cloud.get_by_role("button", name="Open", exact=True).click()
    cloud.get_by_role("button", name="Close").wait_for()
    cloud.get_by_role("button", name="Close").click()
    cloud.get_by_role("button", name="Reopen").wait_for()
    # A closed poll never offers "Open": its lifecycle offers "Reopen".
    assert cloud.get_by_role("button", name="Open", exact=True).count() == 0
    cloud.get_by_role("button", name="Duplicate").click()
    polls.locator("article.poll", has_text="One word for the new park").nth(1).wait_for()
    assert mod.get_by_text("Poll created.").count() >= 1  # words, never "Done. poll.create"
    assert "poll.create" not in polls.inner_text()
    _confirm(mod, polls.locator("article.poll", has_text="Rank the road projects")
             .get_by_role("link", name="Delete"), "Delete poll")
    assert polls.locator("article.poll", has_text="Rank the road projects").count() == 0

    # -- fifty questions from ten attendees -------------------------------------------------
    phones = []
    for n in range(10):
        phone_ctx = browser.new_context(**PHONE)
        phone = phone_ctx.new_page()
        phone.goto(f"{server.http}/r/{code}")
        phone.get_by_label("Your name").fill(f"Resident {n}")
        phone.get_by_role("button", name="Join").click()
        phone.wait_for_selector("body[data-conn=online]")
        for k in range(5):
            _ask(phone, f"Resident {n} asks question {k}: what about ward {k}?")
        phones.append((phone_ctx, phone))
    mod.wait_for_function(
        "() => document.querySelector('.sections a[href=\"#queue\"] .count')?.textContent === '50'")

    # The keyboard: j moves, a approves, r rejects with the chosen reason, x selects.
    _tab(mod, "queue")
    _checked(mod, shots, "queue-50")
    mod.keyboard.press("j")
    first = mod.evaluate("document.activeElement.id")
    assert first.startswith("mq-")
    mod.keyboard.press("a")
    mod.wait_for_function("() => document.querySelector('.sections a[href=\"#queue\"] .count')"
                          ".textContent === '49'")
    mod.wait_for_function("() => document.activeElement?.matches('[data-queue-item]')")
    item = mod.evaluate("document.activeElement.id")
    mod.locator(f"#{item}").get_by_label("Reason").select_option(label="Off topic")
    mod.locator(f"#{item}").focus()
    mod.keyboard.press("r")
    mod.wait_for_function("() => document.querySelector('.sections a[href=\"#queue\"] .count')"
                          ".textContent === '48'")
    mod.locator("#queue .question").first.focus()
    mod.keyboard.press("x")
    mod.keyboard.press("j")
    mod.keyboard.press("x")
    assert mod.locator("#queue [data-select]:checked").count() == 2
    mod.get_by_role("button", name="Approve selected").click()
    mod.get_by_text("2 questions approved.").wait_for()
    mod.wait_for_function("() => document.querySelector('.sections a[href=\"#queue\"] .count')"
                          ".textContent === '46'")
    mod.get_by_role("button", name="Approve all 46 shown").click()
    mod.get_by_text("46 questions approved.").wait_for()
    mod.wait_for_function("() => document.querySelector('.sections a[href=\"#queue\"] .count')"
                          ".textContent === '0'")
    assert _count(mod, "published") == "49"
    _tab(mod, "published")
    published = mod.locator("#published")
    published.locator("article.question").nth(3).get_by_role("button", name="Answer now").click()
    published.locator("article.question").first.get_by_text("Now answering").wait_for()
    _checked(mod, shots, "published")

    # -- ban and unban, each asked first -----------------------------------------------------
    _confirm(mod, published.locator("article.question").first.get_by_role(
        "link", name="Ban the author"), "Ban", reason="Spam or advertising")
    assert mod.locator("#fb-published").get_by_text("Participant banned.").count() == 1
    _tab(mod, "people")
    mod.locator("#people tr", has_text="Banned").wait_for()
    _checked(mod, shots, "banned")
    _confirm(mod, mod.locator("#people tr", has_text="Banned").get_by_role("link", name="Unban"),
             "Unban")
    assert mod.locator("#people tr", has_text="Banned").count() == 0

    # -- the audit log and the public ledger ------------------------------------------------
    _tab(mod, "audit")
    audit = mod.locator("#audit")
    assert audit.get_by_text("Participant banned.").count() >= 1
    assert audit.get_by_text("Off topic").count() >= 1

    # -- after the meeting: exports, report, close, publish -----------------------------------
    _tab(mod, "closing")
    closing = mod.locator("#closing")
    for name, suffix in (("Questions (CSV)", "-questions.csv"),
                         ("Report data (JSON)", "-report.json"),
                         ("Full transcript (JSON lines)", "-transcript.jsonl"),
                         ("results (CSV)", ".csv")):
        with mod.expect_download() as download:
            closing.get_by_role("link", name=name).first.click()
        assert download.value.suggested_filename.endswith(suffix), name
        assert Path(download.value.path()).stat().st_size > 0
    _confirm(mod, closing.get_by_role("link", name="Close the meeting"), "Close meeting")
    mod.locator(".meeting .badge.closed").wait_for()
    _confirm(mod, closing.get_by_role("link", name="Publish the transcript"), "Publish")
    closing.get_by_text("The transcript is public.").wait_for()
    _checked(mod, shots, "closed")
    closing.get_by_role("link", name="Evaluation report").click()
    mod.wait_for_url(f"**/r/{code}/report")
    assert mod.get_by_role("heading", name="This link is not valid").count() == 0
    for phone_ctx, _phone in phones:
        phone_ctx.close()
    ctx.close()


def test_the_panel_at_phone_width_and_keyboard_only(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    """At 360 px everything is reachable; the keyboard alone creates and opens a poll."""
    ctx = browser.new_context(**PHONE)
    mod = ctx.new_page()
    mod.goto(server.http + "/")
    mod.get_by_label("Title").fill("Ward meeting")
    mod.get_by_label("Title").press("Enter")
    mod.get_by_role("link", name="Open the control panel").focus()
    mod.keyboard.press("Enter")
    mod.wait_for_selector("body[data-conn=online]")
    _checked(mod, shots, "phone")
    mod.locator("#np-question").focus()
    mod.keyboard.type("Should the library open on Sundays?")
    mod.keyboard.press("Tab")
    mod.keyboard.type("Yes\nNo")
    mod.keyboard.press("Tab")
    mod.keyboard.press("Enter")
    poll = mod.locator("article.poll", has_text="library open on Sundays")
    poll.wait_for()
    poll.get_by_role("button", name="Open", exact=True).focus()
    mod.keyboard.press("Enter")
    poll.get_by_role("button", name="Close").wait_for()
    assert mod.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()


def test_the_panel_works_without_javascript(server: LiveServer, browser: Any) -> None:
    ctx = browser.new_context(java_script_enabled=False, **LAPTOP)
    mod = ctx.new_page()
    mod.goto(server.http + "/")
    mod.get_by_label("Title").fill("No script")
    mod.get_by_role("button", name="Create room").click()
    mod.get_by_role("link", name="Open the control panel").click()
    mod.get_by_label("Question").first.fill("Hold the next meeting online?")
    mod.get_by_label("Options, one per line").fill("Yes\nNo")
    mod.get_by_role("button", name="Create poll").click()
    mod.locator("#fb-polls").get_by_text("Poll created.").wait_for()
    poll = mod.locator("article.poll", has_text="Hold the next meeting online?")
    poll.get_by_role("button", name="Open", exact=True).click()
    poll = mod.locator("article.poll", has_text="Hold the next meeting online?")
    poll.get_by_role("button", name="Close").wait_for()
    _confirm_no_js(mod, poll.get_by_role("link", name="Delete"), "Delete poll")
    assert mod.locator("article.poll").count() == 0
    ctx.close()


def _confirm_no_js(page: Any, link: Any, button: str) -> None:
    link.click()
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url("**/moderate?**")


def test_an_action_during_an_outage_is_kept_and_sent_on_reconnect(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    ctx, mod = _start(browser, server, "Outage drill")
    mod.get_by_label("Question").first.fill("Is the microphone working?")
    mod.get_by_label("Options, one per line").fill("Yes\nNo")
    mod.get_by_role("button", name="Create poll").click()
    poll = mod.locator("article.poll", has_text="Is the microphone working?")
    poll.get_by_role("button", name="Reveal results").wait_for()
    ctx.set_offline(True)
    poll.get_by_role("button", name="Reveal results").click()
    outbox = mod.locator("#outbox")
    outbox.get_by_text("Waiting for the connection: 1 not sent yet").wait_for()
    _shot(mod, shots, "outage")
    ctx.set_offline(False)
    poll.get_by_text("results shown").wait_for(timeout=20_000)  # sent once back, not lost
    assert outbox.is_hidden()
    ctx.close()


def test_the_speaker_queue_runs_with_its_time_limit(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    ctx, mod = _start(browser, server, "Public comment", **{"Speaking time (seconds)": "60"})
    code = mod.locator(".bar .code").inner_text()
    phone_ctx = browser.new_context(java_script_enabled=False, **PHONE)  # a plain form post
    phone = phone_ctx.new_page()
    phone.goto(f"{server.http}/r/{code}")
    phone.get_by_label("Your name").fill("Maria")
    phone.get_by_role("button", name="Join").click()
    phone.get_by_role("button", name="Request to speak").click()
    phone.get_by_text("Your place in the queue").wait_for()
    _tab(mod, "speakers")  # no reload: the live refresh brings the request in
    speakers = mod.locator("#speakers")
    speakers.locator("li", has_text="Maria").wait_for()
    assert _count(mod, "speakers") == "1"
    speakers.get_by_role("button", name="Call next speaker").click()
    speakers.locator(".timer").wait_for()
    mod.wait_for_function(
        "() => /^0:0[1-9] \\/ 1:00$/.test(document.querySelector('#speakers .timer').textContent)")
    _checked(mod, shots, "speaker")
    _confirm(mod, speakers.get_by_role("link", name="Ban"), "Ban")
    speakers.get_by_text("Nobody has the floor.").wait_for()
    phone_ctx.close()
    ctx.close()
