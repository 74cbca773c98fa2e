// Draws the evidence charts from each canvas's data-chart JSON; the table beside each chart holds the same figures.
(() => {
  if (typeof Chart === "undefined") {
    return;
  }
  const colours = ["#0b4f6c", "#d08c00", "#2a7f62", "#b0413e"];
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = JSON.parse(canvas.dataset.chart);
    const horizontal = Boolean(spec.horizontal);
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map((series, i) => ({
          label: series.label,
          data: series.data,
          backgroundColor: colours[i % colours.length],
          borderColor: colours[i % colours.length],
          tension: 0.2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 400 },
        indexAxis: horizontal ? "y" : "x",
        scales: {
          [horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 } },
          [horizontal ? "y" : "x"]: { ticks: { autoSkip: false } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  });
})();
