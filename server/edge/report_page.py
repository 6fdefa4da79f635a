"""The evaluation report as a page for organisers: `/r/{code}/report`, and `townhall report`.

Server-rendered, no JavaScript: charts are inline SVG built here as numbers and drawn by the
template (Jinja escapes every text, questions and poll options included). Colours come from
classes in static/css/report.css, so the page keeps the CSP's `style-src 'self'`, and the
same CSS has print rules (A4, no header, no page breaks inside a chart).

Who may see it: the room's moderators and organiser, through the moderator link's cookie
(the `thm_{code}` cookie is scoped to `/r/{code}`) or a `?token=` the page moves into it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.assets import static_file
from server.edge import pages
from server.edge.gate import Caller
from server.edge.i18n import DEFAULT, LANGUAGES, match, translator
from server.tools.exports import load_report

__all__ = ["bar_chart", "hbar_chart", "render_report_html", "report_context", "report_routes"]

CSS = "css/report.css"  # under static/, wherever server/assets.py finds it
WIDTH = 720


def bar_chart(values: list[int], *, height: int = 120, width: int = WIDTH) -> dict[str, Any]:
    """Vertical bars of a time series, in SVG user units (the template draws them)."""
    n = max(len(values), 1)
    top = max(values, default=0) or 1
    step = width / n
    bars = []
    for i, v in enumerate(values):
        h = round(height * v / top, 2)
        bars.append(
            {
                "x": round(i * step, 2),
                "y": round(height - h, 2),
                "h": h,
                "v": v,
                "i": i,
                "w": max(round(step * 0.85, 2), 0.5),
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "top": max(values, default=0),
        "total": sum(values),
    }


def hbar_chart(rows: list[tuple[str, float]], *, width: int = WIDTH) -> dict[str, Any]:
    """Horizontal bars with a label each: poll results."""
    top = max((v for _label, v in rows), default=0) or 1
    label_w, row_h = 240, 26
    bar_w = width - label_w - 70
    bars = [
        {"label": label, "v": v, "y": i * row_h, "w": round(bar_w * v / top, 2)}
        for i, (label, v) in enumerate(rows)
    ]
    return {
        "width": width,
        "height": max(len(rows), 1) * row_h,
        "bars": bars,
        "label_w": label_w,
        "row_h": row_h,
    }


def _poll_rows(poll: dict[str, Any]) -> list[tuple[str, float]]:
    r = poll["results"]
    kind, options = poll["kind"], poll["options"]
    if kind in ("single", "multiple", "quiz"):
        return list(zip(options, r["counts"], strict=False))
    if kind == "rating":
        return [(str(i + 1), n) for i, n in enumerate(r["counts"])]
    if kind in ("ranking", "budget"):
        return list(zip(options, r["points"], strict=False))
    if kind == "wordcloud":
        return list(r["words"].items())
    return []


def report_context(report: dict[str, Any]) -> dict[str, Any]:
    timeline = report["timeline"]
    minutes = len(timeline["votes"]) * timeline["bucket_s"] / 60
    polls = []
    for poll in report["polls"]:
        polls.append({**poll, "chart": hbar_chart(_poll_rows(poll))})
    # Numbers, dates and percentages are formatted by the template's translator (Babel).
    return {
        "report": report,
        "polls": polls,
        "span_min": round(minutes),
        "charts": {
            "votes": bar_chart(timeline["votes"]),
            "questions": bar_chart(timeline["questions"]),
            "reactions": bar_chart(timeline["reactions"]),
        },
    }


def render_report_html(report: dict[str, Any], lang: str = "en") -> str:
    """A standalone HTML file (CSS inlined) for `townhall report --format html`."""
    lang = match(lang) or DEFAULT
    return pages.env.get_template("report.html").render(
        _=translator(lang),
        lang=lang,
        languages=LANGUAGES,
        request_path="",
        standalone_css=static_file(CSS).read_text(encoding="utf-8"),
        **report_context(report),
    )


@pages.staff_page("moderate")
async def report_page(request: Request, caller: Caller, token: str) -> Response:
    host = caller.host
    report = await load_report(host.deps.store, host.code)
    # `room` only carries the settings, for the room's default language.
    room = {"settings": host.state.settings.public()}
    return pages.render(
        request, "report.html", code=host.code, room=room, **report_context(report)
    )


def report_routes() -> list[BaseRoute]:
    return [Route("/r/{code:str}/report", report_page)]
