// One room over one WebSocket: the snapshot, frames folded into a local copy, resume with
// ?since=<seq>, reconnect with backoff, and an offline queue of operations in localStorage.
// Rendering is the page's job: `onChange` is called at most once per animation frame.
//
// An op leaves the queue only with its answer. An answer that says "not now" (the room is
// busy, the store is unavailable, too many frames) is not an answer: the op stays queued
// and is sent again, the same op_id so it can never count twice, after a growing delay;
// `onPending` tells the page how many ops are waiting like that.

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const NOT_NOW = new Set(["server.busy", "server.unavailable", "rate.limited"]);
const CLOSE_SHUT_OUT = 4003;  // server/live/connection.py CLOSE_BANNED

function jittered(attempt) {
  const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
  return base / 2 + Math.random() * base / 2;
}

export function pageConfig() {
  const data = document.body.dataset;
  const parse = (text) => { try { return JSON.parse(text || "{}"); } catch { return {}; } };
  // strings: plain translations; i18n: plural forms, words for codes, the page's language.
  return { code: data.code, role: data.role, token: data.token || "", strings: parse(data.strings), i18n: parse(data.i18n) };
}

export function newOpId() {
  // crypto.randomUUID needs a secure context; phones on a LAN address are not one.
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
}

function byId(list, key, id) { return list.findIndex((item) => item[key] === id); }

function upsert(list, key, item) {
  const i = byId(list, key, item[key]);
  if (i >= 0) list[i] = item; else list.push(item);
}

// Folds one server frame into {room, you}. Unknown types change nothing.
export function applyFrame(model, frame) {
  const room = model.room;
  const you = model.you;
  if (!room) return;
  const t = frame.type;
  if (frame.poll) {
    room.polls = room.polls || [];
    upsert(room.polls, "poll_id", frame.poll);
  } else if (t === "poll.tally") {
    const poll = (room.polls || []).find((p) => p.poll_id === frame.poll_id);
    if (poll) poll.results = frame.results;
  } else if (t === "poll.removed") {
    room.polls = (room.polls || []).filter((p) => p.poll_id !== frame.poll_id);
  } else if (frame.question) {
    room.questions = room.questions || [];
    const q = frame.question;
    if (q.pinned) {
      for (const other of room.questions) other.pinned = other.question_id === q.question_id;
      room.pinned = q.question_id;
    } else if (room.pinned === q.question_id) {
      room.pinned = null;
    }
    upsert(room.questions, "question_id", q);
  } else if (t === "question.removed") {
    room.questions = (room.questions || []).filter((q) => q.question_id !== frame.question_id);
    if (room.pinned === frame.question_id) room.pinned = null;
  } else if (t === "speaker.queue") {
    room.speaker = { current: frame.current, queue: frame.queue, length: frame.length };
  } else if (t === "reaction.counts") {
    room.reactions = { window_start: frame.window_start, window_ms: frame.window_ms, counts: frame.counts };
  } else if (t === "room.participants") {
    room.participants = frame.count;
  } else if (t === "moderation.ledger") {
    room.ledger = frame.ledger;
  } else if (t === "quiz.leaderboard") {
    room.leaderboard = frame.leaderboard;
  } else if (you && t === "quiz.scored") {
    const polls = { ...((you.quiz && you.quiz.polls) || {}), [String(frame.poll_id)]: frame.points };
    you.quiz = { points: frame.total, polls };
  } else if (frame.room) {
    Object.assign(room, frame.room);
  } else if (you && t.startsWith("question.") && frame.question_id !== undefined) {
    // Personal: what happened to one of my own questions.
    you.questions = you.questions || [];
    upsert(you.questions, "question_id", {
      question_id: frame.question_id, text: frame.text, state: frame.state, reason: frame.reason,
    });
  } else if (you && t.startsWith("answer.") && frame.answer_id !== undefined) {
    you.answers = you.answers || [];
    upsert(you.answers, "answer_id", frame);
  } else if (you && t === "speaker.position") {
    you.speaker = { position: frame.position, speaking: false };
  } else if (you && t === "speaker.called") {
    you.speaker = { position: null, speaking: true };
  } else if (you && t === "speaker.skipped") {
    you.speaker = { position: null, speaking: false };
  } else if (you && t === "participant.banned") {
    you.banned = true;
  }
}

// What a successful ack means for `you`, given the op that was sent.
function applyAck(model, sent, ack) {
  const you = model.you;
  if (!you || !sent) return;
  const f = sent.fields;
  if (sent.op === "vote") {
    you.ballots = you.ballots || {};
    you.ballots[String(f.poll_id)] = f.choice;
  } else if (sent.op === "question.ask") {
    you.questions = you.questions || [];
    upsert(you.questions, "question_id",
      { question_id: ack.question_id, text: f.text.trim(), state: ack.state || "pending", reason: null });
  } else if (sent.op === "question.upvote") {
    you.upvotes = (you.upvotes || []).filter((id) => id !== f.question_id).concat([f.question_id]);
  } else if (sent.op === "question.unvote") {
    you.upvotes = (you.upvotes || []).filter((id) => id !== f.question_id);
  } else if (sent.op === "question.withdraw") {
    you.questions = (you.questions || []).filter((q) => q.question_id !== f.question_id);
  } else if (sent.op === "speaker.request") {
    you.speaker = { position: ack.position ?? null, speaking: false };
  } else if (sent.op === "speaker.withdraw") {
    you.speaker = { position: null, speaking: false };
  }
}

export class LiveRoom {
  constructor({ code, token, onChange, onStatus, onAnswer, onPending, onShutOut, onUnopened }) {
    this.code = code;
    this.token = token;
    this.onChange = onChange || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onAnswer = onAnswer || (() => {});
    this.onPending = onPending || (() => {});
    // Told to stay out (banned, link revoked): no reconnecting. A socket that never opened
    // may be a refusal the browser hides behind 1006; the page can ask over HTTP why.
    this.onShutOut = onShutOut || null;
    this.onUnopened = onUnopened || null;
    this.stopped = false;
    this.retries = new Map();  // op_id -> {attempt, timer} for ops told "not now"
    this.model = { room: null, you: null, seq: 0 };
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.scheduled = false;
    this.queueKey = `th_queue_${code}`;
    this.lastFrame = null;
    addEventListener("offline", () => { this.onStatus("offline"); if (this.ws) this.ws.close(); });
    addEventListener("online", () => { this.attempt = 0; this.connect(); });
  }

  get queue() {
    try { return JSON.parse(localStorage.getItem(this.queueKey) || "[]"); } catch { return []; }
  }

  set queue(items) {
    try { localStorage.setItem(this.queueKey, JSON.stringify(items)); } catch { /* private mode: memory only */ }
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const params = new URLSearchParams();
    if (this.token) params.set("token", this.token);
    if (this.model.room && this.model.seq) params.set("since", String(this.model.seq));
    const query = params.toString();
    return `${scheme}://${location.host}/ws/rooms/${encodeURIComponent(this.code)}${query ? "?" + query : ""}`;
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    if (!navigator.onLine) { this.onStatus("offline"); return; }
    this.onStatus("connecting");
    const ws = new WebSocket(this.url(), ["townhall.v1.json"]);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.onStatus("online");
      for (const item of this.queue) this.transmit(item);  // the server dedupes by op_id
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === CLOSE_SHUT_OUT && this.onShutOut) { this.stopped = true; this.onShutOut(); return; }
      if (!opened && navigator.onLine && this.onUnopened) this.onUnopened();
      this.onStatus(navigator.onLine ? "connecting" : "offline");
      if (!navigator.onLine) return;  // the "online" event reconnects
      this.timer = setTimeout(() => this.connect(), jittered(this.attempt));
      this.attempt += 1;
    };
  }

  receive(text) {
    let frame;
    try { frame = JSON.parse(text); } catch { return; }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "ack" || frame.type === "error") {
      this.answered(frame);
    } else if (frame.type === "snapshot") {
      this.model.room = frame.room;
      this.model.you = frame.you;
    } else if (frame.type === "you") {
      this.model.you = frame.you;  // after a resume: your own facts, whole
    } else {
      applyFrame(this.model, frame);
    }
    if (typeof frame.seq === "number" && frame.type !== "ack") {
      this.model.seq = Math.max(this.model.seq, frame.seq);
    }
    this.lastFrame = frame;
    this.schedule(frame);
  }

  answered(frame) {
    const items = this.queue;
    const sent = items.find((item) => item.op_id === frame.op_id);
    if (sent && frame.type === "error" && NOT_NOW.has(frame.code)) {
      this.retryLater(sent);  // still queued: the same op_id again, later
      return;
    }
    if (frame.op_id !== undefined) {
      this.queue = items.filter((item) => item.op_id !== frame.op_id);
      this.settled(frame.op_id);
    }
    if (frame.type === "ack") applyAck(this.model, sent, frame);
    this.onAnswer(frame, sent);
  }

  retryLater(item) {
    const retry = this.retries.get(item.op_id) || { attempt: 0, timer: null };
    clearTimeout(retry.timer);
    retry.timer = setTimeout(() => {
      retry.timer = null;
      const still = this.queue.find((queued) => queued.op_id === item.op_id);
      if (still) this.transmit(still);  // if the socket is down meanwhile, onopen sends it
    }, jittered(retry.attempt));
    retry.attempt += 1;
    this.retries.set(item.op_id, retry);
    this.onPending(this.retries.size);
  }

  settled(opId) {
    const retry = this.retries.get(opId);
    if (!retry) return;
    clearTimeout(retry.timer);
    this.retries.delete(opId);
    this.onPending(this.retries.size);
  }

  schedule(frame) {
    this.pending = (this.pending || []).concat([frame]);
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const frames = this.pending;
      this.pending = [];
      if (this.model.room) this.onChange(this.model, frames);
    });
  }

  // Queue first, then send: an op survives a reload or a dropped connection until answered.
  send(op, fields) {
    const item = { op, op_id: newOpId(), fields };
    this.queue = this.queue.concat([item]);
    const sent = this.transmit(item);
    return { item, sent };
  }

  transmit(item) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ op: item.op, op_id: item.op_id, ...item.fields }));
    return true;
  }
}
