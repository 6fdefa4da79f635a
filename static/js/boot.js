// The attendee page works without scripts (forms post, the server redirects back), so its
// enhancement (attendee.js and what it imports) loads after the page has, not before:
// on a weak network the first load is the page and its styles only.
const start = () => import("./attendee.js");
if (document.readyState === "complete") start();
else addEventListener("load", start, { once: true });
