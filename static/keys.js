/* Flick Admin keyboard navigation for lists: j/k move, Enter opens, x select, letters press
   the decision panel's buttons (data-key) for the selected rows (or the current one),
   n/p pages, ? help. A decision waits a few seconds behind an "Undo" toast before it is
   sent. Every page works without this script: its forms then ask to confirm. */
(function () {
  "use strict";
  var UNDO_SECONDS = 5;
  var rows = Array.prototype.slice.call(document.querySelectorAll(".kb-row"));
  var help = document.getElementById("keys-help");
  var panel = document.querySelector("form[data-undo]");
  var toast = document.getElementById("undo-toast");
  var counter = document.querySelector("[data-selected-count]");
  var selectAll = document.querySelector("[data-select-all]");
  var index = -1;
  var pending = null;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-select]")); }
  // A row someone else holds, or one already decided (live.js), leaves the selection.
  function selectable() { return boxes().filter(function (box) { return !box.disabled; }); }
  function chosen() { return boxes().filter(function (box) { return box.checked; }); }

  function refreshCount() {
    if (!counter) { return; }
    var n = chosen().length;
    counter.textContent = n ? n + " selected" : "Select rows (x), then decide";
    rows.forEach(function (row) {
      var box = row.querySelector("[data-select]");
      row.classList.toggle("kb-selected", !!(box && box.checked));
    });
  }

  function select(i) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (row, n) {
      row.classList.toggle("kb-active", n === index);
      if (n === index) { row.setAttribute("aria-current", "true"); } else { row.removeAttribute("aria-current"); }
    });
    rows[index].scrollIntoView({ block: "nearest" });
  }

  function active() { return index >= 0 ? rows[index] : null; }

  function reasonMissing(form) {
    var reason = form.querySelector("[data-reason]");
    var text = form.querySelector('[name="reason_text"]');
    if (reason && !reason.value && !(text && text.value.trim())) {
      reason.focus();
      reason.classList.add("is-invalid");
      reason.setAttribute("aria-invalid", "true");
      return true;
    }
    return false;
  }

  function cancelPending(message) {
    if (!pending) { return; }
    window.clearInterval(pending.timer);
    pending = null;
    toast.querySelector("[data-undo-text]").textContent = message || "Cancelled: nothing was changed.";
    window.setTimeout(function () { if (!pending) { toast.hidden = true; } }, 2500);
  }

  function send(form, button) {
    var marker = form.querySelector('input[name="confirm"]');
    if (marker) { marker.value = "yes"; }
    var hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = button.name; hidden.value = button.value;
    form.appendChild(hidden);
    form.submit();
  }

  function nothingChosen(form) { return form.id === "decide" && !chosen().length; }

  function decide(form, button) {
    if (!toast || !button.dataset.verb) { send(form, button); return; }
    var n = form.id ? chosen().length : 1;
    var what = n === 1 ? "1 item" : n + " items";
    var left = UNDO_SECONDS;
    var text = toast.querySelector("[data-undo-text]");
    cancelPending();
    function show() { text.textContent = button.dataset.verb + " " + what + " in " + left + " s…"; }
    show();
    toast.hidden = false;
    pending = { form: form, button: button, timer: window.setInterval(function () {
      left -= 1;
      if (left <= 0 && nothingChosen(form)) { cancelPending("Someone else took or decided every selected row: nothing was sent."); }
      else if (left <= 0) { var go = pending; window.clearInterval(go.timer); pending = null; text.textContent = button.dataset.verb + " " + what + "…"; send(go.form, go.button); }
      else { show(); }
    }, 1000) };
  }

  // Decisions go through the toast, whether clicked or pressed.
  Array.prototype.slice.call(document.querySelectorAll("form[data-undo]")).forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.dataset.verb) { return; }  // reopen, or a confirmed submit
      event.preventDefault();
      if (form.id === "decide" && !chosen().length) {
        counter.textContent = "Select at least one row first (x).";
        return;
      }
      if (reasonMissing(form)) { return; }
      decide(form, button);
    });
  });
  if (toast) {
    toast.querySelector("[data-undo-cancel]").addEventListener("click", function () { cancelPending(); });
  }
  boxes().forEach(function (box) { box.addEventListener("change", refreshCount); });
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      selectable().forEach(function (box) { box.checked = selectAll.checked; });
      refreshCount();
    });
  }
  Array.prototype.slice.call(document.querySelectorAll("[data-reason]")).forEach(function (reason) {
    reason.addEventListener("change", function () { reason.classList.remove("is-invalid"); reason.removeAttribute("aria-invalid"); });
  });

  function press(key) {
    var button = panel && panel.querySelector('button[data-key="' + key + '"]');
    if (!button) {
      var row = active();
      button = row && row.querySelector('[data-key="' + key + '"]');
    }
    if (!button) {
      var link = document.querySelector('a[data-key="' + key + '"]');
      if (link) { link.click(); }
      return;
    }
    if (panel && panel.id === "decide" && button.form === panel && !chosen().length && active()) {
      var box = active().querySelector("[data-select]");
      if (box && box.disabled) { if (counter) { counter.textContent = box.title || "This row cannot be selected now."; } return; }
      if (box) { box.checked = true; refreshCount(); }
    }
    if (typeof button.form.requestSubmit === "function") { button.form.requestSubmit(button); }
    else { button.click(); }
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
    else if ((key === "u" || key === "Escape") && pending) { cancelPending(); }
    else if (key === "Enter" && active() && active().dataset.open) { window.location = active().dataset.open; }
    else if (key === "r") { var r = (panel || active() || document).querySelector("[data-reason]"); if (r) { r.focus(); } }
    else if (key === "x" && active()) { var box = active().querySelector("[data-select]"); if (box && !box.disabled) { box.checked = !box.checked; refreshCount(); } }
    else if (key === "n" || key === "p" || key === "b" || key === "s" || key === "i" || key === "o" || key === "c") { press(key); }
    else { return; }
    event.preventDefault();
  });
  refreshCount();
})();
