// Dashboard charts: Chart.js (vendor/chartjs, loaded before this file) draws each <canvas> from the
// JSON data block the server rendered beside it. Without scripts, or if Chart.js failed to load,
// the tables beside the canvases stay the chart.
"use strict";
(() => {
  if (!window.Chart) return;
  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue(name).trim();
  // Statuses wear the colours their badges have elsewhere on the settings page.
  const statusColours = { written: "--ok", notified: "--ok", waiting: "--warn", received: "--warn",
                          decided: "--warn", dead: "--bad" };
  const bar = "#5b82f0";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = colour("--muted");

  const options = (kind, unit) => {
    const across = kind === "bars";  // one horizontal bar per label
    const value = { beginAtZero: true, ticks: { precision: 0 }, grid: { color: colour("--line") } };
    const label = { grid: { display: false }, ticks: { autoSkip: !across, maxRotation: 0 } };
    // A long rule name would squeeze its bar to nothing; the tooltip and the table keep it whole.
    if (across) label.ticks.callback = function (tick) {
      const text = this.getLabelForValue(tick);
      return text.length > 18 ? `${text.slice(0, 17)}…` : text;
    };
    return {
      indexAxis: across ? "y" : "x",
      maintainAspectRatio: false,
      animation: false,  // figures, not a show: draw at once (and the same in every screenshot)
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${item.formattedValue}${unit}` } },
      },
      scales: across ? { x: value, y: label } : { x: label, y: value },
    };
  };

  document.querySelectorAll("canvas[data-kind]").forEach((canvas) => {
    const source = document.getElementById(`${canvas.id}-data`);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const box = canvas.parentElement;
    const kind = canvas.dataset.kind;
    box.hidden = false;  // before drawing: Chart.js sizes the canvas to its box
    // Bars get a fixed height each, so a long list of rules grows the card instead of squashing.
    if (kind === "bars") box.style.height = `${Math.max(120, data.labels.length * 30 + 40)}px`;
    const colours = canvas.id === "chart-statuses"
      ? data.labels.map((status) => (statusColours[status] ? colour(statusColours[status]) : bar)) : bar;
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ data: data.values, backgroundColor: colours, borderRadius: 3 }] },
      options: options(kind, data.unit),
    });
    // The table stays in the page for screen readers; sighted readers have the chart.
    canvas.closest("figure").querySelector(".chart-numbers").classList.add("sr-only");
  });
})();
