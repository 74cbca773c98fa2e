// Warn about an oversized file before it is sent, so the rest of the form is not lost to a refused upload.
document.querySelectorAll("form[data-too-large] input[type=file][data-max-bytes]").forEach((input) => {
  input.addEventListener("change", () => {
    const limit = Number(input.dataset.maxBytes);
    const tooLarge = Array.from(input.files).some((file) => file.size > limit);
    input.setCustomValidity(tooLarge ? input.form.dataset.tooLarge : "");
    input.reportValidity();
  });
});
document.querySelectorAll("form[data-too-large]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    const invalid = form.querySelector("input[type=file]:invalid");
    if (invalid) {
      event.preventDefault();
      invalid.reportValidity();
    }
  });
});
