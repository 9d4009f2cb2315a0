/* Flick Admin: type to narrow a grouped checkbox picker (the audit log's actions).
   Without this script every choice is simply shown. */
(function () {
  "use strict";
  Array.prototype.slice.call(document.querySelectorAll("[data-facet-search]")).forEach(function (input) {
    var scope = input.closest("details") || document;
    var items = Array.prototype.slice.call(scope.querySelectorAll("[data-facet]"));
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var text = item.getAttribute("data-facet").toLowerCase();
        var box = item.querySelector("input");
        item.hidden = !(box && box.checked) && !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
      Array.prototype.slice.call(scope.querySelectorAll("fieldset")).forEach(function (set) {
        set.hidden = !set.querySelector("[data-facet]:not([hidden])");
      });
    });
  });
})();
