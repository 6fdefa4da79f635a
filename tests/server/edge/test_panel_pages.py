"""The organiser's pages over plain HTTP (no JavaScript): a room started from the home page
with its settings, the organiser link shown once, the settings page, confirmation steps,
bulk approval, code sheets and the exports, all on the browser's own cookies."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from rooms import CommandError
from rooms.settings import RoomSettings, parse_settings
from server.edge.settings_form import FIELDS, defaults, settings_from_form
from tests.support.live_server import LiveServer


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def _organiser(server: LiveServer, **settings: str) -> tuple[httpx.Client, str, str]:
    """A browser that started a room from the home page: its client, the room code and the
    organiser page it was shown."""
    client = httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http})
    home = client.get("/")
    form = {"csrf": _csrf(home.text), "title": "Council", **settings}
    page = client.post("/new", data=form)
    assert page.status_code == 200, page.text
    found = re.search(r'href="/r/([A-Za-z0-9_-]+)/moderate"', page.text)
    assert found is not None
    return client, found.group(1), page.text


def _panel(client: httpx.Client, code: str, query: str = "") -> str:
    page = client.get(f"/r/{code}/moderate{query}")
    assert page.status_code == 200, page.text
    return page.text


def _act(client: httpx.Client, code: str, op: str, **fields: Any) -> httpx.Response:
    csrf = _csrf(_panel(client, code))
    return client.post(f"/r/{code}/moderate/act", data={"csrf": csrf, "op": op, **fields})


def _join(server: LiveServer, code: str, name: str, **extra: str) -> httpx.Client:
    person = httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http})
    page = person.get(f"/r/{code}")
    joined = person.post(f"/r/{code}/join", data={"csrf": _csrf(page.text), "name": name, **extra})
    assert joined.status_code == 303, joined.text
    return person


def _ask(person: httpx.Client, code: str, text: str) -> None:
    page = person.get(f"/r/{code}")
    asked = person.post(f"/r/{code}/act",
                        data={"csrf": _csrf(page.text), "op": "question.ask", "text": text})
    assert "error" not in asked.headers["location"], asked.headers["location"]


# -- the settings form -----------------------------------------------------------------------


def _as_form(settings: RoomSettings) -> dict[str, str]:
    """What a browser posts for a settings form showing `settings` (as the template renders)."""
    values = settings.to_dict()
    form: dict[str, str] = {}
    for field in FIELDS:
        value = values[field.name]
        if field.widget == "check":
            if value:
                form[field.name] = "on"
        elif field.widget == "lines":
            form[field.name] = "\n".join(value)
        else:
            form[field.name] = "" if value is None else str(value)
    return form


_NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                 max_size=20).filter(lambda s: s.strip() == s and s)


@given(
    moderation=st.sampled_from(["pre", "post"]),
    flags=st.lists(st.booleans(), min_size=6, max_size=6),
    limit=st.integers(10, 3600),
    districts=st.lists(_NAMES, max_size=5, unique=True),
    access=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)),
)
def test_a_settings_form_reads_back_what_it_showed(
    moderation: str, flags: list[bool], limit: int, districts: list[str], access: str | None
) -> None:
    shown = RoomSettings(
        moderation=moderation, anonymous_questions=flags[0], names_required=flags[1],
        vote_changes=flags[2], reactions=flags[3], downvotes=flags[4], verified=flags[5],
        speaker_time_limit_s=limit, districts=tuple(districts), access_code=access)
    if len({d.strip() for d in districts}) != len(districts) or any(
            "\n" in d or "\r" in d or not d.strip() for d in districts):
        return  # not a list a person could type one per line
    read = parse_settings(settings_from_form(_as_form(shown)), RoomSettings())
    assert read == shown


@given(st.dictionaries(st.sampled_from([f.name for f in FIELDS] + ["other", "csrf"]),
                       st.text(max_size=300), max_size=12))
def test_any_settings_form_is_read_or_refused_in_the_engines_words(form: dict[str, str]) -> None:
    fields = settings_from_form(form)
    assert set(fields) <= {f.name for f in FIELDS}
    try:
        parse_settings(fields, RoomSettings())
    except CommandError as error:
        assert error.code == "field.invalid"


def test_the_forms_start_from_the_engines_defaults() -> None:
    assert parse_settings(settings_from_form(_as_form(RoomSettings())), RoomSettings()) == \
        RoomSettings()
    assert defaults()["moderation"] == "pre" and defaults()["downvotes"] is False


# -- pages -------------------------------------------------------------------------------------


def test_a_room_from_the_home_page_keeps_its_settings_and_shows_the_link_once(
    server: LiveServer,
) -> None:
    client, code, shown = _organiser(
        server, moderation="post", names_required="on", speaker_time_limit_s="75",
        districts="North\nSouth", language="es")
    assert "Save this link now" in shown and f"/r/{code}/moderate?token=" in shown
    assert shown.count("?token=") == 1
    panel = _panel(client, code)  # the cookie set with the organiser page opens the panel
    assert "/moderate?token=" not in panel  # the organiser's own link is never shown again
    settings = client.get(f"/r/{code}/moderate/settings").text
    assert 'name="names_required" checked' in settings
    assert 'name="anonymous_questions" checked' not in settings
    assert 'value="75"' in settings and "North\nSouth" in settings
    assert '<option value="post" selected>' in settings
    home = client.get("/").text
    assert f'href="/r/{code}/moderate"' in home  # "Rooms you organise"
    assert httpx.get(f"{server.http}/", timeout=10).text.count("/moderate") == 0
    client.close()


def test_the_settings_page_saves_and_refuses_in_words(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    page = client.get(f"/r/{code}/moderate/settings").text
    form = {"csrf": _csrf(page), "title": "Council, renamed", "moderation": "pre",
            "speaker_time_limit_s": "200", "reactions": "on"}
    saved = client.post(f"/r/{code}/moderate/settings", data=form)
    assert saved.status_code == 303 and "done=room.update" in saved.headers["location"]
    after = client.get(saved.headers["location"]).text
    assert "Room settings saved." in after and 'value="200"' in after
    assert "Council, renamed" in after
    assert 'name="anonymous_questions" checked' not in after  # unticked is off
    bad = client.post(f"/r/{code}/moderate/settings",
                      data={**form, "speaker_time_limit_s": "5"})
    shown = client.get(bad.headers["location"]).text
    assert "A field has the wrong type or value" in shown and "field.invalid" not in shown
    stranger = httpx.post(f"{server.http}/r/{code}/moderate/settings", data=form, timeout=10,
                          headers={"origin": server.http})
    assert stranger.status_code in (303, 403)
    assert 'value="200"' in client.get(f"/r/{code}/moderate/settings").text
    client.close()


def test_every_moderator_gets_working_screen_and_overlay_links(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    invited = _act(client, code, "moderator.add", name="Deputy")
    link = re.search(r'value="([^"]+/moderate\?token=[^"]+)"', invited.text)
    assert link is not None
    deputy = httpx.Client(timeout=10, follow_redirects=True)
    panel = deputy.get(html_lib.unescape(link.group(1))).text
    for which, title in (("screen", "Big screen"), ("embed", "Council")):
        found = re.search(rf'id="link-{which}" class="link" dir="ltr" readonly value="([^"]+)"',
                          panel)
        assert found is not None, which
        with httpx.Client(timeout=10, follow_redirects=True) as browser:
            opened = browser.get(html_lib.unescape(found.group(1)))
        assert opened.status_code == 200 and "<title>Council" in opened.text, which
        assert title in opened.text
    assert "Re-issue a link that leaked" not in panel  # rotating them is the organiser's
    deputy.close()
    client.close()


def test_a_ban_asks_first_and_works_without_javascript(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    person = _join(server, code, "Troll")
    _ask(person, code, "Is this on?")
    panel = _panel(client, code)
    confirm = re.search(r'href="(/r/[^"]+/moderate/confirm\?[^"]*op=participant.ban[^"]*)"', panel)
    assert confirm is not None
    step = client.get(html_lib.unescape(confirm.group(1)))
    # The ban goes through the question (the room finds its author, named or not): the step
    # names the question, never its author.
    assert step.status_code == 200 and "Ban this person?" in step.text
    assert "Is this on?" in step.text and "Troll" not in step.text
    assert '<option value="abusive" selected>' in step.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', step.text))
    fields["reason"] = "spam"
    banned = client.post(f"/r/{code}/moderate/act", data=fields)
    assert banned.status_code == 303 and "at=queue" in banned.headers["location"]
    after = client.get(banned.headers["location"]).text
    assert "Participant banned." in after and "Spam or advertising" in after
    assert person.get(f"/r/{code}").text.count("You were removed from this room") == 1
    assert client.get(f"/r/{code}/moderate/confirm?op=vote").status_code == 400
    person.close()
    client.close()


def _undo_form(page: str) -> dict[str, str]:
    undo = re.search(r'<form [^>]*data-undo>(.*?)</form>', page, re.S)
    assert undo is not None, "no Undo offered"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', undo[1]))


def _ban_through(client: httpx.Client, code: str, confirm_href: str) -> httpx.Response:
    """The confirmation step's form for a ban, posted as the browser would."""
    step = client.get(html_lib.unescape(confirm_href))
    assert step.status_code == 200, step.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', step.text))
    banned = client.post(f"/r/{code}/moderate/act", data={**fields, "reason": "spam"})
    assert banned.status_code == 303 and "error" not in banned.headers["location"]
    return banned


def test_a_ban_is_undone_from_its_answer_line_without_javascript(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    person = _join(server, code, "Troll")
    _ask(person, code, "Is this on?")
    confirm = re.search(r'href="(/r/[^"]+/moderate/confirm\?[^"]*op=participant.ban[^"]*)"',
                        _panel(client, code))
    assert confirm is not None
    banned = _ban_through(client, code, confirm.group(1))
    after = client.get(banned.headers["location"]).text
    assert "Participant banned." in after
    assert "You were removed from this room" in person.get(f"/r/{code}").text
    # Undo lifts the ban through what it went through: the question, as the ban named it
    undo = _undo_form(after)
    assert undo["op"] == "participant.unban" and "question_id" in undo
    lifted = client.post(f"/r/{code}/moderate/act", data=undo)
    assert "done=participant.unban" in lifted.headers["location"]
    back = client.get(lifted.headers["location"]).text
    assert "Ban lifted." in back and "data-undo" not in back  # an undo is not undone
    assert "You were removed from this room" not in person.get(f"/r/{code}").text

    # From the People list: the person by id; banning them again (a new reason) offers no
    # Undo, which would lift the first ban too.
    people = re.search(r'href="(/r/[^"]+/moderate/confirm\?[^"]*participant_id=[^"]*)"',
                       _panel(client, code))
    assert people is not None and "op=participant.ban" in people.group(1)
    first = client.get(_ban_through(client, code, people.group(1)).headers["location"]).text
    assert "participant_id" in _undo_form(first)
    again = client.get(_ban_through(client, code, people.group(1)).headers["location"]).text
    assert "Participant banned." in again and "data-undo" not in again
    assert "You were removed from this room" in person.get(f"/r/{code}").text
    person.close()
    client.close()


def test_bulk_approval_approves_the_page_shown(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    for n in range(3):
        person = _join(server, code, f"Resident {n}")
        for k in range(2):
            _ask(person, code, f"Question {k} from resident {n}?")
        person.close()
    panel = _panel(client, code)
    ids = re.findall(r'name="page_ids" value="(\d+)"', panel)
    assert len(ids) == 6
    two = client.post(f"/r/{code}/moderate/bulk",
                      data={"csrf": _csrf(panel), "question_id": ids[:2], "scope": "selected"})
    assert two.status_code == 303
    # Without script the panel comes back and says how many, in the queue's own line.
    assert two.headers["location"].endswith("?done=question.approve&n=2&at=queue#queue")
    back = client.get(two.headers["location"]).text
    assert re.search(r'id="fb-queue"[^>]*><p class="flash done"[^>]*>\s*2 questions approved',
                     back)
    assert re.search(r'Q&amp;A queue <span class="count">4<', _panel(client, code))
    rest = client.post(f"/r/{code}/moderate/bulk", headers={"hx-request": "true"},
                       data={"csrf": _csrf(panel), "scope": "page",
                             "page_ids": ids, "op_id": "bulk-1"})
    assert "4 questions approved." in rest.text  # ids[:2] again: refused, counted apart
    assert "The question is not waiting for moderation" in rest.text
    assert re.search(r'Q&amp;A queue <span class="count">0<', _panel(client, code))
    client.close()


def test_codes_print_as_a_sheet_and_admit_a_verified_attendee(server: LiveServer) -> None:
    client, code, _ = _organiser(server, verified="on")
    panel = _panel(client, code)
    sheet = client.post(f"/r/{code}/moderate/codes",
                        data={"csrf": _csrf(panel), "count": "3", "op_id": "codes-1"})
    assert sheet.status_code == 200 and sheet.headers["cache-control"] == "no-store"
    codes = re.findall(r'<strong class="code">([A-Za-z0-9_-]{8,64})</strong>', sheet.text)
    assert len(codes) == 3 and sheet.text.count("<svg") == 3
    join_page = httpx.get(f"{server.http}/r/{code}?attendee_code={codes[0]}", timeout=10).text
    assert f'value="{codes[0]}"' in join_page
    _join(server, code, "Verified", attendee_code=codes[0]).close()
    refused = httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http})
    page = refused.get(f"/r/{code}")
    again = refused.post(f"/r/{code}/join", data={"csrf": _csrf(page.text), "name": "Twice",
                                                  "attendee_code": codes[0]})
    assert "error=auth.attendee_code" in again.headers["location"]
    refused.close()
    client.close()


def test_exports_and_closing_work_on_the_browsers_own_cookie(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    created = _act(client, code, "poll.create", kind="single", question="Q?", options="A\nB")
    assert "error" not in created.headers["location"]
    poll = re.search(r'id="mpoll-(\d+)"', _panel(client, code))
    assert poll is not None
    for path, kind in (("questions.csv", "text/csv"), ("report.json", "application/json"),
                       ("transcript.jsonl", "application/x-ndjson"),
                       (f"polls/{poll.group(1)}/results.csv", "text/csv")):
        got = client.get(f"/r/{code}/export/{path}")
        assert got.status_code == 200, (path, got.text)
        assert got.headers["content-type"].startswith(kind), path
        assert got.headers["content-disposition"].startswith("attachment"), path
        stranger = httpx.get(f"{server.http}/r/{code}/export/{path}", timeout=10)
        assert stranger.status_code == 401, path
    assert client.get(f"/r/{code}/export/polls/{poll.group(1)}/other.csv").status_code == 404
    closed = _act(client, code, "room.close", at="closing")
    assert "done=room.close" in closed.headers["location"]
    published = _act(client, code, "room.publish", at="closing")
    assert "done=room.publish" in published.headers["location"]
    after = _panel(client, code)
    assert "The transcript is public." in after and 'class="badge closed"' in after
    client.close()


def test_search_and_the_label_filter_narrow_the_lists(server: LiveServer) -> None:
    client, code, _ = _organiser(server, moderation="post")
    person = _join(server, code, "Resident")
    for text in ("Potholes on Main Street?", "Library hours on Sunday?", "Bus route 7?"):
        _ask(person, code, text)
    panel = _panel(client, code)
    first = re.search(r'id="mp-(\d+)"', panel)
    assert first is not None
    labelled = _act(client, code, "question.label", question_id=first.group(1),
                    labels="roads, budget")
    assert "done=question.label" in labelled.headers["location"]
    only = _panel(client, code, "?qlabel=roads")
    assert only.count('<article class="question') == 1 and "Potholes" in only
    found = _panel(client, code, "?qsearch=library")
    published = found.split('id="pub-h"', 1)[1].split("</section>", 1)[0]
    assert "Library hours" in published and "Bus route" not in published
    person.close()
    client.close()


def test_a_digit_that_is_not_ascii_is_refused_not_crashed_on() -> None:
    # Found by the property above: "²".isdigit() is true, int("²") is an error.
    fields = settings_from_form({"speaker_time_limit_s": "²"})
    assert fields["speaker_time_limit_s"] == "²"
    try:
        parse_settings(fields, RoomSettings())
    except CommandError as error:
        assert error.code == "field.invalid"
    else:
        raise AssertionError("a superscript two was taken as a time limit")


def test_the_question_flood_limit_is_set_from_the_home_page(server: LiveServer) -> None:
    client, code, _ = _organiser(server, moderation="post", questions_per_minute="2")
    person = _join(server, code, "Keen resident")
    for text in ("Bins on Elm Row?", "Lights on the bridge?"):
        _ask(person, code, text)
    page = person.get(f"/r/{code}")
    third = person.post(f"/r/{code}/act",
                        data={"csrf": _csrf(page.text), "op": "question.ask",
                              "text": "And the ferry timetable?"})
    assert "error=" in third.headers["location"], third.headers["location"]
    settings = client.get(f"/r/{code}/moderate/settings").text
    assert 'name="questions_per_minute"' in settings and 'value="2"' in settings
    person.close()
    client.close()


def _form_of(page: str, form_id: str) -> dict[str, str]:
    """The hidden fields of the form `form_id` on a page, as the browser would post them."""
    found = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
    assert found is not None, form_id
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found[1]))


def test_a_saved_template_is_deleted_and_undone_without_javascript(server: LiveServer) -> None:
    client, code, _ = _organiser(server)
    made = _act(client, code, "poll.create", kind="single", question="Tram <or> bus?",
                options="Tram\nBus", at="polls")
    assert made.status_code == 303
    poll_id = re.findall(r'id="mpoll-(\d+)"', _panel(client, code))[0]
    _act(client, code, "template.save", poll_id=poll_id, at="polls")
    panel = _panel(client, code)
    row = re.search(r'<tr class="saved">.*?</tr>', panel, re.S)
    assert row is not None and "Tram &lt;or&gt; bus?" in row[0]  # the name, escaped
    template_id = re.findall(r'id="do-template-delete-(\d+)"', panel)[0]
    fields = _form_of(panel, f"do-template-delete-{template_id}")
    assert fields["op"] == "template.delete" and fields["template_id"] == template_id

    gone = client.post(f"/r/{code}/moderate/act", data=fields)
    assert gone.status_code == 303
    assert (f"done=template.delete&undo={template_id}&undo_by=template_id&at=polls"
            in gone.headers["location"])
    after = client.get(gone.headers["location"]).text
    assert '<tr class="saved">' not in after and "Template deleted." in after
    undo = re.search(r'<form [^>]*data-undo>(.*?)</form>', after, re.S)
    assert undo is not None
    undo_fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                  undo[1]))
    assert (undo_fields["op"], undo_fields["template_id"]) == ("template.restore", template_id)
    back = client.post(f"/r/{code}/moderate/act", data=undo_fields)
    assert "done=template.restore" in back.headers["location"]
    assert "Template restored." in client.get(back.headers["location"]).text
    assert '<tr class="saved">' in _panel(client, code)

    # the same form again, by script: the answer line in words, and no second undo offered
    twice = client.post(f"/r/{code}/moderate/act", headers={"hx-request": "true"},
                        data={**undo_fields, "op_id": "again-1"})
    assert "data-undo" not in twice.text and 'class="flash error"' in twice.text
    client.close()
