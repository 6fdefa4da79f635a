"""Poll templates in the control panel: a template's link fills the builder (a GET without
JavaScript, the same fragment morphed in with it), the moderator finishes the question and
creates the poll; "Copy into the builder" fills it from an existing poll the same way, and
"Save as template" keeps a poll as one of the room's templates, which "Delete" takes out of
the table again and "Undo" beside the answer brings back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_template_fills_the_builder(
    server: LiveServer, browser: Any, shots: Path, javascript: bool
) -> None:
    room = create_room(server.http, "Templates")
    ctx = browser.new_context(java_script_enabled=javascript,
                              viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(room["urls"]["moderate"] + "&lang=fr")
    if javascript:
        page.wait_for_selector("body[data-conn=online]")
        page.locator('.sections a[href="#polls"]').click()
    polls = page.locator("#polls")
    templates = polls.locator("table.templates")
    templates.get_by_role("link", name="D'accord / pas d'accord / ne sait pas").click()
    question = polls.get_by_label("Question", exact=True)
    page.wait_for_function(
        "() => document.getElementById('np-question')?.value.startsWith('Êtes-vous')")
    assert question.input_value() == "Êtes-vous d'accord avec la proposition ?"
    options = polls.locator("#np-options")
    assert options.input_value() == "D'accord\nPas d'accord\nNe sait pas"
    page.screenshot(path=str(shots / f"templates-{'js' if javascript else 'nojs'}.png"),
                    full_page=True)
    question.fill("Êtes-vous d'accord avec le nouveau plan de circulation ?")
    polls.get_by_role("button", name="Créer le sondage").click()
    made = polls.locator("article.poll", has_text="nouveau plan de circulation")
    made.wait_for()

    # a rating template brings its scale; "Copy into the builder" takes the same path
    if not javascript:  # the page came back with the poll made: its builder is folded
        polls.locator("details.builder > summary").click()
    templates.get_by_role("link", name="Noter de 1 à 5").click()
    page.wait_for_function("() => document.getElementById('np-scale')?.value === '5'")
    made.get_by_role("link", name="Copier dans l'éditeur").click()
    page.wait_for_function(
        "() => document.getElementById('np-question')?.value.includes('plan de circulation')")
    assert options.input_value() == "D'accord\nPas d'accord\nNe sait pas"

    # "Save as template": the room keeps it, and the table offers it from then on
    made.get_by_role("button", name="Enregistrer comme modèle").click()
    polls.locator("#fb-polls").get_by_text("Enregistré comme modèle.").wait_for()
    if not javascript:
        polls.locator("details.builder > summary").click()
    saved = templates.locator("tr.saved", has_text="nouveau plan de circulation")
    saved.wait_for()
    templates.get_by_role("link", name="Oui / non / abstention").click()
    page.wait_for_function("() => document.getElementById('np-options')?.value.startsWith('Oui')")
    saved.get_by_role("link").click()
    page.wait_for_function(
        "() => document.getElementById('np-question')?.value.includes('plan de circulation')")
    assert options.input_value() == "D'accord\nPas d'accord\nNe sait pas"
    page.screenshot(path=str(shots / f"templates-saved-{'js' if javascript else 'nojs'}.png"),
                    full_page=True)

    mode = "js" if javascript else "nojs"
    templates.screenshot(path=str(shots / f"templates-table-{mode}.png"))
    # "Delete" takes it out of the table at once; "Undo" in the answer line brings it back
    saved.get_by_role("button", name="Supprimer").click()
    feedback = polls.locator("#fb-polls")
    feedback.get_by_text("Modèle supprimé.").wait_for()
    if not javascript:
        polls.locator("details.builder > summary").click()
    saved.wait_for(state="detached")
    page.set_viewport_size({"width": 360, "height": 780})
    polls.screenshot(path=str(shots / f"templates-deleted-360-{mode}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    feedback.get_by_role("button", name="Annuler").click()
    feedback.get_by_text("Modèle rétabli.").wait_for()
    if not javascript:
        polls.locator("details.builder > summary").click()
    saved.wait_for()
    assert feedback.get_by_role("button", name="Annuler").count() == 0  # nothing more to undo
    page.set_viewport_size({"width": 360, "height": 780})
    polls.screenshot(path=str(shots / f"templates-restored-360-{mode}.png"))
    ctx.close()
