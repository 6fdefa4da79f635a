// The attendee page. The server renders all markup (server/templates/attendee_*.html); this
// script sends forms over the socket (or queues them offline), morphs in the public part of
// the page once per room version (/r/{code}/live, the same bytes for every phone), and shows
// the person's own facts by toggling attributes on that markup. Their own blocks (questions,
// place to speak) are fetched (/r/{code}/mine) only after their own actions.
import { LiveRoom, pageConfig } from "./live.js";
import { translator } from "./words.js";
import { enhance, fillChoice, readChoice, refresh } from "./ballots.js";

document.documentElement.classList.add("js");
const cfg = pageConfig();
const t = translator(cfg.strings, cfg.i18n);
const $ = (id) => document.getElementById(id);
const root = $("live");
const skew = Number(document.body.dataset.now || Date.now()) - Date.now();
const receiptsKey = `th_receipts_${cfg.code}`;
let you = null;

function say(text) { $("announce").textContent = text; }

function status(text, alert) {
  const el = $("conn");
  el.textContent = text;
  el.className = `conn${alert ? " alert" : ""}`;
}

// -- the person's own facts, on the server's markup ---------------------------------------

function receipts() { try { return JSON.parse(localStorage.getItem(receiptsKey) || "{}"); } catch { return {}; } }

function showReceipt(box, receipt) {
  box.hidden = false;
  box.querySelector("input").value = receipt;
  box.querySelector("a").href = `/r/${cfg.code}/check?receipt=${encodeURIComponent(receipt)}`;
}

function applyYou() {
  if (!you) return;
  const ballots = you.ballots || {};
  const kept = receipts();
  for (const card of root.querySelectorAll("[data-poll]")) {
    const id = card.dataset.poll;
    const ballot = ballots[id];
    const voted = ballot !== undefined && ballot !== null;
    card.toggleAttribute("data-voted", voted);
    for (const el of card.querySelectorAll(".if-voted")) el.hidden = !voted;
    for (const el of card.querySelectorAll(".if-not-voted")) el.hidden = voted;
    const form = card.querySelector("form.vote");
    if (form) form.hidden = voted && card.hasAttribute("data-locked");
    if (form && !form.dataset.dirty && voted) fillChoice(form, ballot);
    else if (form) refresh(form, t);
    const box = card.querySelector(".receipt");
    if (box && kept[id] && box.hidden) showReceipt(box, kept[id]);
  }
  const upvoted = new Set(you.upvotes || []);
  const own = new Set((you.questions || []).map((q) => q.question_id));
  for (const li of root.querySelectorAll("[data-q]")) {
    const id = Number(li.dataset.q);
    li.toggleAttribute("data-own", own.has(id));
    const form = li.querySelector(".upvote-form");
    if (!form) continue;
    form.hidden = own.has(id);  // nobody upvotes their own question
    const op = upvoted.has(id) ? "question.unvote" : "question.upvote";
    form.dataset.op = op;
    form.querySelector("[name=op]").value = op;
    form.querySelector("button").setAttribute("aria-pressed", String(upvoted.has(id)));
  }
  applyQueued();
}

function applyQueued() {
  const waiting = new Set(live.queue.filter((item) => item.op === "vote").map((item) => String(item.fields.poll_id)));
  for (const card of root.querySelectorAll("[data-poll]")) {
    const note = card.querySelector(".queued");
    if (note) note.hidden = !waiting.has(card.dataset.poll) || document.body.dataset.conn === "online";
  }
}

// -- questions: top or newest, and a search, over the rendered list ------------------------

function applyQuestionTools() {
  const tools = root.querySelector(".q-tools");
  const list = $("question-list");
  if (!tools || !list) return;
  const data = new FormData(tools);
  const sort = data.get("qsort") === "new" ? "new" : "top";
  const needle = String(data.get("q") || "").trim().toLocaleLowerCase(cfg.i18n.lang);
  const items = Array.from(list.children);
  items.sort((a, b) => (sort === "new" ? Number(b.dataset.q) - Number(a.dataset.q)
    : Number(b.dataset.score) - Number(a.dataset.score) || Number(a.dataset.q) - Number(b.dataset.q)));
  let shown = 0;
  for (const li of items) {
    list.append(li);
    li.hidden = Boolean(needle) && !li.textContent.toLocaleLowerCase(cfg.i18n.lang).includes(needle);
    if (!li.hidden) shown += 1;
  }
  $("no-match").hidden = shown > 0 || !needle;
  $("no-questions").hidden = shown > 0 || Boolean(needle) || Boolean(root.querySelector(".questions.now"));
}

// -- morphing the server's fragments in ------------------------------------------------------

let morphing = null;
function morphLib() {
  // Loaded on the first update, so it never weighs on the first load.
  morphing = morphing || new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = "/static/vendor/idiomorph.min.js";
    s.onload = () => resolve(globalThis.Idiomorph);
    // A phone that lost its network just then asks again at the next update: a failed load
    // kept would leave the page unable to show any change until it is reloaded.
    s.onerror = () => { s.remove(); morphing = null; reject(new Error("idiomorph did not load")); };
    document.head.append(s);
  });
  return morphing;
}

const keepOpen = { beforeAttributeUpdated: (name, node) => !(name === "open" && node.tagName === "DETAILS") };

async function morph(target, html, skipPersonal, style = "innerHTML") {
  const Idiomorph = await morphLib();
  Idiomorph.morph(target, html, {
    morphStyle: style,
    callbacks: {
      ...keepOpen,
      beforeNodeMorphed(old) {
        if (old.nodeType !== 1) return true;
        if (old === document.activeElement && /^(INPUT|TEXTAREA|SELECT)$/.test(old.tagName)) return false;
        if (skipPersonal && old.hasAttribute("data-personal")) return false;  // from /mine only
        return !(old.tagName === "FORM" && old.dataset.dirty);  // never undo what someone is typing
      },
    },
  });
}

function sectionIds() {
  return {
    polls: new Set(Array.from(root.querySelectorAll("[data-poll]"), (el) => el.id)),
    questions: new Set(Array.from(root.querySelectorAll("[data-q]"), (el) => el.id)),
    speaker: ($("speaker") || {}).textContent,  // the floor changed hands, the queue moved
  };
}

const unread = { polls: 0, questions: 0, speaker: 0 };
const inView = new Set();

function countUnread(before) {
  const after = sectionIds();
  for (const name of ["polls", "questions"]) {
    if (inView.has(name)) continue;
    for (const id of after[name]) if (!before[name].has(id)) unread[name] += 1;
  }
  if (!inView.has("speaker") && after.speaker !== before.speaker) unread.speaker += 1;
  showUnread();
}

function showUnread() {
  for (const link of root.querySelectorAll(".sections a")) {
    const name = link.dataset.section;
    const badge = link.querySelector(".unread");
    badge.hidden = !unread[name];
    badge.textContent = unread[name] ? t.num(unread[name]) : "";
    if (unread[name]) badge.setAttribute("aria-label", t("New: %(num)s", { num: t.num(unread[name]) }));
    link.classList.toggle("here", inView.has(name));
  }
}

const watcher = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (e.isIntersecting) { inView.add(e.target.id); unread[e.target.id] = 0; } else inView.delete(e.target.id);
  }
  showUnread();
}, { rootMargin: "-30% 0px -30% 0px" });

function watchSections() { for (const id of ["polls", "questions", "speaker"]) { const s = $(id); if (s) watcher.observe(s); } }

function afterSwap() {
  // The public part is the same for everyone, so it carries no CSRF token: this page's own.
  for (const input of root.querySelectorAll("input[name=csrf]")) if (!input.value) input.value = document.body.dataset.csrf;
  // What only this script can work (Copy, the ranking's arrows, the budget's steppers) comes
  // hidden in the markup, so that without it nothing shows that does nothing.
  for (const el of root.querySelectorAll(".js-only[hidden]")) el.hidden = false;
  applyYou();
  applyQuestionTools();
  tick();
  watchSections();
  showUnread();
}

let refreshTimer = null;
let busy = false;
let lastFetch = 0;

// An update that could not be fetched or shown (the network went, or came back a moment
// late) is fetched again once the socket is back, or after a few seconds if it never went:
// the frames that called for it have been seen and will not come again.
const stale = { live: false, mine: false };
let staleTimer = null;
function missed(part) {
  stale[part] = true;
  if (!staleTimer && document.body.dataset.conn === "online") staleTimer = setTimeout(fetchMissed, 2000 + Math.random() * 3000);
}
function fetchMissed() {
  clearTimeout(staleTimer);
  staleTimer = null;
  if (stale.live) { stale.live = false; roomChanged(); }
  if (stale.mine) { stale.mine = false; refreshMine(); }
}

function roomChanged() {
  if (refreshTimer) return;
  // Spread a room of phones over a second, and at most one fetch a second per phone.
  const wait = Math.max(150 + Math.random() * 600, 1000 - (Date.now() - lastFetch));
  refreshTimer = setTimeout(refreshLive, wait);
}

// `again`: what to do when the server says "not now" (429 rate.limited): ask once more after
// its Retry-After, so a phone refused a refresh still catches up when the room goes quiet.
async function getText(url, again) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (response.status === 401 || response.status === 403) { location.reload(); return null; }
  if (response.status === 429 && again) {
    const seconds = Number(response.headers.get("retry-after")) || 1;
    setTimeout(again, seconds * 1000 * (1 + Math.random()));  // not all at once
  }
  return response.ok ? response.text() : null;
}

async function refreshLive() {
  refreshTimer = null;
  if (busy) { roomChanged(); return; }
  busy = true;
  lastFetch = Date.now();
  try {
    const html = await getText(`/r/${cfg.code}/live`, roomChanged);
    if (html !== null) {
      const before = sectionIds();
      await morph(root, html, true);
      countUnread(before);
      afterSwap();
    }
  } catch { missed("live"); }  // offline, or the morph script did not load
  busy = false;
}

// One fetch of /mine at a time, and one more after it when asked meanwhile: a slow answer
// that started before my latest action can never land after the one that followed it.
let mineBusy = false;
let mineAgain = false;
async function refreshMine() {
  if (mineBusy) { mineAgain = true; return; }
  mineBusy = true;
  try {
    const html = await getText(`/r/${cfg.code}/mine`, refreshMine);
    if (html === null) return;
    const box = document.createElement("div");
    box.innerHTML = html;  // the server's own escaped markup
    for (const fresh of Array.from(box.querySelectorAll("[data-personal]"))) {
      const old = $(fresh.id);
      if (old) await morph(old, fresh.outerHTML, false, "outerHTML");  // its attributes too
    }
    afterSwap();
  } catch { missed("mine"); } finally {
    mineBusy = false;
    if (mineAgain) { mineAgain = false; refreshMine(); }
  }
}

// -- time -----------------------------------------------------------------------------------

function tick() {
  const now = Date.now() + skew;
  for (const el of root.querySelectorAll(".countdown[data-ends]")) {
    const left = Math.max(0, Math.ceil((Number(el.dataset.ends) - now) / 1000));
    el.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  }
}
setInterval(tick, 1000);

// -- the socket ------------------------------------------------------------------------------

const PERSONAL = new Set(["speaker.position", "speaker.called", "speaker.skipped", "quiz.scored"]);
const QUIET = new Set(["reaction.counts", "room.participants", "snapshot", "you", "ack", "error"]);

function render(model, frames) {
  you = model.you;
  if (you && you.banned) { location.reload(); return; }
  let mine = false;
  for (const f of frames) {
    if (f.type === "reaction.counts") {
      for (const el of root.querySelectorAll(".reactions .count")) el.textContent = t.num((f.counts || {})[el.dataset.emoji] || 0);
    }
    // My turn ended or my place moved: no personal frame says "finished", the queue does.
    if (f.type === "speaker.queue" && $("my-speaker") && $("my-speaker").hasAttribute("data-involved")) mine = true;
    if (f.type === "you" || f.room || PERSONAL.has(f.type) || (!f.question && f.question_id !== undefined && f.type.startsWith("question."))) mine = true;
    if (!QUIET.has(f.type) && !PERSONAL.has(f.type)) roomChanged();
  }
  if (frames.some((f) => f.type === "snapshot" && f.seq > Number(document.body.dataset.seq))) roomChanged();
  if (mine) refreshMine();
  applyYou();
}

const live = new LiveRoom({
  code: cfg.code,
  token: cfg.token,
  onChange: render,
  onStatus: (s) => {
    document.body.dataset.conn = s;
    status(s === "online" ? t("Connected") : s === "offline" ? t("Offline: your actions will be sent when you reconnect.") : t("Reconnecting…"), s === "offline");
    if (root) applyQueued();
    if (s === "online") fetchMissed();
  },
  onAnswer: (frame, sent) => {
    const form = sent ? formOf(sent) : null;
    if (form) delete form.dataset.dirty;
    if (frame.type === "error") {
      const text = t.error(frame.code);
      const box = form && form.querySelector(".form-error");
      if (box) { box.textContent = text; box.hidden = false; } else status(`${t("Error")}: ${text}`, true);
      return;
    }
    if (sent && sent.op === "vote") {
      if (frame.receipt) {
        // The short code (seq and 16 hex digits) is what a person can copy, read out or
        // write down; the check page and `townhall verify` take it as they take the hash.
        const receipt = frame.receipt.code || `${frame.receipt.seq}:${frame.receipt.hash}`;
        const kept = receipts();
        kept[String(sent.fields.poll_id)] = receipt;
        try { localStorage.setItem(receiptsKey, JSON.stringify(kept)); } catch { /* private mode */ }
        const box = root.querySelector(`[data-receipt-for="${sent.fields.poll_id}"]`);
        if (box) showReceipt(box, receipt);
      }
      say(t("Your vote was recorded."));
    }
    status(t("Sent."));
    if (sent && /^(question\.(ask|withdraw)|speaker\.)/.test(sent.op)) refreshMine();
    applyYou();
  },
  onPending: (count) => {
    document.body.dataset.pending = String(count);
    $("pending").hidden = count === 0;
  },
  onShutOut: () => location.reload(),  // the server's page says why (removed, with the reason)
  onUnopened: () => { getText(`/r/${cfg.code}/live`).catch(() => {}); },  // a 403 reloads
});

function formOf(sent) {
  if (sent.op === "vote") return root.querySelector(`#poll-${sent.fields.poll_id} form.vote`);
  return null;
}

function fieldsOf(form) {
  const op = form.dataset.op;
  const data = new FormData(form);
  const fields = {};
  for (const name of ["poll_id", "question_id"]) if (data.has(name)) fields[name] = Number(data.get(name));
  if (op === "vote") {
    const read = readChoice(form);
    if (read.error) return { error: read.error };
    fields.choice = read.choice;
  } else if (op === "question.ask") {
    fields.text = String(data.get("text") || "");
    fields.anonymous = data.get("anonymous") === "on";
  } else if (op === "speaker.request") {
    fields.topic = String(data.get("topic") || "");
  }
  return { fields };
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form");
  if (form && form.classList.contains("q-tools")) { event.preventDefault(); applyQuestionTools(); return; }
  if (!form || !form.dataset.op || !live.model.room) return;  // before the first snapshot the plain post works
  event.preventDefault();
  const op = form.dataset.op;
  const { fields, error } = fieldsOf(form);
  const errorBox = form.querySelector(".form-error");
  if (errorBox) errorBox.hidden = true;
  if (error) { errorBox.textContent = t.error(error); errorBox.hidden = false; return; }
  if (op === "react") fields.emoji = event.submitter ? event.submitter.value : "";
  const { sent } = live.send(op, fields);
  if (!sent) status(t("Saved offline."), true);
  if (op === "question.upvote" || op === "question.unvote") {
    const button = form.querySelector("button");
    button.setAttribute("aria-pressed", String(op === "question.upvote"));
    button.classList.add("bumped");
    setTimeout(() => button.classList.remove("bumped"), 200);
    say(t(op === "question.upvote" ? "Upvote recorded." : "Upvote removed."));
  }
  if (op === "question.ask" || op === "speaker.request") form.reset();
  if (op !== "vote") delete form.dataset.dirty;  // sent: updates may replace it (a ballot waits for its ack)
  applyQueued();
});

root.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (!copy) return;
  const box = copy.parentElement.querySelector("input");
  box.select();  // without a secure context there is no clipboard API: selected, then copied
  const done = () => say(t("Copied."));
  if (navigator.clipboard && isSecureContext) navigator.clipboard.writeText(box.value).then(done, () => {});
  else if (document.execCommand("copy")) done();
});

root.addEventListener("input", (event) => {
  const form = event.target.form;
  if (form && form.classList.contains("q-tools")) { applyQuestionTools(); return; }
  if (form && form.dataset.op) form.dataset.dirty = "1";
});
root.addEventListener("change", (event) => {
  const form = event.target.form;
  if (form && form.classList.contains("q-tools")) applyQuestionTools();
  else if (form && form.dataset.op) form.dataset.dirty = "1";
});

enhance(root, (option, place) => say(t("%(option)s is now number %(num)s", { option, num: t.num(place) })));
for (const form of root.querySelectorAll("form.vote")) refresh(form, t);
afterSwap();
live.connect();
