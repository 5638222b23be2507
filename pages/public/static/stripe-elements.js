// Stripe Elements, rendered only when STRIPE_PUBLISHABLE_KEY is set: a card
// field whose PaymentMethod id (pm_...) is put in the token field, so the
// server-side payment flow is the same as with test tokens.
(() => {
  const mount = document.getElementById("card-element");
  if (!mount || typeof Stripe !== "function") return;
  const stripe = Stripe(mount.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount(mount);
  const form = mount.closest("form");
  const token = document.getElementById("token");
  form.addEventListener("submit", async (event) => {
    if (form.dataset.ready) return;
    event.preventDefault();
    const { paymentMethod, error } = await stripe.createPaymentMethod({ type: "card", card });
    if (error) {
      mount.setAttribute("aria-invalid", "true");
      mount.dataset.error = error.message;
      return;
    }
    token.value = paymentMethod.id;
    form.dataset.ready = "1";
    form.submit();
  });
})();
