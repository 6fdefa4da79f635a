// The socket.io reference for `python -m loadtests.bench --scenario socketio_ref`: the smallest
// socket.io 4 live poll we could write, to run beside the town hall on the same machine.
//
//   node loadtests/socketio_ref.js --port PORT [--tick-ms 100] [--options 4] [--max-seconds 600]
//
// Every socket joins one room. A "vote" event ({choice}) is counted in memory and acked with
// the count's sequence number ({seq}); every tick the tally ({seq, counts}) is emitted to the
// room, which socket.io encodes once and writes to each socket. Nothing is stored, checked
// beyond the choice's range, or rate limited: it is the floor a plain broadcaster reaches.
//
// Loopback only. It stops by itself: after --max-seconds, when its parent goes away, or on
// SIGTERM/SIGINT.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0 || at + 1 >= process.argv.length) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} wants a positive integer`);
  return value;
}

const port = option("port", 0);
const tickMs = option("tick-ms", 100);
const options = option("options", 4);
const maxSeconds = option("max-seconds", 600);

const httpServer = http.createServer((request, response) => {
  // The harness waits for this before it connects anyone; socket.io answers /socket.io/.
  response.statusCode = request.url === "/healthz" ? 200 : 404;
  response.end(request.url === "/healthz" ? "ok" : "");
});

const io = new Server(httpServer, {
  transports: ["websocket"], // as the town hall's clients: no long-polling
  serveClient: false,
  perMessageDeflate: false, // the town hall does not compress either
  maxHttpBufferSize: 4096, // a vote is a few dozen bytes
  pingInterval: 25000,
  pingTimeout: 20000,
});

const counts = new Array(options).fill(0);
let seq = 0;

io.on("connection", (socket) => {
  socket.join("room");
  socket.on("vote", (vote, ack) => {
    const choice = vote !== null && typeof vote === "object" ? vote.choice : undefined;
    const sound = Number.isInteger(choice) && choice >= 0 && choice < options;
    if (sound) {
      counts[choice] += 1;
      seq += 1;
    }
    if (typeof ack === "function") ack(sound ? { seq } : { error: "choice.invalid" });
  });
});

setInterval(() => io.to("room").emit("tally", { seq, counts }), tickMs);

function stop() {
  io.close();
  process.exit(0);
}

// Bounded: never outlives its run, or the harness that started it.
setTimeout(stop, maxSeconds * 1000).unref();
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    stop();
  }
}, 1000).unref();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

httpServer.listen(port, "127.0.0.1");
