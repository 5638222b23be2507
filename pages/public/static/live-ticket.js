// Keeps an open ticket page current: its state, price and Purchase button
// follow the ticket's live channel (docs/live.md). Without this script the
// page is as served.
(() => {
  const page = document.querySelector("[data-live]");
  if (!page || !("WebSocket" in window) || !window.Live) return;
  const status = document.querySelector("[data-testid=ticket-status]");
  const price = document.querySelector("[data-testid=ticket-price]");
  const heldUntil = document.querySelector("[data-testid=held-until]");
  const purchase = document.querySelector("[data-testid=purchase]");
  const when = (iso) => new Date(iso).toLocaleString("en-GB", {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC",
  }).replace(" at ", ", ") + " UTC";
  let version = -1;
  Live.open(page.dataset.live, (message) => {
    const ticket = message.ticket;
    if (message.type !== "ticket" || ticket.version < version) return; // older than shown
    version = ticket.version;
    status.textContent = Live.label(ticket.state);
    status.className = Live.statusClass(ticket.state);
    price.textContent = Live.money(ticket.priceCents);
    heldUntil.textContent = ticket.heldUntil ? " until " + when(ticket.heldUntil) : "";
    if (purchase) purchase.disabled = ticket.state !== "available";
  });
})();
