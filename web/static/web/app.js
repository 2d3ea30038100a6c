// MoveRx workspaces: the report progress bar. No framework, no network beyond this server.
(function () {
  "use strict";
  const box = document.getElementById("report-status");
  if (!box || ["done", "failed"].includes(box.dataset.status)) return;
  const bar = document.getElementById("report-progress");
  const text = box.querySelector(".status-text");
  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const report = await response.json();
        bar.value = report.progress;
        bar.textContent = report.progress + "%";
        text.textContent = report.status + " (" + report.progress + "%)";
        if (report.status === "done" || report.status === "failed") {
          window.location.replace("?report=" + report.id);
          return;
        }
      }
    } catch (error) { /* the server is restarting: try again */ }
    window.setTimeout(poll, 700);
  }
  poll();
})();
