/* Opening an item from the queue claims it: the page's claim form is sent in the
   background (the same POST the button sends) and the panel says who holds it now. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-claim]");
  if (!form || !window.fetch) { return; }
  var status = document.querySelector("[data-claim-status]");
  fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                       headers: { "Accept": "application/json" } })
    .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
    .then(function (result) {
      var ok = result[0], body = result[1];
      if (status) { status.textContent = ok ? body.message : body.message || "Could not claim this item."; }
      if (ok) { form.hidden = true; }
    })
    .catch(function () { /* the button still works */ });
})();
