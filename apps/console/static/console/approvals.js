// The approvals inbox, live: on any event of the `approvals` topic (a new request, a decision, an expiry),
// reload the lists in place. The console's session cookie authenticates the WebSocket; it reconnects with backoff.
(function () {
  // Loaded with `defer` after htmx (django-htmx defers it too), so both are there when this runs.
  if (!document.getElementById("approvals-lists") || !window.WebSocket || !window.htmx) return;
  let delay = 1000;
  let pending = null;
  function refresh() {
    clearTimeout(pending);  // a burst of events (quorum, escalation) reloads once
    pending = setTimeout(function () {
      htmx.ajax("GET", window.location.pathname, {target: "#approvals-lists", select: "#approvals-lists", swap: "outerHTML"});
    }, 150);
  }
  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/api/v1/ws/unified");
    socket.addEventListener("open", function () {
      delay = 1000;
      socket.send(JSON.stringify({type: "subscribe", topic: "approvals"}));
    });
    socket.addEventListener("message", function (message) {
      const data = JSON.parse(message.data);
      if (data.type === "heartbeat") socket.send(JSON.stringify({type: "pong"}));
      if (data.type === "event" && data.topic === "approvals") refresh();
    });
    socket.addEventListener("close", function () {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
