// The check page's own verifier: download the published record, recompute every hash of
// the chain with WebCrypto, open every reveal, recount every poll by the rules of
// docs/TRANSCRIPT.md, and compare with the results the record publishes. Written from the
// spec alone (it shares no code with the server): what it reports, the server did not say.
// It fills the page's markup (check.html); it builds none of its own beyond cloning rows.
"use strict";

(() => {
  const GENESIS = "0".repeat(64);
  const FULL = new Set(["single", "multiple", "rating", "ranking", "budget", "quiz"]);
  const SCORED = new Set(["quiz"]); // ballots earn points: docs/TRANSCRIPT.md "Recounting a quiz"
  const MAX_POINTS = 1000, MIN_POINTS = 500;
  const encoder = new TextEncoder();

  // Keys sort by Unicode code point, as the spec's canonical JSON says.
  function byCodePoint(a, b) {
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d !== 0) return d;
    }
    return x.length - y.length;
  }

  function canonical(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    switch (typeof value) {
      case "object": {
        const keys = Object.keys(value).sort(byCodePoint);
        return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
      }
      case "number":
        if (!Number.isSafeInteger(value)) throw new Error("not an integer: " + value);
        return String(value);
      case "string":
      case "boolean":
        return JSON.stringify(value);
      default:
        throw new Error("not JSON: " + typeof value);
    }
  }

  async function sha256(text) {
    const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function entryHash(prev, e) {
    const body = { room: e.room, seq: e.seq, at: e.at, actor: e.actor, op_id: e.op_id, type: e.type, data: e.data };
    return sha256(prev + "\n" + canonical(body));
  }

  // The recount rules (docs/TRANSCRIPT.md, "Recounting").
  function tally(defn, choices) {
    const out = { voters: choices.length };
    const n = (defn.options || []).length;
    if (defn.kind === "single" || defn.kind === "multiple" || defn.kind === "quiz") {
      const counts = new Array(n).fill(0);
      for (const c of choices) for (const i of defn.kind === "multiple" ? c : [c]) counts[i] += 1;
      out.counts = counts;
      if (defn.kind === "quiz") {
        out.correct = (defn.correct || []).slice().sort((a, b) => a - b);
        out.right = out.correct.reduce((sum, i) => sum + counts[i], 0);
      }
    } else if (defn.kind === "rating") {
      const counts = new Array(defn.scale || 0).fill(0);
      let total = 0;
      for (const v of choices) { counts[v - 1] += 1; total += v; }
      out.counts = counts;
      out.average = choices.length ? total / choices.length : null;
    } else if (defn.kind === "ranking" || defn.kind === "budget") {
      const points = new Array(n).fill(0);
      for (const c of choices) {
        c.forEach((v, pos) => {
          if (defn.kind === "ranking") points[v] += n - 1 - pos;
          else points[pos] += v;
        });
      }
      out.points = points;
    }
    return out;
  }

  // Points for being right and quick, over the revealed quizzes, per player key.
  function score(quizzes) {
    const players = new Map();
    const span = MAX_POINTS - MIN_POINTS;
    for (const p of quizzes) {
      const right = new Set(p.defn.correct || []);
      const window = Math.max(p.windowMs, 1);
      for (const [key, choice] of p.ballots) {
        if (!players.has(key)) players.set(key, { points: 0, right: 0, answered: 0, time_ms: 0 });
        const s = players.get(key);
        s.answered += 1;
        if (p.openedAt === null) continue;
        const cast = p.castAt.has(key) ? p.castAt.get(key) : p.openedAt;
        const elapsed = Math.max(cast - p.openedAt, 0);
        s.time_ms += elapsed;
        if (right.has(choice)) {
          s.points += MIN_POINTS + Math.floor((span * (window - Math.min(elapsed, window))) / window);
          s.right += 1;
        }
      }
    }
    return players;
  }

  // Best first: more points, less time, then the key by code point; equal points share a rank.
  function leaderboard(players) {
    const ranked = Array.from(players).sort(([ka, a], [kb, b]) =>
      b.points - a.points || a.time_ms - b.time_ms || byCodePoint(ka, kb));
    let rank = 0, last = null;
    return ranked.map(([key, s], i) => {
      if (s.points !== last) { rank = i + 1; last = s.points; }
      return { rank, player: key, points: s.points, right: s.right, answered: s.answered, time_ms: s.time_ms };
    });
  }

  function recount(entries) {
    let voteChanges = true;
    const polls = new Map();
    const counted = new Map(); // "poll key" -> seq of the ballot that stands
    const cast = new Set();
    const seen = new Set(); // actor and op_id of every entry with an op_id
    for (const e of entries) {
      if (e.op_id) {
        const op = e.actor + "\n" + e.op_id;
        if (seen.has(op)) continue; // a resend of an op already in the log: the first copy answered it
        seen.add(op);
      }
      const data = e.data || {};
      const settings = data.settings || {};
      if ((e.type === "room.created" || e.type === "room.updated") && "vote_changes" in settings) {
        voteChanges = Boolean(settings.vote_changes);
      }
      if (e.type === "poll.created") {
        polls.set(e.seq, {
          defn: data, state: "draft", closesAt: null, deleted: false, ballots: new Map(),
          revealed: false, openedAt: null, windowMs: 0, castAt: new Map(),
        });
        continue;
      }
      const poll = polls.get(data.poll_id);
      if (!poll) continue;
      if (e.type === "poll.edited" && poll.state === "draft") {
        poll.defn = Object.fromEntries(Object.entries(data).filter(([k]) => k !== "poll_id"));
      } else if (e.type === "poll.opened" && poll.state !== "open") {
        let deadline = data.closes_at;
        if (deadline === undefined || deadline === null) deadline = poll.defn.closes_at;
        poll.closesAt = deadline !== undefined && deadline !== null && deadline > e.at ? deadline : null;
        poll.state = "open";
        if (SCORED.has(poll.defn.kind) && poll.openedAt === null) {
          // Points fall from the first opening; the window is fixed then.
          poll.openedAt = e.at;
          poll.windowMs = poll.closesAt !== null ? poll.closesAt - e.at : Math.max(poll.defn.window_s || 0, 1) * 1000;
        }
      } else if (e.type === "poll.closed" && poll.state === "open") {
        poll.state = "closed";
      } else if (e.type === "poll.deleted") {
        poll.deleted = true;
      } else if (e.type === "poll.revealed" || e.type === "poll.hidden") {
        poll.revealed = e.type === "poll.revealed";
      } else if (e.type === "poll.restored") {  // an undone delete: its ballots never left
        poll.deleted = false;
      } else if (e.type === "ballot.cast" && poll.state === "open") {
        if (poll.closesAt !== null && e.at >= poll.closesAt) continue;
        const scored = SCORED.has(poll.defn.kind);
        if (scored && poll.revealed) continue; // its answers are out: too late
        const allowed = poll.defn.allow_changes;
        const changes = allowed === undefined || allowed === null ? voteChanges : allowed;
        if (poll.ballots.has(e.actor) && !changes) continue;
        poll.ballots.set(e.actor, data.choice);
        if (scored) poll.castAt.set(e.actor, e.at); // a changed answer counts from its change
        counted.set(data.poll_id + " " + e.actor, e.seq);
        cast.add(e.seq);
      }
    }
    const results = {};
    for (const [id, p] of polls) {
      if (p.deleted || p.state === "draft") continue;
      const choices = Array.from(p.ballots.values());
      results[id] = FULL.has(p.defn.kind) ? tally(p.defn, choices) : { voters: choices.length };
    }
    const standing = new Set();
    for (const [key, seq] of counted) if (key.split(" ")[0] in results) standing.add(seq);
    const quizzes = Array.from(polls.values()).filter((p) => SCORED.has(p.defn.kind) && p.revealed && !p.deleted);
    return { results, standing, cast, players: score(quizzes) };
  }

  function same(ours, theirs, kind) {
    for (const [key, value] of Object.entries(ours)) {
      if (!FULL.has(kind) && key !== "voters") continue;
      const shown = theirs ? theirs[key] : undefined;
      if (key === "average") {
        // The record rounds to two places; the spec allows that much.
        if ((value === null) !== (shown === null || shown === undefined)) return false;
        if (value !== null && Math.abs(value - shown) > 0.0051) return false;
      } else if (canonical(value) !== canonical(shown === undefined ? null : shown)) {
        return false;
      }
    }
    return true;
  }

  async function verify(record, receipt) {
    const problems = [];
    const entries = Array.isArray(record.entries) ? record.entries : [];
    let prev = GENESIS;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.seq !== i + 1) { problems.push(`entry ${i + 1}: seq ${e.seq}`); break; }
      if (e.prev !== prev) { problems.push(`seq ${e.seq}: prev is not the hash before it`); break; }
      if ((await entryHash(prev, e)) !== e.hash) { problems.push(`seq ${e.seq}: hash mismatch`); break; }
      prev = e.hash;
    }
    if (!entries.length) problems.push("no entries");
    if (problems.length) return { problems, entries: entries.length, results: null, leaderboard: null, receipt: null };
    if (!record.head || record.head.seq !== entries.length || record.head.hash !== prev) {
      problems.push("the head is not the last entry");
    }
    for (const [seq, fields] of Object.entries(record.reveals || {})) {
      const sealed = ((entries[Number(seq) - 1] || {}).data || {}).sealed || {};
      for (const [name, shown] of Object.entries(fields)) {
        if ((await sha256(shown.salt + "\n" + canonical(shown.value))) !== sealed[name]) {
          problems.push(`reveal ${seq}.${name} does not open its commitment`);
        }
      }
    }
    const { results, standing, cast, players } = recount(entries);
    const board = leaderboard(players);
    const published = new Map((record.polls || []).map((p) => [p.poll_id, p]));
    const ids = Object.keys(results).map(Number);
    if (ids.length !== published.size || ids.some((id) => !published.has(id))) {
      problems.push("the published polls are not the polls the log opened");
    }
    for (const id of ids) {
      const p = published.get(id);
      if (p && !same(results[id], p.results, p.kind)) problems.push(`poll ${id}: the recount differs`);
    }
    // Records published before the leaderboard was part of them hold none: nothing to compare.
    if ("leaderboard" in record && canonical(record.leaderboard) !== canonical(board)) {
      problems.push("the quiz leaderboard differs from the recount");
    }
    let found = null;
    const match = /^(\d+):([0-9a-fA-F]{16}|[0-9a-fA-F]{64})$/.exec((receipt || "").trim());
    if (match) {
      const seq = Number(match[1]);
      const e = entries[seq - 1];
      if (!e || !e.hash.startsWith(match[2].toLowerCase())) found = "missing";
      else if (e.type !== "ballot.cast") found = "not_ballot";
      else found = standing.has(seq) ? "counted" : cast.has(seq) ? "replaced" : "not_counted";
    }
    return { problems, entries: entries.length, results, leaderboard: board, receipt: found };
  }

  function show(state, section) {
    const line = section.querySelector("#verify-state");
    line.dataset.state = state;
    for (const span of line.querySelectorAll("[data-when]")) span.hidden = span.dataset.when !== state;
  }

  // The leaderboard table's rows, from this browser's own recount: the same rows the server
  // rendered (the page's row template), as many as it showed, keys cut as it cuts them.
  const KEY_SHOWN = 10;
  function showBoard(section, board, lang) {
    const table = section.querySelector("#verify-board");
    const row = section.querySelector("#verify-board-row");
    if (!table || !row || !Array.isArray(board)) return;
    const rows = board.slice(0, Number(table.dataset.rows) || 0).map((r) => {
      const tr = row.content.firstElementChild.cloneNode(true);
      const [rank, player, points] = tr.children;
      rank.textContent = r.rank.toLocaleString(lang);
      const key = player.querySelector("code");
      key.textContent = r.player.length > KEY_SHOWN ? r.player.slice(0, KEY_SHOWN) + "…" : r.player;
      key.title = r.player;
      points.textContent = r.points.toLocaleString(lang);
      return tr;
    });
    table.tBodies[0].replaceChildren(...rows);
    table.dataset.source = "browser";
  }

  async function run(section) {
    const button = section.querySelector("#verify-run");
    const list = section.querySelector("#verify-problems");
    const row = section.querySelector("#verify-problem");
    button.disabled = true;
    list.replaceChildren();
    show("running", section);
    let outcome;
    try {
      const response = await fetch(section.dataset.record, { credentials: "omit" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const input = document.getElementById("receipt");
      outcome = await verify(await response.json(), input ? input.value : "");
    } catch (error) {
      outcome = { problems: [String(error.message || error)], entries: 0, results: null, leaderboard: null, receipt: null };
    }
    for (const problem of outcome.problems) {
      const item = row.content.firstElementChild.cloneNode(true);
      item.textContent = problem;
      list.append(item);
    }
    // People read counts; the recounted results themselves stay in data-recount for tools.
    const lang = document.documentElement.lang || undefined;
    section.querySelector("#verify-entries").textContent = outcome.entries.toLocaleString(lang);
    const polls = outcome.results ? Object.keys(outcome.results).length : 0;
    section.querySelector("#verify-polls").textContent = polls.toLocaleString(lang);
    section.querySelector("#verify-summary").hidden = false;
    section.dataset.recount = JSON.stringify(outcome.results);
    section.dataset.leaderboard = JSON.stringify(outcome.leaderboard);
    section.dataset.receipt = outcome.receipt || "";
    showBoard(section, outcome.leaderboard, lang);
    show(outcome.problems.length ? "failed" : "ok", section);
    button.disabled = false;
  }

  // Outside a page (node, for the tests that hold this file to the spec's vectors and to
  // rooms/recount.py): hand over the pure parts instead of wiring the page.
  if (typeof document === "undefined") {
    if (typeof module === "object") module.exports = { canonical, recount, leaderboard, verify };
    return;
  }
  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("verifier");
    if (!section || !window.crypto || !crypto.subtle) return; // the download link remains
    const button = section.querySelector("#verify-run");
    button.hidden = false;
    button.addEventListener("click", () => run(section));
  });
})();
