// The control panel. Its markup is the server's (moderate_panel.html); on each change in the
// room the same fragment is fetched again and morphed in (idiomorph), so focus, scroll, open
// <details>, ticked boxes and anything half-typed stay as they were. Only what a client alone
// can do lives here: the morph, countdowns, keyboard shortcuts, and keeping actions that
// could not reach the server until they can.
import { LiveRoom, pageConfig } from "./live.js";
import { translator } from "./words.js";

const cfg = pageConfig();
const t = translator(cfg.strings, cfg.i18n);
const panel = document.getElementById("panel");
const outbox = document.getElementById("outbox");
let timer = null;
let fetching = false;
let again = false;
let focusNext = null;

// -- forms being filled in are left alone by refreshes -----------------------------------------
// (A form whose text was typed into; and keep() spares whatever control has focus.)
panel.addEventListener("input", (event) => {
  if (!event.target.matches("textarea, input:not([type=checkbox]):not([type=radio])")) return;
  const form = event.target.form || event.target.closest("form");
  if (form) form.dataset.dirty = "1";
});
// A choice made in a list (a poll's timer, a reason) is kept the same way until its form is
// sent: sparing only the focused control lost it when focus had moved on, and a poll then
// opened "until closed" after "1 minute" was chosen.
panel.addEventListener("change", (event) => {
  if (!event.target.matches("select")) return;
  const form = event.target.form || event.target.closest("form");
  if (form) form.dataset.dirty = "1";
});

// The focused control is spared, never a focused container: idiomorph's ignoreActiveValue
// skips the children of whatever has focus, and the panel focuses whole sections (a tab
// opened) and queue items (j/k), which then stopped following the room.
function keep(node) {
  if (node.nodeType !== 1) return false;
  if (node === document.activeElement && node.matches("input, textarea, select")) return true;
  return node.hasAttribute("data-keep") || node.dataset.dirty === "1" || node.matches("input[data-select]");
}

// Callers of a refresh asked for while another was in flight: resolved once the refresh
// after it, which reads the page's address as it is now, has been morphed in. ("Copy into
// the builder" focuses the question once its refresh is done; resolved early, the focused
// field was then kept from the morph with its old text.)
let behind = [];
async function refresh() {
  if (fetching) {
    again = true;
    return new Promise((resolve) => behind.push(resolve));
  }
  fetching = true;
  try {
    const response = await fetch(`/r/${cfg.code}/moderate/panel${window.location.search}`,
      { credentials: "same-origin", cache: "no-store", headers: { "HX-Request": "true" } });
    if (response.ok && !window.Idiomorph) {
      panel.innerHTML = await response.text(); // the morph failed to load: refresh plainly
      if (window.htmx) window.htmx.process(panel);
      showTab();
    } else if (response.ok) {
      const html = await response.text();
      window.Idiomorph.morph(panel, html, {
        morphStyle: "innerHTML",
        callbacks: {
          beforeNodeMorphed: (from) => !keep(from),
          // a <details> the moderator opened or closed stays so
          beforeAttributeUpdated: (name, node) => !(name === "open" && node.tagName === "DETAILS"),
        },
      });
      if (window.htmx) window.htmx.process(panel);
      showTab();
      restoreFocus();
      tick();
    } else if (response.status === 429 || response.status >= 500) {
      // "Not now" (busy, restarting): the room may not change again soon, so ask once more
      // after the server's Retry-After instead of showing a stale panel until it does.
      const seconds = Number(response.headers.get("retry-after")) || 2;
      setTimeout(refresh, seconds * 1000 * (1 + Math.random() / 2));
    }
  } catch (error) {
    // offline: the socket's status says so, and the next change refreshes again
    if (!(error instanceof TypeError && /fetch/i.test(error.message))) console.error(error);
  } finally {
    fetching = false;
    if (again) {
      again = false;
      const waiting = behind;
      behind = [];
      refresh().then(() => waiting.forEach((resolve) => resolve()));
    }
  }
}

// Where the last action was taken: when its button is gone (an opened poll shows "Close"
// instead), focus goes to the first control of the same item, not to the top of the page.
let lastPlace = null;
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const place = event.detail.elt.closest && event.detail.elt.closest("article[id], section[id]");
  lastPlace = place ? place.id : null;
});

function restoreFocus() {
  const active = document.activeElement;
  if (active && active !== document.body && document.contains(active)) return;
  if (focusNext) {
    const next = document.getElementById(focusNext) || document.querySelector("[data-queue-item]");
    focusNext = null;
    if (next) { next.focus(); return; }
  }
  const place = lastPlace && document.getElementById(lastPlace);
  const control = place && place.querySelector("button, a[href], select, input:not([type=hidden])");
  if (control) control.focus();
}

// -- the sections as tabs: the address's #section is the one shown ------------------------------
const TABS = [...document.querySelectorAll(".sections a")].map((a) => a.hash.slice(1));

function showTab() {
  const wanted = window.location.hash.slice(1);
  const tab = TABS.includes(wanted) ? wanted : (document.body.dataset.tab || TABS[0]);
  document.body.dataset.tab = tab;
  for (const a of document.querySelectorAll(".sections a")) {
    if (a.hash === `#${tab}`) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}
function openTab() {
  showTab();
  document.getElementById(document.body.dataset.tab)?.focus({ preventScroll: true });
}
// A tab opens in the click itself, not on the hashchange that follows as a later task: a
// key pressed at once (j, then a) found the section still hidden and nothing to focus.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest(".sections a");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  if (window.location.hash !== link.hash) history.pushState(null, "", link.hash);
  openTab();
});
window.addEventListener("hashchange", openTab); // typed into the address bar
window.addEventListener("popstate", openTab); // back and forward between tabs
showTab();

// -- countdowns: a poll's deadline, the speaker's time ----------------------------------------
const fmt = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll(".timer[data-since]")) {
    const used = Math.max(0, Math.floor((now - Number(el.dataset.since)) / 1000));
    const limit = Number(el.dataset.limit || 0);
    el.textContent = `${fmt(used)} / ${fmt(limit)}`;
    el.classList.toggle("over", limit > 0 && used > limit);
  }
  for (const el of document.querySelectorAll(".countdown[data-closes-at]")) {
    const left = Math.max(0, Math.ceil((Number(el.dataset.closesAt) - now) / 1000));
    const strong = el.querySelector("strong");
    if (strong) strong.textContent = fmt(left);
    el.classList.toggle("ending", left <= 10);
  }
}
setInterval(tick, 1000);
tick();

// -- keyboard shortcuts for the queue (listed on the page) -------------------------------------
function items() { return [...document.querySelectorAll("[data-queue-item]")]; }
function current() {
  const active = document.activeElement;
  return active && active.closest ? active.closest("[data-queue-item]") : null;
}

function move(step) {
  const list = items();
  if (!list.length) return;
  const at = list.indexOf(current());
  const next = list[Math.min(list.length - 1, Math.max(0, at + step))] || list[0];
  next.focus();
}

function press(key) {
  const item = current();
  if (!item) return;
  const button = item.querySelector(`button[data-key="${key}"]`);
  if (!button) return;
  const list = items();
  const after = list[list.indexOf(item) + 1] || list[list.indexOf(item) - 1];
  focusNext = after ? after.id : null;
  button.form.requestSubmit(button);
}

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.matches("input, textarea, select, [contenteditable]")) {
    if (event.key === "Escape") event.target.closest("[data-queue-item]")?.focus();
    return;
  }
  const item = current();
  switch (event.key) {
    case "j": move(1); break;
    case "k": move(-1); break;
    case "a": press("a"); break;
    case "r": press("r"); break;
    case "e": {
      const details = item?.querySelector("details.edit-q");
      if (details) { details.open = true; details.querySelector("[data-edit]")?.focus(); }
      break;
    }
    case "x": { const box = item?.querySelector("[data-select]"); if (box) box.checked = !box.checked; break; }
    case "/": document.getElementById("qsearch")?.focus(); break;
    default: return;
  }
  event.preventDefault();
});

// -- after an action ---------------------------------------------------------------------------
document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!event.detail.successful || !form.matches || !form.matches("form")) return;
  const wasKept = form.dataset.dirty === "1";
  delete form.dataset.dirty;
  // A refresh may have come and gone while the form was kept: catch up with the room now.
  if (wasKept) refresh();
  if (form.matches("[data-reset]")) form.reset();
});

// -- templates and "Copy into the builder": the same GET as without JavaScript, morphed in ---
panel.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-builder]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  history.pushState(null, "", link.href);
  // Choosing a template replaces what was typed in the builder: it is not kept this once.
  const builder = document.getElementById("new-poll");
  if (builder) delete builder.dataset.dirty;
  refresh().then(() => document.getElementById("np-question")?.focus());
});

// -- "Undo" beside a done action is offered for a while, then the line is only a line ---------
// (Without JavaScript it stays until the next action; the engine refuses an undo that no
// longer applies, so a late one is harmless.)
const UNDO_MS = 30000;
function expireUndo() {
  for (const form of document.querySelectorAll("form[data-undo]:not([data-expires])")) {
    form.dataset.expires = "1";
    setTimeout(() => {
      const line = form.contains(document.activeElement) && form.closest(".feedback");
      form.remove();
      if (line) line.focus();
    }, UNDO_MS);
  }
}
document.body.addEventListener("htmx:afterSettle", expireUndo);
expireUndo();

// A control pressed inside an answer line ("Undo") goes with the answer that replaces it:
// focus stays on that line, which says what happened ("Ban lifted."), not on whatever the
// section's first control is (its search box).
document.body.addEventListener("htmx:afterSwap", (event) => {
  const line = event.detail.target;
  if (!line.matches || !line.matches(".feedback")) return;
  const active = document.activeElement;
  if (!active || active === document.body || !document.contains(active)) line.focus();
});

// -- outages: an action that could not reach the server is kept and sent again ------------------
const KEPT = `th-outbox-${cfg.code}`;
const kept = () => JSON.parse(sessionStorage.getItem(KEPT) || "[]");
const store = (list) => sessionStorage.setItem(KEPT, JSON.stringify(list));

function showOutbox(failed) {
  const n = kept().length;
  outbox.hidden = n === 0 && !failed;
  outbox.classList.toggle("failed", Boolean(failed));
  outbox.textContent = failed || (n ? outbox.dataset.waiting.replace("%(num)s", n) : "");
}

document.body.addEventListener("htmx:sendError", (event) => {
  const form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
  if (!form) return;
  // The form's op_id travels with it, so a resend that did arrive the first time counts once.
  const body = new URLSearchParams(new FormData(form)).toString();
  const target = (form.getAttribute("hx-target") || "").replace(/^#/, "");
  store([...kept(), { url: form.getAttribute("hx-post") || form.action, body, target }]);
  showOutbox();
});

async function flush() {
  let list = kept();
  while (list.length) {
    const item = list[0];
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST", body: item.body, credentials: "same-origin",
        headers: { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
      });
    } catch {
      showOutbox();
      return; // still unreachable: try again on the next reconnect
    }
    list = kept().slice(1);
    store(list);
    const html = await response.text();
    const target = item.target && document.getElementById(item.target);
    if (target && response.headers.get("content-type")?.startsWith("text/html")) {
      target.innerHTML = html;
    } else if (!response.ok) {
      showOutbox(outbox.dataset.failed);
      return;
    }
  }
  showOutbox();
}
window.addEventListener("online", flush);
showOutbox();

const live = new LiveRoom({
  code: cfg.code,
  token: cfg.token,
  onChange: () => { clearTimeout(timer); timer = setTimeout(refresh, 150); },
  onStatus: (s) => {
    document.body.dataset.conn = s;
    document.getElementById("conn").textContent = s === "online" ? t("Connected") : t("Reconnecting…");
    if (s === "online") flush();
  },
});
live.connect();
