// Small DOM builders. User text only ever goes in through textContent (never innerHTML).
export { translator } from "./words.js";

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Keeps `container`'s children in step with `items`: a child is rebuilt only when its
// signature changed, and moved only when out of order, so focus and half-filled forms survive.
export function keyed(container, items, { key, sig, build, update }) {
  const existing = new Map();
  for (const child of Array.from(container.children)) {
    if (child.dataset.key) existing.set(child.dataset.key, child);
    else child.remove();
  }
  let previous = null;
  for (const item of items) {
    const k = String(key(item));
    const s = sig(item);
    let el = existing.get(k);
    existing.delete(k);
    if (!el || el.dataset.sig !== s) {
      const fresh = build(item);
      fresh.dataset.key = k;
      fresh.dataset.sig = s;
      if (el) el.replaceWith(fresh); 
      el = fresh;
    } else if (update) {
      update(el, item);
    }
    const want = previous ? previous.nextElementSibling : container.firstElementChild;
    if (want !== el) container.insertBefore(el, want);
    previous = el;
  }
  for (const el of existing.values()) el.remove();
}

// An item's translation for this page's language, as the server's Translator.pick finds it:
// the exact tag, else one of the same language (a script, when given, must agree).
export function pick(translations, lang) {
  if (!translations || !lang) return null;
  if (lang in translations) return [lang, translations[lang]];
  const [base, script] = lang.split("-");
  for (const [tag, value] of Object.entries(translations)) {
    const parts = tag.split("-");
    const tagScript = parts.find((p) => p.length === 4);
    if (parts[0] === base && (!tagScript || !script || tagScript === script)) return [tag, value];
  }
  return null;
}

// The same markup as server/templates/parts/translated.html's poll_original and question_text.
export function original(t, ...children) {
  return h("details", { class: "original" }, h("summary", { text: t("Original") }), ...children);
}

// The same markup as server/templates/results.html.
export function results(poll, t) {
  const r = poll.results;
  const box = h("div", { class: "results", "data-results-for": poll.poll_id });
  if (!r) {
    box.append(h("p", { class: "muted", text: t("Results hidden until the moderator reveals them.") }));
    return box;
  }
  const kind = poll.kind;
  if (["single", "multiple", "rating", "ranking", "budget", "quiz"].includes(kind)) {
    const tr = pick(poll.translations, t.lang);
    let labels = tr ? poll.options.map((o, i) => tr[1].options[i] || o) : poll.options;
    let values = r.counts || [];
    if (kind === "rating") labels = values.map((_, i) => String(i + 1));
    if (kind === "ranking" || kind === "budget") values = r.points || [];
    const top = Math.max(1, ...values);
    const total = Math.max(1, r.voters);
    const share = kind !== "ranking" && kind !== "budget";
    box.append(h("ul", { class: "bars" }, labels.map((label, i) => {
      const v = values[i] || 0;
      return h("li", {},
        h("span", { class: "bar-label", text: kind === "rating" ? t.num(Number(label)) : label }),
        h("progress", { max: String(share ? total : top), value: String(v), "aria-hidden": "true" }),
        h("span", { class: "bar-value", text: share ? `${t.num(v)} · ${t.pct(v / total)}` : t.num(v) }),
        (r.correct || []).includes(i) ? [" ", h("strong", { class: "right", text: `✓ ${t("Right answer")}` })] : null);
    })));
    if (kind === "rating" && r.average !== null && r.average !== undefined) {
      box.append(h("p", { class: "avg", text: `${t("Average")}: ${t.num(r.average)}` }));
    }
  } else if (kind === "wordcloud") {
    const words = Object.entries(r.words || {});
    const top = Math.max(1, ...words.map(([, n]) => n));
    box.append(h("ul", { class: "cloud" }, words.map(([word, n]) =>
      h("li", { class: `w${Math.round((4 * n) / top) + 1}` }, word, " ",
        h("span", { class: "sr-only", text: `(${t.num(n)})` })))));
  } else {
    box.append(h("ul", { class: "answers" }, (r.answers || []).map((a) => h("li", { text: a.text }))));
  }
  box.append(h("p", { class: "voters", text: t.n("voters", r.voters) }));
  return box;
}

// A staff badge for `by` ({role, name} from the server's view, i.e. role data), cloned from
// the page's <template id="staff-badges">: the markup is the template's, never built from text.
export function staffBadge(by) {
  const box = document.getElementById("staff-badges");
  if (!by || !box) return null;
  const badge = Array.from(box.content.children).find((el) => el.dataset.role === by.role);
  if (!badge) return null;
  return h("span", { class: "by" }, badge.cloneNode(true), by.name ? ` ${by.name}` : null);
}
