/* The navigation's saved views get their live counts after the page is drawn: one
   request, one statement on the server; without JavaScript the counts are on /views/. */
(function () {
  "use strict";
  var menu = document.querySelector("[data-counts]");
  if (!menu || !window.fetch) { return; }
  fetch(menu.getAttribute("data-counts"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) { return response.ok ? response.json() : {}; })
    .then(function (counts) {
      Array.prototype.slice.call(menu.querySelectorAll("[data-view-count]")).forEach(function (badge) {
        var label = counts[badge.getAttribute("data-view-count")];
        if (label !== undefined) { badge.textContent = label; badge.setAttribute("aria-label", label + " now"); }
      });
    })
    .catch(function () { /* the counts stay on /views/ */ });
})();
