// <townhall-results>: a poll's live results, for overlays on other sites (OBS browser
// sources, iframes, a council's own page). It is the one piece of markup JavaScript builds:
// the embedding page is not ours, so there is no server-rendered copy to enhance.
//
//   <script type="module" src="https://townhall.example.org/static/js/townhall-results.js"></script>
//   <townhall-results server="https://townhall.example.org" room="K7F3QX"
//                     token="EMBED_TOKEN" poll="latest"></townhall-results>
//
// poll: a poll_id, or "latest" (the newest poll whose results the overlay may see). The page's
// origin must be in TOWNHALL_ALLOWED_ORIGINS. Style it with CSS custom properties:
// --th-text, --th-bar, --th-track, --th-font. It resumes with `since` after a drop or a
// restart (docs/PROTOCOL.md §3.4), and shows nothing until there are results to show.

const BACKOFF_S = [0.5, 1, 2, 4, 8, 15];

const STYLE = `
:host { display: block; font: var(--th-font, 600 1.1rem/1.3 system-ui, sans-serif);
        color: var(--th-text, #fff); background: transparent; }
.question { margin: 0 0 .5em; font-size: 1.2em; }
.row { display: grid; grid-template-columns: minmax(6em, 40%) 1fr auto; gap: .5em;
       align-items: center; margin: .25em 0; }
.track { background: var(--th-track, rgba(255,255,255,.2)); border-radius: .3em; height: 1.1em; }
.bar { background: var(--th-bar, #4da3ff); height: 100%; border-radius: .3em; width: 0;
       transition: width .4s ease; }
.voters { margin-top: .4em; font-size: .85em; opacity: .85; }
`;

class TownhallResults extends HTMLElement {
  static get observedAttributes() { return ["poll", "room", "token", "server"]; }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.polls = new Map();
    this.seq = 0;
    this.attempt = 0;
    this.socket = null;
  }

  connectedCallback() { this.restart(); }

  disconnectedCallback() { this.stop(); }

  attributeChangedCallback(name, before, after) {
    if (name === "poll") this.render();
    else if (before !== after && this.isConnected) {
      this.seq = 0;  // another room or token: start from a snapshot
      this.restart();
    }
  }

  stop() {
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
  }

  restart() {
    this.stop();
    if (this.getAttribute("room") && this.getAttribute("token")) this.open();
  }

  url() {
    const server = new URL(this.getAttribute("server") || location.origin);
    server.protocol = server.protocol === "https:" ? "wss:" : "ws:";
    server.pathname = `/ws/rooms/${encodeURIComponent(this.getAttribute("room") || "")}`;
    server.search = new URLSearchParams({
      token: this.getAttribute("token") || "",
      ...(this.seq ? { since: String(this.seq) } : {}),
    }).toString();
    return server.toString();
  }

  open() {
    const socket = new WebSocket(this.url(), "townhall.v1.json");
    this.socket = socket;
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onopen = () => { this.attempt = 0; };
    socket.onclose = () => {
      if (this.socket !== socket) return;  // replaced or stopped on purpose
      const base = BACKOFF_S[Math.min(this.attempt++, BACKOFF_S.length - 1)];
      const wait = (base / 2 + Math.random() * base / 2) * 1000;
      setTimeout(() => { if (this.socket === socket) this.open(); }, wait);
    };
  }

  receive(frame) {
    if (typeof frame.seq === "number" && frame.type !== "ack" && frame.type !== "pong") {
      this.seq = Math.max(this.seq, frame.seq);
    }
    if (frame.type === "snapshot") {
      this.polls = new Map((frame.room.polls || []).map((p) => [p.poll_id, p]));
    } else if (frame.type === "poll.tally") {
      const poll = this.polls.get(frame.poll_id);
      if (poll) poll.results = frame.results;
    } else if (frame.type === "poll.removed") {
      this.polls.delete(frame.poll_id);
    } else if (frame.poll && typeof frame.poll.poll_id === "number") {
      this.polls.set(frame.poll.poll_id, frame.poll);  // frames are upserts
    } else {
      return;
    }
    this.render();
  }

  chosen() {
    const wanted = this.getAttribute("poll") || "latest";
    if (wanted !== "latest") return this.polls.get(Number(wanted));
    const shown = [...this.polls.values()].filter((p) => p.results);
    return shown.sort((a, b) => b.poll_id - a.poll_id)[0];
  }

  rows(poll) {
    const r = poll.results;
    if (Array.isArray(r.counts)) {
      const labels = poll.options && poll.options.length === r.counts.length
        ? poll.options : r.counts.map((_, i) => String(i + 1));
      return labels.map((label, i) => [label, r.counts[i]]);
    }
    if (Array.isArray(r.points)) return poll.options.map((label, i) => [label, r.points[i]]);
    if (r.words) return Object.entries(r.words);
    return [];
  }

  render() {
    const poll = this.chosen();
    const root = this.root;
    root.replaceChildren();
    const style = document.createElement("style");
    style.textContent = STYLE;
    root.append(style);
    if (!poll || !poll.results) return;
    const question = document.createElement("p");
    question.className = "question";
    question.textContent = poll.question;  // text, never markup: the room's words
    root.append(question);
    const rows = this.rows(poll);
    const top = Math.max(1, ...rows.map(([, n]) => n));
    for (const [label, count] of rows) {
      const row = document.createElement("div");
      row.className = "row";
      const name = document.createElement("span");
      name.textContent = label;
      const track = document.createElement("div");
      track.className = "track";
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = `${(100 * count) / top}%`;
      track.append(bar);
      const figure = document.createElement("span");
      figure.textContent = String(count);
      row.append(name, track, figure);
      root.append(row);
    }
    const voters = document.createElement("div");
    voters.className = "voters";
    voters.textContent = `${poll.results.voters} ✓`;
    root.append(voters);
  }
}

customElements.define("townhall-results", TownhallResults);
