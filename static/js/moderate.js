// The control panel: the panel is server-rendered (moderators are few, and the controls are
// many), so on each change it is fetched again through htmx, never while someone is typing in it.
import { LiveRoom, pageConfig } from "./live.js";
import { translator } from "./dom.js";

const cfg = pageConfig();
const t = translator(cfg.strings, cfg.i18n);
const panel = document.getElementById("panel");
let stale = false;
let timer = null;

function typing() {
  const active = document.activeElement;
  return active && panel.contains(active) && active.matches("input, textarea, select");
}

function refresh() {
  if (typing()) { stale = true; return; }
  stale = false;
  if (window.htmx) {
    // The query keeps the queue's language filter (?qlang=) across live refreshes.
    window.htmx.ajax("GET", `/r/${cfg.code}/moderate/panel${window.location.search}`, { target: "#panel", swap: "innerHTML" });
  }
}

panel.addEventListener("focusout", () => { if (stale) setTimeout(refresh, 50); });

function tickTimers() {
  for (const el of document.querySelectorAll(".timer[data-since]")) {
    const used = Math.max(0, Math.floor((Date.now() - Number(el.dataset.since)) / 1000));
    const limit = Number(el.dataset.limit || 0);
    const fmt = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    el.textContent = `${fmt(used)} / ${fmt(limit)}`;
    el.classList.toggle("over", limit > 0 && used > limit);
  }
}
setInterval(tickTimers, 1000);

document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (event.detail.successful && form.matches && form.matches("form[data-reset]")) form.reset();
});

const live = new LiveRoom({
  code: cfg.code,
  token: cfg.token,
  onChange: () => { clearTimeout(timer); timer = setTimeout(refresh, 150); },
  onStatus: (s) => {
    document.body.dataset.conn = s;
    document.getElementById("conn").textContent = s === "online" ? t("Connected") : t("Reconnecting…");
  },
});
live.connect();
