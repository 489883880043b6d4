// Fills the wall-time table and the cost table's measured cells from timings.js
// (window.memauditTimings) once the page loads.
window.addEventListener("load", () => {
  const rows = window.memauditTimings || [];
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const cell = v => v === null || v === undefined ? "n/a" : String(v);
  const body = rows.map(r => "<tr>" + cols.map(c => "<td>" + cell(r[c]) + "</td>").join("") + "</tr>").join("");
  document.getElementById("wall-times").innerHTML =
    "<table><thead><tr>" + cols.map(c => "<th>" + c + "</th>").join("") + "</tr></thead><tbody>" + body + "</tbody></table>";
  const by = {};
  rows.forEach(r => { by[r.stage + ":" + r.dataset + "/" + r.model] = r; });
  document.querySelectorAll("[data-train]").forEach(td => {
    const r = by["train:" + td.dataset.train];
    if (r) td.textContent = (r.seconds / 60).toFixed(1) + " min (" + (r.device || "?") + ")";
  });
  document.querySelectorAll("[data-infer]").forEach(td => {
    const r = by["infer:" + td.dataset.infer];
    if (r && r.frames) td.textContent = (r.frames / r.seconds).toFixed(1) + " frames/s (" + (r.device || "?") + ")";
  });
});
