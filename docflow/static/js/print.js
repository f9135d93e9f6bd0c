// A "Print" button without an inline onclick (the Content-Security-Policy forbids inline
// scripts): every [data-print] button prints the page. Hidden until this script runs, so a
// browser without JavaScript shows no button that does nothing.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
