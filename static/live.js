/* The live queue: every few seconds (paused while the tab is hidden) the page asks what
   became of its rows since it was drawn. A row someone else now holds shows them and
   leaves the selection; a decided row is marked done and cannot be selected. On the posts
   and comments lists a row says what was done to it since, and who holds it. One small
   GET, read with the session in one statement (see flick_admin/moderation/live.py). */
(function () {
  "use strict";
  var table = document.querySelector("[data-live-url]");
  if (!table || !window.fetch) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-live-id]"));
  if (!rows.length) { return; }
  var every = 3000;
  var timer = null;
  var stopped = false;
  var original = {};
  rows.forEach(function (row) {
    var cell = row.querySelector(".cell-held");
    original[row.dataset.liveId] = cell ? cell.innerHTML : "";
  });
  var url = table.dataset.liveUrl + (table.dataset.liveUrl.indexOf("?") < 0 ? "?" : "&") + "ids=" + encodeURIComponent(rows.map(function (r) { return r.dataset.liveId; }).join(","));

  function box(row) { return row.querySelector("[data-select]"); }

  function leaveSelection(row, why) {
    var b = box(row);
    if (!b) { return; }
    var was = b.checked;
    b.checked = false;
    b.disabled = true;
    b.title = why;
    if (was) { b.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function rejoinSelection(row) {
    var b = box(row);
    if (b && b.disabled && !row.classList.contains("live-done")) { b.disabled = false; b.removeAttribute("title"); }
  }

  function status(cell, text, kind) {
    var span = document.createElement("span");
    span.className = "live-status live-" + kind;
    span.textContent = text;
    span.title = text;
    cell.textContent = "";
    cell.appendChild(span);
  }

  // A list (posts, comments): a note in the row's state cell says what was done to it
  // since the page was drawn, and who holds it now.
  function note(row, state) {
    var cell = row.querySelector("[data-live-cell]");
    if (!cell) { return; }
    var said = cell.querySelector(".live-status");
    var text = [state.now ? "Now " + state.now : "", state.holder && !state.mine ? state.holder : ""]
      .filter(function (part) { return part; }).join("; ");
    row.classList.toggle("live-done", !!state.now);
    if (!text) { if (said) { said.remove(); } return; }
    if (!said) {
      said = document.createElement("span");
      said.className = "live-status d-block small";
      cell.appendChild(said);
    }
    said.textContent = text;
    said.title = text;
  }

  function apply(row, state) {
    if (table.dataset.liveMode === "list") { note(row, state); return; }
    var key = row.dataset.liveId;
    var cell = row.querySelector(".cell-held");
    if (!cell) { return; }
    if (state.done) {
      row.classList.add("live-done");
      status(cell, "Done: " + state.done, "done");
      leaveSelection(row, "Done: " + state.done);
      return;
    }
    var held = state.holder && !state.mine;
    row.classList.toggle("live-held", !!held);
    if (held) {
      status(cell, state.holder, "held");
      leaveSelection(row, state.holder);
    } else if (state.mine) {
      status(cell, "You hold it", "mine");
      rejoinSelection(row);
    } else {
      if (cell.querySelector(".live-status")) { cell.innerHTML = original[key]; }
      rejoinSelection(row);
    }
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    if (!stopped) { timer = window.setTimeout(poll, ms); }
  }

  function poll() {
    if (document.hidden) { return; }  // resumed by visibilitychange
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status >= 500) { throw new Error("later"); }
        if (!response.ok || type.indexOf("application/json") < 0) { stopped = true; throw new Error("stop"); }
        return response.json();
      })
      .then(function (body) {
        if (body.every) { every = Math.max(1000, body.every * 1000); }
        rows.forEach(function (row) {
          var state = body.rows[row.dataset.liveId];
          if (state) { apply(row, state); }
        });
        schedule(every);
      })
      // Signed out or refused: stop (the page still works); the server or the network
      // away: ask again later.
      .catch(function () { schedule(every * 5); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(0); } else { window.clearTimeout(timer); }
  });
  schedule(every);
})();
