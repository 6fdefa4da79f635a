"""Issue 14's rehearsal: a whole council meeting run through the pages only, as the people in
the hall would run it. No API call, no token read out of the HTML: the organiser starts the
room from the home page, the big screen and the overlay open from the panel's own links, the
attendees join on 360 px phones with the one-time codes printed from the panel.

At every step the big screen is photographed at three projector sizes and must never scroll,
the panel at a laptop size, and axe checks every page and state it meets. A second test runs
the moderator's whole round with the keyboard alone, a third without JavaScript.
Screenshots: test-output/screenshots/rehearsal/<step>-<size>.png."""


from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rooms.poll_kinds import KINDS
from tests.browser.rehearsal import (
    LAPTOP,
    OUT,
    PHONE,
    QUEUE_COUNT,
    Meeting,
    clean,
    confirm,
    keyboard_confirm,
    online,
    phone,
    photo,
    press_on,
    show,
    tab,
    tab_to,
    vote,
)
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECEIPT = re.compile(r"^[0-9]+:[0-9a-f]{16}$")  # the short code the phone shows

# One poll per kind the builder offers (rooms/poll_kinds.py KINDS, with the builder's own
# fields from server/edge/panel_pages.py BUILDER_FIELDS): (link, question, options, fields).
POLLS: tuple[tuple[str, str, str | None, dict[str, str]], ...] = (
    ("Single choice", "Adopt the 2027 budget as presented?", "Yes\nNo\nAbstain", {}),
    ("Multiple choice", "Which evenings suit you for the next meeting?",
     "Monday\nTuesday\nWednesday\nThursday", {"Most choices a person may tick": "2"}),
    ("Rating", "How clear was the budget presentation?", None,
     {"Scale (highest rating)": "5"}),
    ("Word cloud", "One word for the riverside in ten years", None, {"Words per person": "2"}),
    ("Open text", "What should the council ask the region for?", None, {}),
    ("Ranking", "Rank the road projects", "Main Street\nRiver Road\nHill Avenue", {}),
    ("Budget", "Share 10 points between the projects", "Playground\nFootpath\nBenches",
     {"Points each person shares out": "10"}),
    ("Quiz", "Which year was the town hall built?", "1850\n*1902\n1961",
     {"Quiz: seconds over which points fall": "30"}),
)


# -- the meeting ------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_a_council_meeting_rehearsed_through_the_pages(
    server: LiveServer, browser: Any
) -> None:
    ctx = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    mod = ctx.new_page()
    errors: list[str] = []
    mod.on("pageerror", lambda e: errors.append(str(e)))
    meeting = Meeting(mod)

    # -- the room, started from the home page with its settings ----------------------------
    mod.goto(server.http + "/")
    meeting.step("home")
    mod.get_by_label("Title").fill("Riverside council: budget assembly, 3 March")
    mod.get_by_text("Meeting settings").click()
    mod.get_by_label("Questions", exact=True).select_option(label="Reviewed before they appear")
    mod.get_by_label("Allow anonymous questions").check()
    mod.get_by_label("Verified attendees only").check()
    mod.get_by_label("Speaking time (seconds)").fill("45")
    meeting.step("home-settings")
    mod.get_by_role("button", name="Create room").click()
    mod.get_by_role("heading", name="Save this link now").wait_for()
    meeting.step("organiser")
    mod.get_by_role("link", name="Open the control panel").click()
    online(mod)
    code = mod.locator(".bar .code").inner_text()
    meeting.step("panel-empty")

    # -- a co-moderator, invited and revoked ------------------------------------------------
    tab(mod, "people")
    people = mod.locator("#people")
    people.get_by_label("Their name").fill("Deputy clerk")
    people.get_by_role("button", name="Create invitation link").click()
    invite = mod.get_by_label("Invitation link")
    invite.wait_for()
    meeting.step("invited")
    deputy_ctx = browser.new_context(viewport=LAPTOP)
    deputy = deputy_ctx.new_page()
    deputy.goto(invite.input_value())  # the link as the organiser would send it
    online(deputy)
    clean(deputy, "the co-moderator's panel")
    mod.reload()
    tab(mod, "people")
    confirm(mod, people.get_by_role("link", name="Remove"), "Remove")
    people.get_by_text("removed", exact=True).wait_for()
    deputy.reload()
    deputy.get_by_role("heading", name="This link is not valid").wait_for()
    clean(deputy, "a revoked link")
    deputy_ctx.close()

    # -- one-time codes, printed as a sheet ------------------------------------------------------
    tab(mod, "people")
    people.get_by_label("How many").fill("12")
    people.get_by_role("button", name="Issue codes and print the sheet").click()
    mod.get_by_role("heading", name="Attendee codes").wait_for()
    assert mod.locator(".code-card").count() == 12
    codes = [c.strip() for c in mod.locator(".code-card .code").all_inner_texts()]
    meeting.step("codes-sheet")
    mod.emulate_media(media="print")
    photo(mod, OUT / "codes-sheet-print.png")
    mod.emulate_media(media="screen")
    mod.get_by_role("link", name="Back to the control panel").click()
    online(mod)

    # -- the big screen and the overlay, from the panel's own links -------------------------
    with ctx.expect_page() as opened:
        mod.locator("#open-screen").click()
    screen = opened.value
    screen.wait_for_load_state()
    online(screen)
    screen.on("pageerror", lambda e: errors.append(str(e)))
    meeting.screen = screen
    with ctx.expect_page() as opened:
        mod.locator("#open-overlay").click()
    overlay = opened.value
    overlay.wait_for_load_state()
    clean(overlay, "the overlay")
    overlay.screenshot(path=str(OUT / "overlay-1440x900.png"))
    mod.bring_to_front()
    tab(mod, "polls")
    meeting.step("welcome", screen_text=code)

    # -- ten attendees on their phones, one code each ---------------------------------------
    phones = []
    for n, one_time in enumerate(codes[:10]):
        page = phone(browser, server, code, f"Resident {n + 1}", one_time)
        phones.append(page)
    clean(phones[0], "the attendee's phone")
    photo(phones[0], OUT / "phone-joined-360.png")
    mod.locator(".meeting .counts p", has_text="joined").get_by_text("10", exact=True).wait_for()

    # -- every kind of poll the builder offers, on a timer, shown and revealed ---------------
    polls = mod.locator("#polls")
    assert polls.locator(".kind-pick a").count() == len(POLLS) == len(KINDS)  # every kind
    ids: dict[str, int] = {}
    for kind, question, options, fields in POLLS:
        polls.locator(".kind-pick").get_by_role("link", name=kind, exact=True).click()
        online(mod)
        builder = mod.locator("#new-poll")
        builder.get_by_text(f"Kind: {kind}").wait_for()
        builder.get_by_label("Question").fill(question)
        if options:
            builder.get_by_label("Options, one per line").fill(options)
        for label, value in fields.items():
            builder.get_by_label(label).fill(value)
        builder.get_by_role("button", name="Create poll").click()
        article = polls.locator("article.poll", has_text=question)
        article.wait_for()
        ids[kind] = int(str(article.get_attribute("id")).removeprefix("mpoll-"))
    meeting.step("drafts")
    for kind, question, _options, _fields in POLLS:
        slug = kind.lower().replace(" ", "-")
        article = polls.locator(f"#mpoll-{ids[kind]}")
        article.get_by_label("Timer").select_option(label="2 minutes")
        article.get_by_role("button", name="Open", exact=True).click()
        article.locator(".countdown").wait_for()
        show(mod, "poll", question)
        for n, page in enumerate(phones[:3]):
            vote(page, ids[kind], kind, n)
        if kind == "Single choice":  # what the first voter keeps, to check at the end
            receipt = phones[0].get_by_label("Your receipt").first.input_value()
            assert RECEIPT.match(receipt)
        if kind == "Open text":  # reviewed first: the answers wait for a moderator
            tab(mod, "answers")
            # All three first: an answer the panel's refresh brings in while a button is
            # being clicked moves the list under the pointer, and the click lands on nothing.
            mod.wait_for_function(
                "() => document.querySelectorAll('#answers article.question').length === 3")
            for _ in range(3):
                mod.locator("#answers article.question").first.get_by_role(
                    "button", name="Approve").click()
                mod.wait_for_function(
                    "(n) => document.querySelectorAll('#answers article.question').length === n",
                    arg=2 - _)
            tab(mod, "polls")
        article.locator(".results", has_text="3").first.wait_for()
        meeting.step(f"{slug}-open", screen_text=question)
        article.get_by_role("button", name="Close").click()
        article.get_by_role("button", name="Reopen").wait_for()
        article.get_by_role("button", name="Reveal results").click()
        article.get_by_text("results shown").wait_for()
        meeting.step(f"{slug}-revealed", screen_text=question)
    # the quiz's leaderboard, on screen once its answers are out
    screen.locator("#leaderboard:not([hidden]) .board li").first.wait_for()
    clean(phones[0], "the phone after every poll")
    photo(phones[0], OUT / "phone-polls-360.png")

    # -- fifty questions (five each: the room's flood limit), worked with the keyboard -------
    for n in range(50):
        page = phones[n % 10]
        page.get_by_label("Ask a question").fill(
            f"Resident {n % 10 + 1}, question {n + 1}: when will ward {n % 7} get its footpath?")
        if n % 10 == 9:
            page.get_by_label("Ask anonymously").check()
        page.get_by_role("button", name="Send question").click()
        page.locator("#my-questions", has_text=f"question {n + 1}:").wait_for()
    mod.wait_for_function(QUEUE_COUNT + " === '50'")
    tab(mod, "queue")
    meeting.step("queue-50")
    mod.keyboard.press("j")
    assert mod.evaluate("document.activeElement.id").startswith("mq-")
    mod.keyboard.press("a")
    mod.wait_for_function(QUEUE_COUNT + " === '49'")
    mod.wait_for_function("() => document.activeElement?.matches('[data-queue-item]')")
    mod.keyboard.press("j")
    mod.keyboard.press("r")  # rejected with the reason shown, the first one
    mod.wait_for_function(QUEUE_COUNT + " === '48'")
    mod.wait_for_function("() => document.activeElement?.matches('[data-queue-item]')")
    for _ in range(3):
        mod.keyboard.press("x")
        mod.keyboard.press("j")
    assert mod.locator("#queue [data-select]:checked").count() == 3
    mod.get_by_role("button", name="Approve selected").click()
    mod.get_by_text("3 questions approved.").wait_for()
    mod.wait_for_function(QUEUE_COUNT + " === '45'")
    meeting.step("queue-45")
    mod.get_by_role("button", name="Approve all 45 shown").click()
    mod.get_by_text("45 questions approved.").wait_for()
    mod.wait_for_function(QUEUE_COUNT + " === '0'")
    tab(mod, "published")
    published = mod.locator("#published article.question")
    published.nth(2).get_by_role("button", name="Answer now").click()
    mod.locator("#published .pinned").wait_for()
    pinned = mod.locator("#published .pinned .q-text").inner_text()
    pinned_text = pinned.removeprefix("Now answering").strip().split(" ▲")[0]
    meeting.step("answering")
    show(mod, "question", pinned_text)
    meeting.step("question-on-screen", screen_text=pinned_text[:30])

    # -- the speaker queue, with its time limit ----------------------------------------------
    for page, topic in ((phones[1], "The footpath lease"), (phones[2], "Bus shelters")):
        page.get_by_label("Topic").fill(topic)
        page.get_by_role("button", name="Request to speak").click()
        page.get_by_text("Your place in the queue").wait_for()
    tab(mod, "speakers")
    speakers = mod.locator("#speakers")
    speakers.locator("li", has_text="Bus shelters").wait_for()
    speakers.get_by_role("button", name="Call next speaker").click()
    speakers.locator(".timer").wait_for()
    mod.wait_for_function(
        "() => /^0:0[1-9] \\/ 0:45$/.test(document.querySelector('#speakers .timer').textContent)")
    mod.locator("#presenting").get_by_role("button", name="Speaker").click()
    mod.locator("#present-now", has_text="The speaker").wait_for()
    meeting.step("speaker", screen_text="Resident 2")
    phones[1].get_by_text("You have the floor").wait_for()
    speakers.get_by_role("button", name="Finish").click()
    speakers.get_by_text("Nobody has the floor.").wait_for()
    speakers.get_by_role("button", name="Call next speaker").click()
    floor = speakers.locator("p", has_text="On the floor")
    floor.get_by_text("Resident 3").wait_for()
    assert speakers.locator(".speaker-queue li").count() == 0

    # -- ban and unban, each asked first ------------------------------------------------------
    confirm(mod, floor.get_by_role("link", name="Ban"), "Ban", reason="Spam or advertising")
    speakers.get_by_text("Nobody has the floor.").wait_for()
    phones[2].get_by_text("You were removed from this room by a moderator.").wait_for()
    tab(mod, "people")
    banned = mod.locator("#people tr", has_text="Banned")
    banned.wait_for()
    meeting.step("banned")
    confirm(mod, banned.get_by_role("link", name="Unban"), "Unban")
    assert mod.locator("#people tr", has_text="Banned").count() == 0
    tab(mod, "audit")
    meeting.step("audit")

    # -- after the meeting: exports, report, close, publish, check ---------------------------
    tab(mod, "closing")
    closing = mod.locator("#closing")
    for name, suffix in (("Questions (CSV)", "-questions.csv"),
                         ("Report data (JSON)", "-report.json"),
                         ("Full transcript (JSON lines)", "-transcript.jsonl"),
                         ("results (CSV)", ".csv"),
                         ("anonymous ballots (CSV)", ".csv")):
        with mod.expect_download() as download:
            closing.get_by_role("link", name=name).first.click()
        assert download.value.suggested_filename.endswith(suffix), name
        assert Path(download.value.path()).stat().st_size > 0, name
    confirm(mod, closing.get_by_role("link", name="Close the meeting"), "Close meeting")
    mod.locator(".meeting .badge.closed").wait_for()
    confirm(mod, closing.get_by_role("link", name="Publish the transcript"), "Publish")
    closing.get_by_text("The transcript is public.").wait_for()
    meeting.step("closed", screen_text="This meeting has ended.")
    closing.get_by_role("link", name="Evaluation report").click()
    mod.wait_for_url(f"**/r/{code}/report")
    meeting.step("report")
    # An attendee checks the receipt their phone showed, against the published record.
    voter = phones[0]
    voter.reload()
    voter.get_by_text("You joined as Resident 1").click()  # their own box holds the link
    voter.get_by_role("link", name="Check a receipt").click()
    voter.wait_for_url("**/check")
    voter.get_by_label("Receipt").fill(receipt)
    voter.get_by_role("button", name="Check").click()
    voter.get_by_text("Your ballot is counted as cast.").wait_for()
    voter.get_by_role("button", name="Recount in this browser").click()
    voter.get_by_text("The chain is intact and every poll recounts").wait_for()
    clean(voter, "the check page")
    photo(voter, OUT / "check-360.png")
    assert errors == []
    for page in phones:
        page.context.close()
    ctx.close()


@pytest.mark.timeout(300)
def test_the_moderators_round_by_keyboard_alone(server: LiveServer, browser: Any) -> None:
    ctx = browser.new_context(viewport=LAPTOP)
    mod = ctx.new_page()
    meeting = Meeting(mod)
    mod.goto(server.http + "/")
    tab_to(mod, mod.get_by_label("Title"))
    mod.keyboard.type("Ward 4 committee")
    mod.keyboard.press("Enter")  # the form's own submit
    press_on(mod, mod.get_by_role("link", name="Open the control panel"))
    online(mod)
    code = mod.locator(".bar .code").inner_text()
    people = []
    for n in range(2):
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{server.http}/r/{code}")
        page.get_by_label("Your name").fill(f"Neighbour {n + 1}")
        page.get_by_role("button", name="Join").click()
        online(page)
        people.append(page)

    # A poll: built, opened on a timer, closed, revealed.
    tab_to(mod, mod.locator("#np-question"))
    mod.keyboard.type("Move the committee to Thursdays?")
    mod.keyboard.press("Tab")
    mod.keyboard.type("Yes\nNo")
    mod.keyboard.press("Tab")
    mod.keyboard.press("Enter")
    poll = mod.locator("article.poll", has_text="Move the committee to Thursdays?")
    tab_to(mod, poll.get_by_label("Timer"))
    mod.keyboard.press("ArrowDown")
    mod.keyboard.press("ArrowDown")
    assert poll.get_by_label("Timer").input_value() == "60"
    press_on(mod, poll.get_by_role("button", name="Open", exact=True))
    poll.locator(".countdown").wait_for()
    for page in people:
        page.locator("label.choice", has_text="Yes").click()
        page.get_by_role("button", name="Vote").click()
        page.locator("[data-voted]").wait_for()
    poll.locator(".results", has_text="2").first.wait_for()
    meeting.step("keys-poll-open")
    press_on(mod, poll.get_by_role("button", name="Close"))
    press_on(mod, poll.get_by_role("button", name="Reveal results"))
    poll.get_by_text("results shown").wait_for()

    # Questions: one approved with its key, two picked and approved together, the rest at once.
    for n in range(6):
        page = people[n % 2]
        page.get_by_label("Ask a question").fill(f"Keyboard question {n + 1}: the bins on Elm Row?")
        page.get_by_role("button", name="Send question").click()
        page.locator("#my-questions", has_text=f"Keyboard question {n + 1}:").wait_for()
    mod.wait_for_function(QUEUE_COUNT + " === '6'")
    press_on(mod, mod.locator('.sections a[href="#queue"]'))
    mod.keyboard.press("j")
    mod.keyboard.press("a")
    mod.wait_for_function(QUEUE_COUNT + " === '5'")
    mod.wait_for_function("() => document.activeElement?.matches('[data-queue-item]')")
    mod.keyboard.press("x")
    mod.keyboard.press("j")
    mod.keyboard.press("x")
    assert mod.locator("#queue [data-select]:checked").count() == 2
    meeting.step("keys-selected")
    press_on(mod, mod.get_by_role("button", name="Approve selected"))
    mod.get_by_text("2 questions approved.").wait_for()
    mod.wait_for_function(QUEUE_COUNT + " === '3'")
    press_on(mod, mod.get_by_role("button", name="Approve all 3 shown"))
    mod.wait_for_function(QUEUE_COUNT + " === '0'")

    # The floor: a request, called with the keyboard; a ban and an unban, each confirmed.
    people[1].get_by_role("button", name="Request to speak").click()
    people[1].get_by_text("Your place in the queue").wait_for()
    press_on(mod, mod.locator('.sections a[href="#speakers"]'))
    speakers = mod.locator("#speakers")
    speakers.locator(".speaker-queue li", has_text="Neighbour 2").wait_for()
    press_on(mod, speakers.get_by_role("button", name="Call next speaker"))
    speakers.locator(".timer").wait_for()
    meeting.step("keys-speaker")
    keyboard_confirm(mod, speakers.locator("p", has_text="On the floor")
                     .get_by_role("link", name="Ban"), "Ban", reason_steps=1)
    people[1].get_by_text("You were removed from this room by a moderator.").wait_for()
    press_on(mod, mod.locator('.sections a[href="#people"]'))
    banned = mod.locator("#people tr", has_text="Banned")
    keyboard_confirm(mod, banned.get_by_role("link", name="Unban"), "Unban")
    assert mod.locator("#people tr", has_text="Banned").count() == 0

    # The room closed, from its own section.
    press_on(mod, mod.locator('.sections a[href="#closing"]'))
    keyboard_confirm(mod, mod.locator("#closing").get_by_role("link", name="Close the meeting"),
                     "Close meeting")
    mod.locator(".meeting .badge.closed").wait_for()
    meeting.step("keys-closed")
    for page in people:
        page.context.close()
    ctx.close()


# -- the same round without JavaScript ------------------------------------------------------


@pytest.mark.timeout(300)
def test_the_moderators_round_without_javascript(server: LiveServer, browser: Any) -> None:
    ctx = browser.new_context(viewport=LAPTOP, java_script_enabled=False)
    mod = ctx.new_page()
    scratch_ctx = browser.new_context()
    scratch = scratch_ctx.new_page()
    meeting = Meeting(mod, scratch=scratch)
    mod.goto(server.http + "/")
    mod.get_by_label("Title").fill("Ward 5 committee, no script")
    mod.get_by_text("Meeting settings").click()
    mod.get_by_label("Speaking time (seconds)").fill("30")
    mod.get_by_role("button", name="Create room").click()
    mod.get_by_role("link", name="Open the control panel").click()
    code = mod.locator(".bar .code").inner_text()
    meeting.step("nojs-panel")
    attendee = browser.new_context(**PHONE).new_page()
    attendee.goto(f"{server.http}/r/{code}")
    attendee.get_by_label("Your name").fill("Olu")
    attendee.get_by_role("button", name="Join").click()
    online(attendee)

    mod.locator("#new-poll").get_by_label("Question").fill("Repaint the bandstand?")
    mod.get_by_label("Options, one per line").fill("Green\nBlue")
    mod.get_by_role("button", name="Create poll").click()
    mod.locator("#fb-polls").get_by_text("Poll created.").wait_for()
    poll = mod.locator("article.poll", has_text="Repaint the bandstand?")
    poll.get_by_label("Timer").select_option(label="1 minute")
    poll.get_by_role("button", name="Open", exact=True).click()
    poll.locator(".countdown").wait_for()
    attendee.locator("label.choice", has_text="Blue").click()
    attendee.get_by_role("button", name="Vote").click()
    attendee.locator("[data-voted]").wait_for()
    mod.get_by_role("button", name="Show on screen").first.click()
    mod.locator("#present-now", has_text="Repaint the bandstand?").wait_for()
    poll.get_by_role("button", name="Close").click()
    poll.get_by_role("button", name="Reveal results").click()
    poll.get_by_text("results shown").wait_for()
    meeting.step("nojs-revealed")

    for n in range(4):
        attendee.get_by_label("Ask a question").fill(f"Plain question {n + 1} about the bandstand")
        attendee.get_by_role("button", name="Send question").click()
        attendee.locator("#my-questions", has_text=f"Plain question {n + 1}").wait_for()
    attendee.get_by_role("button", name="Request to speak").click()
    attendee.get_by_text("Your place in the queue").wait_for()
    mod.reload()  # no script: the page is as new as its last load
    queue = mod.locator("#queue")
    queue.locator("article.question").first.get_by_role("button", name="Approve").click()
    mod.locator("#fb-queue").get_by_text("Question approved.").wait_for()
    queue.locator("article.question").nth(3).wait_for(state="detached")
    queue.locator("[data-select]").first.check()
    mod.get_by_role("button", name="Approve selected").click()
    # Without script the page comes back, saying how many in the queue's own line.
    mod.locator("#fb-queue").get_by_text("1 question approved.").wait_for()
    assert queue.locator("article.question").count() == 2
    mod.get_by_role("button", name="Approve all 2 shown").click()
    mod.locator("#fb-queue").get_by_text("2 questions approved.").wait_for()
    assert queue.locator("article.question").count() == 0
    speakers = mod.locator("#speakers")
    speakers.get_by_role("button", name="Call next speaker").click()
    speakers.get_by_text("Olu").wait_for()
    meeting.step("nojs-speaker")
    confirm(mod, speakers.locator("p", has_text="On the floor").get_by_role("link", name="Ban"),
            "Ban", reason="Abusive", scratch=scratch)
    confirm(mod, mod.locator("#people tr", has_text="Banned").get_by_role("link", name="Unban"),
            "Unban", scratch=scratch)
    assert mod.locator("#people tr", has_text="Banned").count() == 0
    confirm(mod, mod.locator("#closing").get_by_role("link", name="Close the meeting"),
            "Close meeting", scratch=scratch)
    mod.locator(".meeting .badge.closed").wait_for()
    meeting.step("nojs-closed")
    attendee.context.close()
    scratch_ctx.close()
    ctx.close()


# -- found by the rehearsal: a section open on the panel refreshes live -----------------------


@pytest.mark.timeout(120)
def test_the_open_section_shows_what_arrives_while_it_has_focus(
    server: LiveServer, browser: Any
) -> None:
    """The panel's tab script focuses the section it shows; the live refresh once skipped the
    focused element's children, so the open section never showed new items (the count in the
    section list did). A question and a plain-form request to speak arrive while their
    section is open, and appear without a reload."""
    ctx = browser.new_context(viewport=LAPTOP)
    mod = ctx.new_page()
    mod.goto(server.http + "/")
    mod.get_by_label("Title").fill("Focus drill")
    mod.get_by_role("button", name="Create room").click()
    mod.get_by_role("link", name="Open the control panel").click()
    online(mod)
    code = mod.locator(".bar .code").inner_text()
    plain = browser.new_context(java_script_enabled=False, **PHONE).new_page()
    plain.goto(f"{server.http}/r/{code}")
    plain.get_by_label("Your name").fill("Ama")
    plain.get_by_role("button", name="Join").click()

    tab(mod, "queue")
    assert mod.evaluate("document.activeElement.id") == "queue"
    plain.get_by_label("Ask a question").fill("Is the focus drill on time?")
    plain.get_by_role("button", name="Send question").click()
    mod.locator("#queue article.question", has_text="Is the focus drill on time?").wait_for()

    tab(mod, "speakers")
    assert mod.evaluate("document.activeElement.id") == "speakers"
    plain.get_by_role("button", name="Request to speak").click()
    plain.get_by_text("Your place in the queue").wait_for()
    mod.locator("#speakers .speaker-queue li", has_text="Ama").wait_for()
    plain.context.close()
    ctx.close()
