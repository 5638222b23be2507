// Counts the seconds left to pay down on an order page. Without JavaScript the
// page's meta refresh shows the new state instead.
(() => {
  const span = document.getElementById("seconds-left");
  const served = span ? Number(span.textContent) : NaN;
  if (!Number.isFinite(served)) return;
  // How far this browser's clock is from the server's, when they disagree by
  // more than 5 s: the served count is the truth then.
  const expiresAt = Date.parse(span.dataset.expiresAt);
  const skew = Number.isFinite(expiresAt) && Math.abs(expiresAt - Date.now() - served * 1000) <= 5000
    ? 0
    : expiresAt - (Date.now() + served * 1000);
  let deadline = Number.isFinite(expiresAt) ? expiresAt - skew : Date.now() + served * 1000;
  // live-order.js hands over the server's deadline whenever the order changes.
  span.addEventListener("deadline", () => {
    const corrected = Date.parse(span.dataset.expiresAt);
    if (Number.isFinite(corrected)) deadline = corrected - skew;
  });
  const timer = setInterval(() => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    if (left > 0) {
      span.textContent = String(left);
      return;
    }
    clearInterval(timer);
    span.closest("[data-testid=countdown]").textContent = "Order expired";
  }, 1000);
})();
