// The example page's only glue: the room, token, poll and server from its own address.
const params = new URLSearchParams(location.search);
const results = document.getElementById("results");
for (const name of ["server", "poll", "room", "token"]) {
  if (params.get(name)) results.setAttribute(name, params.get(name));
}
