/* The navigation's saved views, with their live counts, are fetched once the page is
   drawn: one request (one statement for all the counts), so no page waits for them.
   Without JavaScript, "Views" leads to the page that lists them. */
(function () {
  "use strict";
  var menu = document.querySelector("[data-counts]");
  if (!menu || !window.fetch) { return; }
  var end = menu.querySelector("[data-views-end]");
  fetch(menu.getAttribute("data-counts"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(function (views) {
      views.forEach(function (view) {
        var item = document.createElement("a");
        item.className = "dropdown-item";
        item.href = view.url;
        item.textContent = view.name + " ";
        var badge = document.createElement("span");
        badge.className = "badge badge-pill badge-light nav-count";
        badge.setAttribute("data-view-count", view.id);
        badge.setAttribute("aria-label", view.count + " now");
        badge.textContent = view.count;
        item.appendChild(badge);
        menu.insertBefore(item, end);
      });
    })
    .catch(function () { /* the views stay on their page */ });
})();
