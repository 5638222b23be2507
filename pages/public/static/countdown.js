// Counts the seconds left to pay down on an order page. Without JavaScript the
// page's meta refresh shows the new state instead.
(() => {
  const span = document.getElementById("seconds-left");
  const served = span ? Number(span.textContent) : NaN;
  if (!Number.isFinite(served)) return;
  let deadline = Date.parse(span.dataset.expiresAt);
  // A browser clock that disagrees with the server's: trust the server's count.
  if (!Number.isFinite(deadline) || Math.abs(deadline - Date.now() - served * 1000) > 5000) {
    deadline = Date.now() + served * 1000;
  }
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
