// Stripe.js, only when STRIPE_PUBLISHABLE_KEY is set.
// - #card-element: a card field whose PaymentMethod id (pm_...) is put in the
//   token field, so the server-side payment flow is the same as with test tokens.
// - #authenticate: the card needs 3-D Secure; Stripe opens the bank's check,
//   then the order page is loaded again (the webhook settles the order).
(() => {
  if (typeof Stripe !== "function") return;
  const auth = document.getElementById("authenticate");
  if (auth) {
    const stripe = Stripe(auth.dataset.publishableKey);
    const back = () => window.location.assign(window.location.pathname.replace(/\/pay$/, ""));
    stripe.handleNextAction({ clientSecret: auth.dataset.clientSecret }).then(back, back);
  }
  const mount = document.getElementById("card-element");
  if (!mount) return;
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
