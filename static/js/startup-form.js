// The founder's form, live: character counters, section progress and the description's preview.
// The server computes all three on every page load; this script only keeps them current while typing.
(() => {
  const form = document.getElementById("startup-form");
  if (!form) return;
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "en");
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);

  // Counters: "123 / 10,000 characters", announced politely once typing pauses.
  form.querySelectorAll("[data-counter-for]").forEach((counter) => {
    const input = document.getElementById(counter.dataset.counterFor);
    if (!input) return;
    let timer;
    const update = () => {
      counter.textContent = fill(counter.dataset.template, {
        count: numbers.format(input.value.length),
        limit: numbers.format(Number(input.getAttribute("maxlength"))),
      });
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 400);
    });
  });

  // Progress: a section is complete when each of its required fields has a value (the server's rule).
  const progress = document.getElementById("form-progress");
  const filled = (name) =>
    Array.from(form.querySelectorAll(`[data-required="${name}"]`)).some((control) =>
      control.type === "file" ? control.files.length > 0 : control.value.trim() !== "",
    );
  const updateProgress = () => {
    const sections = Array.from(form.querySelectorAll("fieldset[data-section]"));
    let done = 0;
    sections.forEach((section) => {
      const names = new Set(Array.from(section.querySelectorAll("[data-required]"), (c) => c.dataset.required));
      const complete = Array.from(names).every(filled);
      done += complete ? 1 : 0;
      const item = document.querySelector(`[data-section-status="${section.dataset.section}"]`);
      if (item && item.dataset.complete !== String(complete)) {
        item.dataset.complete = String(complete);
        item.querySelector("i").className = complete
          ? "bi bi-check-circle-fill text-success"
          : "bi bi-circle text-body-secondary";
        const list = item.closest("[data-complete-text]");
        item.querySelector("[data-state]").textContent = complete
          ? list.dataset.completeText
          : list.dataset.incompleteText;
      }
    });
    if (!progress) return;
    const label = document.getElementById("progress-label");
    const text = fill(progress.dataset.template, { done, total: sections.length });
    if (label.textContent !== text) label.textContent = text;
    document.getElementById("progress-bar").value = done;
  };
  form.addEventListener("input", updateProgress);
  form.addEventListener("change", updateProgress);

  // Preview: the server renders the Markdown through the same sanitiser as the startup page.
  const token = form.elements.csrf_token.value;
  form.querySelectorAll("[data-preview-of]").forEach((pane) => {
    const input = document.getElementById(pane.dataset.previewOf);
    if (!input) return;
    let timer;
    let controller;
    const render = async () => {
      if (controller) controller.abort();
      controller = new AbortController();
      const body = new FormData();
      body.append("csrf_token", token);
      body.append("text", input.value);
      try {
        const response = await fetch(pane.dataset.previewUrl, {
          method: "POST",
          body,
          headers: { "X-CSRFToken": token },
          signal: controller.signal,
          credentials: "same-origin",
        });
        if (response.ok) pane.innerHTML = await response.text(); // sanitised by the server (nh3)
      } catch (error) {
        if (error.name !== "AbortError") pane.dataset.stale = "true";
      }
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(render, 600);
    });
  });
})();
