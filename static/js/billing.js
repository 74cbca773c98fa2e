// The card form: Stripe.js collects the card and confirms a SetupIntent, then the form sends only its id.
(() => {
  const form = document.getElementById("card-form");
  if (!form) return;
  const errors = document.getElementById("card-errors");
  const button = document.getElementById("card-submit");
  const show = (message) => {
    errors.textContent = message;
    button.disabled = false;
  };
  if (typeof window.Stripe !== "function") {
    show(form.dataset.unavailable);
    button.disabled = true;
    return;
  }
  const stripe = window.Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    let answer;
    try {
      const response = await fetch(form.dataset.setupUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": form.elements.csrf_token.value },
        body: new URLSearchParams({ purpose: form.dataset.purpose }),
      });
      answer = await response.json().catch(() => ({}));
      if (!response.ok || !answer.client_secret) {
        show(answer.error || form.dataset.unavailable);
        return;
      }
    } catch (error) {
      show(form.dataset.unavailable);
      return;
    }
    let result;
    try {
      result = await stripe.confirmCardSetup(answer.client_secret, {
        payment_method: { card, billing_details: { name: form.dataset.name, email: form.dataset.email } },
      });
    } catch (error) {
      show(form.dataset.unavailable);
      return;
    }
    if (result.error) {
      // Stripe's errors have a type and a message meant for the user; anything else is a network failure.
      show(result.error.type ? result.error.message || form.dataset.declined : form.dataset.unavailable);
      return;
    }
    form.elements.setup_intent.value = result.setupIntent.id;
    form.submit();
  });
})();
