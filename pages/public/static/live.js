// What the live scripts share (docs/live.md): a channel that reconnects with
// doubling backoff, and a ticket's state and price as the pages show them.
window.Live = (() => {
  const labels = { available: "Available", reserved: "Reserved", sold: "Sold", closed: "Closed", withdrawn: "Withdrawn", owned: "Owned" };
  const classes = { available: "status-ok", owned: "status-ok", reserved: "status-wait" };
  return {
    label: (state) => labels[state] || state,
    statusClass: (state) => "status " + (classes[state] || "status-done"),
    money: (cents) => "$" + (cents / 100).toFixed(2),
    // Opens the channel at `path` and keeps it open (0.5 s, 1 s … 30 s
    // between tries) while `wanted()` says so; each message goes to
    // `onMessage` parsed. Answers a function that gives the open socket.
    open(path, onMessage, wanted = () => true) {
      let socket = null;
      let delay = 500;
      const connect = () => {
        if (!wanted()) return;
        const scheme = location.protocol === "https:" ? "wss://" : "ws://";
        socket = new WebSocket(scheme + location.host + (typeof path === "function" ? path() : path));
        socket.onopen = () => { delay = 500; };
        socket.onmessage = (event) => onMessage(JSON.parse(event.data));
        socket.onclose = () => {
          setTimeout(connect, delay);
          delay = Math.min(delay * 2, 30000);
        };
      };
      connect();
      return () => socket;
    },
  };
})();
