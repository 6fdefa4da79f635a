// The vote forms' controls: read a ballot from a form, show a ballot in it, and the
// enhancements (ranking by drag or arrows, budget steppers and points left, a cap on
// multiple choice). The markup is the template's (server/templates/attendee_parts.html);
// this only moves, fills and reads it.

const rankItems = (form) => Array.from(form.querySelectorAll(".rank-list > .rank"));

// The typed `choice` the engine expects (the same rules as rooms/poll_formats.py form_*),
// or {error} for a ballot the form should not send.
export function readChoice(form) {
  const data = new FormData(form);
  switch (form.dataset.kind) {
    case "single": case "quiz": case "rating": return { choice: Number(data.get("choice")) };
    case "multiple": {
      const picked = data.getAll("choice").map(Number);
      return picked.length ? { choice: picked } : { error: "vote.invalid_choice" };
    }
    case "ranking": return { choice: rankItems(form).map((li) => Number(li.dataset.option)) };
    case "budget": {
      const out = {};
      let sum = 0;
      for (const input of form.querySelectorAll("input[type=number]")) {
        const v = Number(input.value || 0);
        if (!Number.isInteger(v) || v < 0 || v > Number(input.max)) return { error: "vote.invalid_choice" };
        if (v) out[input.name.slice("amount_".length)] = v;
        sum += v;
      }
      return sum > total(form) ? { error: "vote.invalid_choice" } : { choice: out };
    }
    default: return { choice: String(data.get("choice") || "") };  // as typed: a phrase is screened whole
  }
}

// Shows `ballot` (the person's own, as `you.ballots` holds it) in the form.
export function fillChoice(form, ballot) {
  const kind = form.dataset.kind;
  if (kind === "ranking") {
    const list = form.querySelector(".rank-list");
    const byOption = new Map(rankItems(form).map((li) => [Number(li.dataset.option), li]));
    for (const i of ballot) if (byOption.has(i)) list.append(byOption.get(i));
    syncRanks(form);
  } else if (kind === "budget") {
    for (const input of form.querySelectorAll("input[type=number]")) input.value = String(ballot[Number(input.name.slice(7))] || 0);
  } else if (kind === "wordcloud" || kind === "open") {
    const box = form.querySelector("[name=choice]");
    box.value = Array.isArray(ballot) ? ballot.join(" ") : String(ballot);
  } else {
    const picked = new Set(Array.isArray(ballot) ? ballot : [ballot]);
    for (const input of form.querySelectorAll("[name=choice]")) input.checked = picked.has(Number(input.value));
  }
  refresh(form);
}

function total(form) { return Number(form.querySelector("[data-total]").dataset.total); }

// What the form shows beside its inputs: points left, boxes past the cap disabled.
export function refresh(form, t) {
  if (t) refresh.t = t;
  const kind = form.dataset.kind;
  if (kind === "budget") {
    const inputs = Array.from(form.querySelectorAll("input[type=number]"));
    const left = total(form) - inputs.reduce((s, i) => s + Number(i.value || 0), 0);
    const out = form.querySelector(".left output");
    out.textContent = refresh.t.n("left", Math.max(left, 0));
    out.parentElement.classList.toggle("over", left <= 0);
    for (const b of form.querySelectorAll("[data-step='1']")) b.disabled = left <= 0;
  } else if (kind === "multiple") {
    const box = form.querySelector("[data-max]");
    const boxes = Array.from(form.querySelectorAll("[name=choice]"));
    const full = boxes.filter((b) => b.checked).length >= Number(box.dataset.max);
    for (const b of boxes) b.disabled = full && !b.checked;
  }
}

function syncRanks(form) {
  // The hidden selects follow the list, so the form posts the order shown.
  rankItems(form).forEach((li, at) => { li.querySelector("select").value = String(at + 1); });
}

function moveRank(li, by, announce) {
  const list = li.parentElement;
  const items = Array.from(list.children);
  const to = items.indexOf(li) + by;
  if (to < 0 || to >= items.length) return;
  if (by < 0) list.insertBefore(li, items[to]); else list.insertBefore(li, items[to].nextSibling);
  const form = li.closest("form");
  syncRanks(form);
  form.dataset.dirty = "1";
  announce(li.querySelector(".rank-text").textContent, to + 1);
}

// Budget: a value typed over what is left is brought down to what is left.
function clampBudget(input) {
  const form = input.form;
  const others = Array.from(form.querySelectorAll("input[type=number]")).filter((i) => i !== input)
    .reduce((s, i) => s + Number(i.value || 0), 0);
  const most = Math.min(Number(input.max), total(form) - others);
  const v = Math.trunc(Number(input.value || 0));
  input.value = String(Math.max(0, Math.min(Number.isFinite(v) ? v : 0, most)));
}

// One set of listeners for every vote form, present and future (the page morphs them in).
export function enhance(root, announce) {
  root.addEventListener("click", (event) => {
    const move = event.target.closest("[data-move]");
    if (move) { moveRank(move.closest(".rank"), Number(move.dataset.move), announce); move.focus(); return; }
    const step = event.target.closest("[data-step]");
    if (step) {
      const input = step.parentElement.querySelector("input");
      const size = Math.max(1, Math.round(total(input.form) / 20));
      input.value = String(Number(input.value || 0) + Number(step.dataset.step) * size);
      clampBudget(input);
      input.form.dataset.dirty = "1";
      refresh(input.form);
    }
  });
  root.addEventListener("input", (event) => {
    const form = event.target.form;
    if (!form || !form.classList.contains("vote")) return;
    if (event.target.type === "number") clampBudget(event.target);
    refresh(form);
  });
  // Drag by the handle (pointer events: a finger, a mouse or a pen); the arrows and the
  // keyboard do the same for everyone else.
  let dragging = null;
  root.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".rank-handle");
    if (!handle) return;
    dragging = handle.closest(".rank");
    dragging.closest("form").dataset.dirty = "1";  // from now on, no update may reorder it
    dragging.classList.add("dragging");
    handle.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  root.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const list = dragging.parentElement;
    for (const other of list.children) {
      if (other === dragging) continue;
      const box = other.getBoundingClientRect();
      if (event.clientY > box.top && event.clientY < box.bottom) {
        const after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragging, after ? other.nextSibling : other);
        break;
      }
    }
  });
  const drop = () => {
    if (!dragging) return;
    const li = dragging;
    dragging = null;
    li.classList.remove("dragging");
    const form = li.closest("form");
    syncRanks(form);
    form.dataset.dirty = "1";
    announce(li.querySelector(".rank-text").textContent, Array.from(li.parentElement.children).indexOf(li) + 1);
  };
  root.addEventListener("pointerup", drop);
  root.addEventListener("pointercancel", drop);
}
