// Discovery's progressive enhancements: a search box over the region checkboxes (the boxes work without it).
(() => {
  document.querySelectorAll("input[data-filter-list]").forEach((box) => {
    const list = document.getElementById(box.dataset.filterList);
    if (!list) {
      return;
    }
    const fold = (text) => text.toLocaleLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
    const narrow = () => {
      const wanted = fold(box.value.trim());
      list.querySelectorAll("[data-filter-group]").forEach((group) => {
        let shown = 0;
        group.querySelectorAll(".form-check").forEach((option) => {
          const label = option.querySelector("label span");
          const match = !wanted || fold(label ? label.textContent : "").includes(wanted);
          option.hidden = !match;
          shown += match ? 1 : 0;
        });
        group.hidden = shown === 0;
      });
    };
    box.addEventListener("input", narrow);
    // The box only narrows the list: it is not a filter, so it neither updates the results nor submits the form.
    box.addEventListener("change", (event) => event.stopPropagation());
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  });
})();
