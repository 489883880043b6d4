// A link to a folded section (#id) opens it and every <details> around it.
function openTarget() {
  let node = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (!node) return;
  for (let n = node; n; n = n.parentElement) if (n.tagName === "DETAILS") n.open = true;
  node.scrollIntoView();
}
window.addEventListener("hashchange", openTarget);
window.addEventListener("load", openTarget);
