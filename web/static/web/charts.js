// Render every chart whose specification the page carries in a <script type="application/json">.
(function () {
  "use strict";
  function render() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      const source = document.getElementById(element.dataset.chart);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, spec.data, spec.layout, { displaylogo: false, responsive: true, displayModeBar: false });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render); else render();
})();
