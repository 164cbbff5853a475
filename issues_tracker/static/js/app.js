// Behaviour that the pages share. No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  function focusFirstError(root) {
    var summary = (root || document).querySelector("[data-focus-first-error]");
    if (summary) {
      summary.focus();
      return true;
    }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError(document);
  });

  // While a swap is pending, mark the target busy so screen readers wait for the result.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "false");
  });

  // A failed request (network or server) must not fail silently.
  function showProblem(message) {
    var flashes = document.getElementById("flashes");
    if (!flashes) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    flashes.replaceChildren(p);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) showProblem("You do not have permission to do that.");
    else if (status === 429) showProblem("Too many requests. Please wait a moment and try again.");
    else showProblem("Something went wrong (" + status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showProblem("Could not reach the server. Check your connection and try again.");
  });

  // htmx keeps a copy of the page for Back; copy the controls' current values into
  // their attributes first, so the restored filters show what was chosen.
  document.addEventListener("htmx:beforeHistorySave", function () {
    document.querySelectorAll("select").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        option.toggleAttribute("selected", option.selected);
      });
    });
    document.querySelectorAll("input").forEach(function (input) {
      if (input.type === "checkbox" || input.type === "radio") input.toggleAttribute("checked", input.checked);
      else if (input.type !== "password" && input.type !== "hidden") input.setAttribute("value", input.value);
    });
    document.querySelectorAll("textarea").forEach(function (area) {
      area.textContent = area.value;
    });
  });

  // Pagination links inside the results move focus to the results heading after the swap.
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && elt.closest && elt.closest(".pagination")) {
      var count = document.querySelector("#results .results-count");
      if (count) {
        count.setAttribute("tabindex", "-1");
        count.focus();
      }
    }
  });
})();
