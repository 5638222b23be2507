// Keeps an open ticket page current: its state, price and Purchase button
// follow the ticket's live channel (docs/live.md), reconnecting with backoff.
// Without this script the page is as served.
(() => {
  const page = document.querySelector("[data-live]");
  if (!page || !("WebSocket" in window)) return;
  const status = document.querySelector("[data-testid=ticket-status]");
  const price = document.querySelector("[data-testid=ticket-price]");
  const heldUntil = document.querySelector("[data-testid=held-until]");
  const purchase = document.querySelector("[data-testid=purchase]");
  const labels = { available: "Available", reserved: "Reserved", sold: "Sold", closed: "Closed", withdrawn: "Withdrawn", owned: "Owned" };
  const classes = { available: "status-ok", owned: "status-ok", reserved: "status-wait" };
  const when = (iso) => new Date(iso).toLocaleString("en-GB", {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC",
  }).replace(" at ", ", ") + " UTC";
  let version = -1;
  const show = (ticket) => {
    if (ticket.version < version) return; // an older state than the one shown
    version = ticket.version;
    status.textContent = labels[ticket.state] || ticket.state;
    status.className = "status " + (classes[ticket.state] || "status-done");
    price.textContent = "$" + (ticket.priceCents / 100).toFixed(2);
    heldUntil.textContent = ticket.heldUntil ? " until " + when(ticket.heldUntil) : "";
    if (purchase) purchase.disabled = ticket.state !== "available";
  };
  let delay = 500;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + page.dataset.live);
    socket.onopen = () => { delay = 500; };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "ticket") show(message.ticket);
    };
    socket.onclose = () => {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  };
  connect();
})();
