// Counts rendered images and errors (script errors, failed resources, console.error) into
// <body data-*> once the page has loaded. Opened as index.html#selfcheck it first unfolds
// every <details>, then also records how far the page is wider than the window and how many
// tables reach past the body's right edge (pipeline.report.browser.check_page reads them).
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || (e.target && e.target.src) || e)), true);
const __consoleError = console.error;
console.error = (...args) => { window.__errors.push(args.join(" ")); __consoleError(...args); };
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const body = document.body;
  body.dataset.imagesTotal = images.length;
  body.dataset.imagesOk = images.filter(i => i.complete && i.naturalWidth > 0).length;
  body.dataset.consoleErrors = window.__errors.length;
  if (location.hash !== "#selfcheck") return;
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const right = body.getBoundingClientRect().right - parseFloat(getComputedStyle(body).paddingRight);
  const wide = Array.from(document.querySelectorAll("table")).filter(t => t.getBoundingClientRect().right > right + 1);
  body.dataset.tablesOverflowing = wide.length;
  body.dataset.pageOverflow = Math.max(0, document.documentElement.scrollWidth - window.innerWidth);
  body.dataset.widestTable = Math.round(Math.max(0, ...Array.from(document.querySelectorAll("table"))
    .map(t => t.getBoundingClientRect().width)));
  body.dataset.bodyWidth = Math.round(right - body.getBoundingClientRect().left);
});
