// Moves an open order page on the moment its order changes (paid, expired,
// cancelled, a payment started in another tab): the order's live channel
// (docs/live.md) says so and the page loads its new state. Each message also
// corrects the countdown's deadline from the server. Without this script the
// page's meta refresh does the same, later.
(() => {
  const card = document.querySelector("[data-live]");
  if (!card || !("WebSocket" in window) || !window.Live) return;
  const shown = Number(card.dataset.version);
  // A form being sent (pay, cancel) answers with the new page itself: the
  // channel must not navigate away from that answer.
  let leaving = false;
  const socket = Live.open(card.dataset.live, (message) => {
    if (leaving || message.type !== "order") return;
    const order = message.order;
    const countdown = document.getElementById("seconds-left");
    if (countdown && countdown.dataset.expiresAt !== order.expiresAt) {
      countdown.dataset.expiresAt = order.expiresAt;
      countdown.dispatchEvent(new Event("deadline"));
    }
    // The page may be the answer to a form post: load the order's own URL.
    if (order.version > shown) location.replace(card.dataset.page);
  }, () => !leaving);
  document.addEventListener("submit", () => {
    leaving = true;
    if (socket()) socket().close();
  });
})();
