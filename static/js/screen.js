// Big screen and overlay. The server renders the stage (server/templates/parts/*_stage.html);
// after a change this asks for it again and morphs it in place, so bars keep their elements
// and animate to their new values. What only a client can do stays here: countdowns that
// tick, and reactions that float up (cloned from the page's <template>, never built).
import { LiveRoom, pageConfig } from "./live.js";
import { Idiomorph } from "../vendor/idiomorph.esm.js";

const cfg = pageConfig();
const stage = document.getElementById("stage");
const fragment = stage.dataset.fragment;
let skew = 0;  // the server's clock minus ours, from the stage's data-now
let timer = null;
let busy = false;
let again = false;

function learnClock() {
  const inner = stage.querySelector("[data-now]");
  if (inner) skew = Number(inner.dataset.now) - Date.now();
}

async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  try {
    const response = await fetch(fragment, { credentials: "same-origin", headers: { "hx-request": "true" } });
    if (response.ok) {
      Idiomorph.morph(stage, await response.text(), { morphStyle: "innerHTML" });
      learnClock();
      tick();
    }
  } catch { /* offline: the socket's reconnect brings the next refresh */ }
  busy = false;
  if (again) { again = false; refresh(); }
}

function soon() { clearTimeout(timer); timer = setTimeout(refresh, 120); }

const clock = (ms) => {
  const over = ms < 0;
  const s = over ? Math.floor(-ms / 1000) : Math.ceil(ms / 1000);
  const text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return over ? `+${text}` : text;
};

function tick() {
  const now = Date.now() + skew;
  for (const el of stage.querySelectorAll(".countdown")) {
    let text;
    if (el.dataset.ends) {
      const left = Number(el.dataset.ends) - now;
      const speaker = el.closest("#floor");
      // A poll's countdown stops at 0:00 (the server closes it); a speaker's runs over.
      text = clock(speaker ? left : Math.max(0, left));
      el.classList.toggle("over", left < 0 && Boolean(speaker));
      el.classList.toggle("soon", left >= 0 && left < 10000);
    } else if (el.dataset.since) {
      text = clock(Math.max(0, now - Number(el.dataset.since)));
    }
    if (text !== undefined && el.textContent !== text) el.textContent = text;
  }
}
setInterval(tick, 500);
learnClock();

// Reactions: each frame carries the counts of the current window; what is new floats up.
const floats = document.getElementById("floats");
const floatTemplate = document.getElementById("reaction-float");
const MAX_FLOATING = 40;
let seen = null;

function float(emoji) {
  if (!floats || !floatTemplate || floats.childElementCount >= MAX_FLOATING) return;
  const el = floatTemplate.content.firstElementChild.cloneNode(true);
  el.textContent = emoji;
  el.style.insetInlineStart = `${5 + Math.random() * 88}%`;
  el.style.animationDelay = `${Math.random() * 0.6}s`;
  el.addEventListener("animationend", () => el.remove());
  setTimeout(() => el.remove(), 6000);  // reduced motion: no animation to end
  floats.append(el);
}

function reactions(r, show) {
  if (!r || !r.counts) return;
  const same = seen && seen.window_start === r.window_start;
  if (show) {
    for (const [emoji, n] of Object.entries(r.counts)) {
      const fresh = n - (same ? seen.counts[emoji] || 0 : 0);
      for (let i = 0; i < Math.min(fresh, 6); i += 1) float(emoji);
    }
  }
  seen = { window_start: r.window_start, counts: { ...r.counts } };
}

new LiveRoom({
  code: cfg.code,
  token: cfg.token,
  onChange: (model, frames) => {
    let changed = false;
    for (const frame of frames) {
      if (frame.type === "reaction.counts") reactions(frame, true);
      else if (frame.type === "snapshot") {
        reactions(model.room.reactions, false);
        // On connect: fetch again only if the room moved on since the stage was rendered.
        const inner = stage.querySelector("[data-seq]");
        if (!inner || model.seq > Number(inner.dataset.seq)) changed = true;
      }
      else changed = true;
    }
    if (changed) soon();
  },
  onStatus: (s) => { document.body.dataset.conn = s; },
}).connect();
