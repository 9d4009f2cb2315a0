/* Opening an item from the queue claims it: the page's claim form is sent in the
   background (the same POST the button sends); then the claim box and the history are
   drawn again from the page as it is now, so the box says you hold the item and offers
   Release, and the claim shows in the history at once. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-claim]");
  if (!form || !window.fetch) { return; }
  var status = document.querySelector("[data-claim-status]");

  function redraw() {
    var url = new URL(window.location.href);
    url.searchParams.delete("claim");
    return fetch(url.toString(), { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error("page"); } return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["[data-testid=claim]", "[data-history]"].forEach(function (selector) {
          var now = document.querySelector(selector), then = fresh.querySelector(selector);
          if (now && then) { now.replaceWith(document.importNode(then, true)); }
        });
        if (window.history && window.history.replaceState) { window.history.replaceState(null, "", url.toString()); }
      });
  }

  fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                       headers: { "Accept": "application/json" } })
    .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
    .then(function (result) {
      var ok = result[0], body = result[1];
      if (status) { status.textContent = ok ? body.message : body.message || "Could not claim this item."; }
      if (ok) {
        form.hidden = true;
        return redraw();
      }
    })
    .catch(function () { /* the button still works */ });
})();
