// The attendee page: forms go over the socket (or wait offline), the room re-renders from frames.
import { LiveRoom, pageConfig } from "./live.js";
import { h, keyed, original, pick, results, staffBadge, translator } from "./dom.js";

const cfg = pageConfig();
const t = translator(cfg.strings, cfg.i18n);
const $ = (id) => document.getElementById(id);
const lang = t.lang;
let lastAnnounce = 0;

// Interpreted text in the page's language (templates/parts/translated.html), else the original.
function optionLabel(poll, i) {
  const tr = pick(poll.translations, lang);
  const text = tr && tr[1].options[i];
  return text ? h("span", { lang: tr[0], dir: "auto", text }) : poll.options[i];
}

function hidden(name, value) { return h("input", { type: "hidden", name, value: String(value) }); }

function opForm(op, cls, ...children) {
  return h("form", { method: "post", action: `/r/${cfg.code}/act`, "data-op": op, class: cls || "" },
    hidden("op", op), ...children);
}

function voteFields(poll, mine) {
  const picked = (v) => mine === v || (Array.isArray(mine) && mine.includes(v));
  const p = `p${poll.poll_id}`;
  const n = poll.options.length;
  switch (poll.kind) {
    case "single":
    case "multiple":
    case "quiz":
      return h("fieldset", {}, h("legend", { class: "sr-only", text: poll.question }),
        poll.options.map((option, i) => h("label", { class: "choice" },
          h("input", { type: poll.kind === "multiple" ? "checkbox" : "radio", name: "choice", value: String(i),
            required: poll.kind !== "multiple", checked: picked(i) }), " ", optionLabel(poll, i))));
    case "rating":
      return h("fieldset", { class: "rating" }, h("legend", { class: "sr-only", text: poll.question }),
        Array.from({ length: poll.scale }, (_, i) => h("label", { class: "choice" },
          h("input", { type: "radio", name: "choice", value: String(i + 1), required: true, checked: picked(i + 1) }), " ", t.num(i + 1))));
    case "wordcloud":
      return [h("label", { for: `${p}-text`, text: t("Your words") }),
        h("input", { id: `${p}-text`, name: "choice", required: true, maxlength: "200" })];
    case "open":
      return [h("label", { for: `${p}-text`, text: t("Your answer") }),
        h("textarea", { id: `${p}-text`, name: "choice", required: true, rows: "3" })];
    case "ranking":
      return h("fieldset", {}, h("legend", { text: t("Rank (1 = best)") }),
        poll.options.map((option, i) => h("label", { class: "rank" },
          h("select", { name: `rank_${i}` }, Array.from({ length: n }, (_, r) =>
            h("option", { value: String(r + 1), selected: r === i, text: t.num(r + 1) }))), " ", optionLabel(poll, i))));
    case "budget":
      return h("fieldset", {}, h("legend", { text: t.n("share", poll.total) }),
        poll.options.map((option, i) => h("label", { class: "amount" },
          h("input", { type: "number", name: `amount_${i}`, min: "0", value: "0", inputmode: "numeric",
            max: String(poll.caps ? poll.caps[i] : poll.total) }), " ", optionLabel(poll, i))));
    default:
      return [];
  }
}

// The typed `choice` the engine expects, read from a vote form (same rules as server/page_forms.py).
function readChoice(form, poll) {
  const data = new FormData(form);
  const n = poll.options.length;
  switch (poll.kind) {
    case "single": case "rating": case "quiz": return Number(data.get("choice"));
    case "multiple": return data.getAll("choice").map(Number);
    case "ranking": {
      const ranks = Array.from({ length: n }, (_, i) => [Number(data.get(`rank_${i}`)), i]);
      ranks.sort((a, b) => a[0] - b[0]);
      return ranks.map(([, i]) => i);
    }
    case "budget": {
      const out = {};
      for (let i = 0; i < n; i++) {
        const v = Number(data.get(`amount_${i}`) || 0);
        if (v) out[String(i)] = v;
      }
      return out;
    }
    default: return String(data.get("choice") || "");
  }
}

function pollCard(poll, you) {
  const mine = (you.ballots || {})[String(poll.poll_id)];
  const voted = mine !== undefined && mine !== null;
  const tr = pick(poll.translations, lang);
  const card = h("article", { class: "card poll", id: `poll-${poll.poll_id}`, "aria-labelledby": `poll-${poll.poll_id}-q` },
    h("h3", { id: `poll-${poll.poll_id}-q` }, tr ? h("span", { lang: tr[0], dir: "auto", text: tr[1].question }) : poll.question),
    tr ? original(t, h("p", { dir: "auto", text: poll.question }),
      poll.options.length ? h("ul", {}, poll.options.map((o) => h("li", { dir: "auto", text: o }))) : null) : null,
    h("p", { class: "poll-state" }, t.word("poll_states", poll.state),
      voted ? [" · ", h("strong", { text: t("Your vote") }), " ✓"] : []));
  // A quiz takes no ballot once its answers are out (rooms/quiz.py).
  if (poll.state === "open" && (!voted || poll.allow_changes) && !(poll.kind === "quiz" && poll.revealed)) {
    const form = opForm("vote", "vote", hidden("poll_id", poll.poll_id), voteFields(poll, mine),
      h("button", { type: "submit", class: "primary", text: voted ? t("Change my vote") : t("Vote") }));
    form.dataset.kind = poll.kind;
    card.append(form);
  }
  card.append(results(poll, t));
  return card;
}

function renderPolls(room, you) {
  const polls = (room.polls || []).slice().reverse();
  keyed($("poll-list"), polls, {
    key: (p) => `poll-${p.poll_id}`,
    sig: (p) => JSON.stringify([p.state, p.revealed && p.kind === "quiz", p.question, p.options, p.translations, p.allow_changes, (you.ballots || {})[String(p.poll_id)] !== undefined]),
    build: (p) => pollCard(p, you),
    update: (el, p) => { el.querySelector(".results").replaceWith(results(p, t)); },
  });
  if (!polls.length) $("poll-list").append(h("p", { class: "muted", "data-key": "none", text: t("No polls yet.") }));
}

function questionText(q) {
  const tr = pick(q.translations, lang);
  if (!tr) return h("p", { class: "q-text", text: q.text });
  return [h("p", { class: "q-text", lang: tr[0], dir: "auto", text: tr[1] }),
    original(t, h("p", { class: "q-text", dir: "auto", text: q.text }))];
}

// "You scored N" (templates/parts/quiz_score.html), once a quiz this person answered is out.
function renderScore(you) {
  let el = $("quiz-score");
  if (!you.quiz) { if (el) el.remove(); return; }
  if (!el) {
    el = h("p", { class: "card quiz-score", id: "quiz-score", role: "status" });
    $("polls-h").after(el);
  }
  el.textContent = t.n("scored", you.quiz.points);
}

function renderQuestions(room, you) {
  const upvoted = new Set(you.upvotes || []);
  const list = (room.questions || []).slice().sort((a, b) => b.upvotes - a.upvotes || a.question_id - b.question_id);
  keyed($("question-list"), list, {
    key: (q) => `q-${q.question_id}`,
    sig: (q) => JSON.stringify([q.text, q.translations, q.author, q.upvotes, q.pinned, q.state, q.answer, q.answered_by, upvoted.has(q.question_id)]),
    build: (q) => {
      const voted = upvoted.has(q.question_id);
      const op = voted ? "question.unvote" : "question.upvote";
      return h("li", { class: `card question${q.pinned ? " pinned" : ""}`, id: `q-${q.question_id}` },
        q.pinned ? h("strong", { class: "badge", text: t("Pinned") }) : null,
        questionText(q),
        h("p", { class: "q-meta", text: (q.author || t("Anonymous")) + (q.state === "answered" ? ` · ${t.word("question_states", "answered")}` : "") }),
        q.answer ? h("p", { class: "q-answer" }, `${t("Reply")} `, staffBadge(q.answered_by), `: ${q.answer}`) : null,
        opForm(op, "inline", hidden("question_id", q.question_id),
          h("button", { type: "submit", class: "upvote", "aria-pressed": voted ? "true" : "false" },
            `▲ ${t.num(q.upvotes)} `, h("span", { class: "sr-only", text: t.n("upvotes", q.upvotes) }))));
    },
  });
  const own = (you.questions || []).filter((q) => q.state === "pending" || q.state === "rejected");
  const box = $("my-questions");
  box.replaceChildren();
  if (own.length) {
    box.append(h("h3", { text: t("Your questions") }), h("ul", { class: "mine" }, own.map((q) =>
      h("li", { class: `q-${q.state}` }, h("span", { text: q.text }), " ",
        h("em", { text: t.word("question_states", q.state) + (q.reason ? `: ${t.word("reasons", q.reason)}` : "") }),
        q.state === "pending" ? opForm("question.withdraw", "inline", hidden("question_id", q.question_id),
          h("button", { type: "submit", text: t("Withdraw") })) : null))));
  }
}

function renderSpeaker(room, you) {
  const sp = room.speaker || { current: null, queue: [], length: 0 };
  const me = you.speaker || {};
  const body = $("speaker-body");
  const sig = JSON.stringify([sp.current, sp.length, me]);
  if (body.dataset.sig === sig) return;
  body.dataset.sig = sig;
  const parts = [
    h("p", {}, sp.current ? [`${t("On the floor")}: `, h("strong", { text: sp.current.name || t("Anonymous") }), sp.current.topic ? ` — ${sp.current.topic}` : ""] : t("Nobody has the floor.")),
    h("p", { text: t.n("waiting", sp.length) }),
  ];
  if (me.speaking) parts.push(h("p", { class: "flash done", text: t("You have the floor") }));
  else if (me.position) {
    parts.push(h("p", {}, h("strong", { text: `${t("Your place in the queue")}: ${t.num(me.position)}` })),
      opForm("speaker.withdraw", "", h("button", { type: "submit", text: t("Withdraw") })));
  } else {
    parts.push(opForm("speaker.request", "stack", h("label", { for: "topic", text: t("Topic") }),
      h("input", { id: "topic", name: "topic", maxlength: "200" }),
      h("button", { type: "submit", text: t("Request to speak") })));
  }
  body.replaceChildren(...parts);
}

function renderReactions(room) {
  const counts = (room.reactions && room.reactions.counts) || {};
  for (const el of document.querySelectorAll(".reactions .count")) {
    el.textContent = t.num(counts[el.dataset.emoji] || 0);
  }
}

function announce(room, frames) {
  // Screen readers hear new results, but at most every few seconds: a busy poll is not a firehose.
  const now = Date.now();
  const tally = frames.filter((f) => f.type === "poll.tally" || f.type === "poll.revealed");
  if (!tally.length || now - lastAnnounce < 5000) return;
  lastAnnounce = now;
  const id = tally[tally.length - 1].poll_id ?? tally[tally.length - 1].poll?.poll_id;
  const poll = (room.polls || []).find((p) => p.poll_id === id);
  if (poll && poll.results) $("announce").textContent = `${poll.question}: ${t.n("voters", poll.results.voters)}`;
}

function render(model, frames) {
  const { room, you } = model;
  renderPolls(room, you);
  renderScore(you);
  renderQuestions(room, you);
  renderSpeaker(room, you);
  renderReactions(room);
  announce(room, frames);
  if (you.banned) status(t.error("auth.banned"), true);
}

function status(text, alert) {
  const el = $("conn");
  el.textContent = text;
  el.className = `conn${alert ? " alert" : ""}`;
}

const live = new LiveRoom({
  code: cfg.code,
  token: cfg.token,
  onChange: render,
  onStatus: (s) => {
    document.body.dataset.conn = s;
    status(s === "online" ? t("Connected") : s === "offline" ? t("Offline: your actions will be sent when you reconnect.") : t("Reconnecting…"), s === "offline");
  },
  onAnswer: (frame) => {
    if (frame.type === "error") status(`${t("Error")}: ${t.error(frame.code, frame.message)}`, true);
    else if (frame.op_id) status(t("Sent."));
  },
  onPending: (count) => {
    // The words are the template's (#pending); this only shows or hides them.
    document.body.dataset.pending = String(count);
    $("pending").hidden = count === 0;
  },
});

function fieldsOf(form) {
  const op = form.dataset.op;
  const data = new FormData(form);
  const fields = {};
  for (const name of ["poll_id", "question_id"]) if (data.has(name)) fields[name] = Number(data.get(name));
  if (op === "vote") {
    const poll = (live.model.room?.polls || []).find((p) => p.poll_id === fields.poll_id);
    fields.choice = poll ? readChoice(form, poll) : data.get("choice");
  } else if (op === "question.ask") {
    fields.text = String(data.get("text") || "");
    fields.anonymous = data.get("anonymous") === "on";
  } else if (op === "speaker.request") {
    fields.topic = String(data.get("topic") || "");
  }
  return fields;
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-op]");
  if (!form || !live.model.room) return;  // before the first snapshot the plain post still works
  event.preventDefault();
  const op = form.dataset.op;
  const fields = fieldsOf(form);
  if (op === "react") fields.emoji = event.submitter ? event.submitter.value : "";
  const { sent } = live.send(op, fields);
  if (!sent) status(t("Saved offline."), true);
  if (op === "question.ask" || op === "speaker.request") form.reset();
});

live.connect();
