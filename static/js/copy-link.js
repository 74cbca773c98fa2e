// "Copy link" buttons: put the button's data-copy text on the clipboard and say so in its status line.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  button.hidden = false; // without script the link itself is there to copy by hand
  const status = document.getElementById(button.getAttribute("aria-describedby") || "");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      if (status) status.textContent = button.dataset.copied;
    } catch {
      if (status) status.textContent = button.dataset.copyFailed;
    }
  });
});
