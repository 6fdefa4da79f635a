// Big screen and overlay: read-only; show the current poll's results, the pinned question
// and who has the floor, re-rendered from the live room.
import { LiveRoom, pageConfig } from "./live.js";
import { h, results, staffBadge, translator } from "./dom.js";

const cfg = pageConfig();
const t = translator(cfg.strings, cfg.i18n);
const onlyPoll = Number(document.body.dataset.poll || 0);
const $ = (id) => document.getElementById(id);

function currentPoll(polls) {
  if (onlyPoll) return polls.find((p) => p.poll_id === onlyPoll);
  const open = polls.filter((p) => p.state === "open");
  if (open.length) return open[open.length - 1];
  const revealed = polls.filter((p) => p.revealed);
  return revealed[revealed.length - 1];
}

// The leaderboard's markup is the server's (templates/parts/quiz_leaderboard.html): when the
// board changes, fetch that fragment and put it in place of the old one.
let board = null;
function renderBoard(room) {
  const sig = JSON.stringify(room.leaderboard || []);
  if (sig === board) return;
  board = sig;
  fetch(`/r/${cfg.code}/screen/leaderboard`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : null))
    .then((html) => {
      const old = $("leaderboard");
      if (!html || !old) return;
      const part = document.createElement("template");
      part.innerHTML = html;  // our own template's output: every user text in it is escaped
      const fresh = part.content.querySelector("#leaderboard");
      if (fresh) old.replaceWith(fresh);
    })
    .catch(() => {});
}

function render({ room }) {
  renderBoard(room);
  const poll = currentPoll(room.polls || []);
  const box = $("current-poll");
  const sig = poll ? JSON.stringify([poll.poll_id, poll.question, poll.results]) : "";
  if (box.dataset.sig !== sig) {
    box.dataset.sig = sig;
    box.replaceChildren(...(poll ? [h("h2", { text: poll.question }), results(poll, t)] : []));
  }
  const pinnedBox = $("pinned");
  if (pinnedBox) {
    const q = (room.questions || []).find((x) => x.pinned);
    pinnedBox.replaceChildren(...(q ? [h("h2", { text: t("Pinned") }), h("p", { class: "q-text", text: q.text }),
      h("p", { class: "q-meta", text: q.author || t("Anonymous") })] : []));
    if (q && q.answer) {
      pinnedBox.append(h("p", { class: "q-answer" }, `${t("Reply")} `, staffBadge(q.answered_by), `: ${q.answer}`));
    }
  }
  const floor = $("floor");
  if (floor) {
    const cur = room.speaker && room.speaker.current;
    floor.replaceChildren(...(cur ? [h("h2", { text: t("On the floor") }),
      h("p", { class: "q-text", text: (cur.name || t("Anonymous")) + (cur.topic ? ` — ${cur.topic}` : "") })] : []));
  }
}

new LiveRoom({ code: cfg.code, token: cfg.token, onChange: render,
  onStatus: (s) => { document.body.dataset.conn = s; } }).connect();
