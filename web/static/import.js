// Import preview (an enhancement; the page works without it): a "line 11" link scrolls the source pane
// beside the tree to that line instead of the whole page, and the pane opens at the lines of the item
// the page was opened at (marked .focus by the server).
(function () {
  "use strict";
  function pane() { return document.querySelector(".import-source"); }
  function sticky(el) { return el && getComputedStyle(el).position === "sticky"; }
  function scrollTo(line, source) {
    source.scrollTop += line.getBoundingClientRect().top - source.getBoundingClientRect().top - source.clientHeight / 3;
  }
  function showLine(line, source) {
    scrollTo(line, source);
    line.classList.add("flash");
    window.setTimeout(function () { line.classList.remove("flash"); }, 1200);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.line-ref") : null;
    var source = pane();
    if (!link || !sticky(source)) { return; }
    var line = document.getElementById(link.getAttribute("href").slice(1));
    if (!line) { return; }
    event.preventDefault();
    showLine(line, source);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var source = pane();
    var first = document.querySelector(".source-line.focus");
    if (first && sticky(source)) { scrollTo(first, source); }
  });
})();
