/* 信用淮安区 工作台 — keyboard shortcuts and double-submit guard. No inline script anywhere (CSP). */
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // One submission per form: a second click (or Enter) while the first is on its way does nothing.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.dataset.submitted === "1") { ev.preventDefault(); return; }
    form.dataset.submitted = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.classList.add("is-busy");
      });
    }, 0);
  }, true);

  // Queue tables: j / ↓ next row, k / ↑ previous row, Enter opens, c claims, / goes to the search box.
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
  function move(step) {
    if (!rows.length) return;
    var i = rows.indexOf(document.activeElement);
    var next = i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + step));
    rows[next].focus();
    rows[next].closest("tr").scrollIntoView({ block: "nearest" });
  }
  rows.forEach(function (link) {
    link.addEventListener("focus", function () { link.closest("tr").classList.add("is-current"); });
    link.addEventListener("blur", function () { link.closest("tr").classList.remove("is-current"); });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var k = ev.key;
    if (rows.length && (k === "j" || k === "ArrowDown")) { ev.preventDefault(); move(1); return; }
    if (rows.length && (k === "k" || k === "ArrowUp")) { ev.preventDefault(); move(-1); return; }
    if (k === "c" && rows.length && rows.indexOf(document.activeElement) >= 0) {
      var claim = document.activeElement.closest("tr").querySelector("form[data-claim]");
      if (claim) { ev.preventDefault(); claim.requestSubmit(); }
      return;
    }
    if (k === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { ev.preventDefault(); search.focus(); }
      return;
    }
    if (k === "d") {
      var first = document.querySelector("[data-decision] input:not([type=hidden]), [data-decision] select, [data-decision] textarea");
      if (first) { ev.preventDefault(); first.focus(); }
      return;
    }
    if (k === "u" || k === "Escape") {
      var back = document.querySelector("[data-back]");
      if (back) { ev.preventDefault(); window.location.assign(back.getAttribute("href")); }
    }
  });

  // Start on the first row of a queue, so the keyboard works without a click.
  if (rows.length && !document.querySelector("[autofocus]")) { rows[0].focus(); }
})();
