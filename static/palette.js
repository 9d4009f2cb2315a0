/* Flick Admin's command palette: Ctrl+K (or /) on any page, type, arrows, Enter. The
   server searches (the same search as /search/, which works without this script). */
(function () {
  "use strict";
  var box = document.getElementById("palette");
  if (!box) { return; }
  var input = box.querySelector("input");
  var list = box.querySelector("[role=listbox]");
  var status = box.querySelector("[data-palette-status]");
  var opener = null, hits = [], index = -1, timer = null, serial = 0;

  function open() {
    opener = document.activeElement;
    box.hidden = false;
    input.value = "";
    render([]);
    status.textContent = "Type an email, username, id, college or page.";
    input.focus();
  }
  function close() {
    box.hidden = true;
    if (opener && opener.focus) { opener.focus(); }
  }
  function render(found) {
    hits = found;
    index = found.length ? 0 : -1;
    list.textContent = "";
    found.forEach(function (hit, n) {
      var item = document.createElement("li");
      item.id = "palette-hit-" + n;
      item.setAttribute("role", "option");
      var kind = document.createElement("span");
      kind.className = "kind kind-" + hit.kind;
      kind.textContent = hit.kind;
      var label = document.createElement("span");
      label.textContent = " " + hit.label + " ";
      var detail = document.createElement("small");
      detail.className = "text-muted";
      detail.textContent = hit.detail;
      item.appendChild(kind); item.appendChild(label); item.appendChild(detail);
      item.addEventListener("mousedown", function (event) { event.preventDefault(); window.location = hit.url; });
      list.appendChild(item);
    });
    mark();
  }
  function mark() {
    Array.prototype.forEach.call(list.children, function (item, n) {
      item.setAttribute("aria-selected", n === index ? "true" : "false");
    });
    if (index >= 0) { input.setAttribute("aria-activedescendant", "palette-hit-" + index); }
    else { input.removeAttribute("aria-activedescendant"); }
  }
  function lookup() {
    var q = input.value.trim();
    var mine = ++serial;
    if (q.length < 2) { render([]); status.textContent = "Type at least two letters."; return; }
    fetch(box.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) {
        if (mine !== serial) { return; }
        render(found);
        var more = found.some(function (hit) { return hit.more; });
        status.textContent = !found.length ? "Nothing matches."
          : more ? "First " + found.length + " shown; more match (type more to narrow). Enter opens the first."
          : found.length + " found; Enter opens the first.";
      })
      .catch(function () { status.textContent = "The search did not answer; try again."; });
  }
  input.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(lookup, 120); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "ArrowDown" && hits.length) { event.preventDefault(); index = (index + 1) % hits.length; mark(); }
    else if (event.key === "ArrowUp" && hits.length) { event.preventDefault(); index = (index - 1 + hits.length) % hits.length; mark(); }
    else if (event.key === "Enter") {
      event.preventDefault();
      if (index >= 0 && hits[index]) { window.location = hits[index].url; }
      else if (input.value.trim()) { window.location = box.dataset.page + "?q=" + encodeURIComponent(input.value.trim()); }
    }
  });
  box.addEventListener("mousedown", function (event) { if (event.target === box) { close(); } });
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable;
    if ((event.ctrlKey || event.metaKey) && (event.key === "k" || event.key === "K")) { event.preventDefault(); if (box.hidden) { open(); } else { close(); } }
    else if (event.key === "/" && !typing && box.hidden) { event.preventDefault(); open(); }
  }, true);
})();
