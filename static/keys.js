/* Flick Admin keyboard navigation for lists: j/k move, Enter opens, r reason, x select,
   letters press the row's buttons (data-key), n/p pages, ? help. Pages work without it. */
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll(".kb-row"));
  var help = document.getElementById("keys-help");
  var index = -1;

  function select(i) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (row, n) { row.classList.toggle("kb-active", n === index); });
    rows[index].scrollIntoView({ block: "nearest" });
  }

  function active() { return index >= 0 ? rows[index] : null; }

  function press(key) {
    var row = active();
    var button = row && row.querySelector('[data-key="' + key + '"]');
    if (!button) { button = document.querySelector('a[data-key="' + key + '"]'); if (button) { button.click(); } return; }
    var form = button.form;
    var reason = form && form.querySelector("[data-reason]");
    var text = form && form.querySelector('textarea[name="reason_text"]');
    if (reason && !reason.value && !(text && text.value.trim())) {
      reason.focus();
      reason.classList.add("is-invalid");
      return;
    }
    button.click();
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var key = event.key;
    if (key === "j") { select(index + 1); }
    else if (key === "k") { select(index - 1); }
    else if (key === "?") { if (help) { help.hidden = !help.hidden; } }
    else if (key === "Enter" && active() && active().dataset.open) { window.location = active().dataset.open; }
    else if (key === "r" && active()) { var r = active().querySelector("[data-reason]"); if (r) { r.focus(); } }
    else if (key === "x" && active()) { var box = active().querySelector("[data-select]"); if (box) { box.checked = !box.checked; } }
    else if (key === "n" || key === "p" || key === "b" || key === "s" || key === "i" || key === "o") { press(key); }
    else { return; }
    event.preventDefault();
  });
})();
