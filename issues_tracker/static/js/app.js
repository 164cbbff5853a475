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

  // A confirmation shown next to the form that was used (the address ends in its #id): move focus
  // to it so it is announced, and keep it in view.
  function focusArrival() {
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (target && target.hasAttribute("data-focus-on-arrival")) {
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "center" });
      return true;
    }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!focusFirstError(document)) focusArrival();
  });

  // Error-summary links move focus to a control that can take it: the field itself, or the
  // first control inside a group (a fieldset of choices has no focus of its own).
  var FOCUSABLE = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) return;
    var control = target.matches(FOCUSABLE) ? target : target.querySelector(FOCUSABLE);
    if (!control) return;
    event.preventDefault();
    control.focus();
    var label = control.id ? document.querySelector("label[for='" + control.id + "']") : null;
    (target.closest("fieldset") || label || control).scrollIntoView({ block: "center" });
  });

  // "/" jumps to the page's search box, as on GitHub and Linear; not while typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
    var box = document.querySelector("input[type=search], input[name=q]");
    if (!box) return;
    event.preventDefault();
    box.focus();
    if (box.select) box.select();
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

  // "My views" in the menu lists the saved views when first opened, so pages need not look them up.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details[data-menu-url]") || !menu.open || menu.dataset.loaded) return;
    menu.dataset.loaded = "1";
    if (window.htmx) htmx.ajax("GET", menu.dataset.menuUrl, { target: menu.querySelector("ul"), swap: "innerHTML" });
  }, true);

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

  // Back and Forward restore htmx's copy of the page, in which only the results were
  // swapped: set the filter controls from the restored address so they match the results.
  function syncFiltersWithAddress(search) {
    var params = new URLSearchParams(typeof search === "string" ? search : window.location.search);
    document.querySelectorAll("form[hx-push-url]").forEach(function (form) {
      if (new URL(form.action, window.location.href).pathname !== window.location.pathname) return;
      Array.prototype.forEach.call(form.elements, function (control) {
        if (!control.name || control.type === "submit" || control.type === "button") return;
        // A control whose default the server chose (e.g. "the last six months") keeps it when the address leaves it out.
        if (!params.has(control.name) && control.hasAttribute("data-server-default")) {
          control.value = control.getAttribute("data-server-default");
          return;
        }
        var values = params.getAll(control.name);
        if (control.tagName === "SELECT") {
          var index = Array.prototype.findIndex.call(control.options, function (option) {
            return values.indexOf(option.value) !== -1;
          });
          control.selectedIndex = index === -1 ? 0 : index;
        } else if (control.type === "checkbox" || control.type === "radio") {
          control.checked = values.indexOf(control.value) !== -1;
        } else {
          control.value = values.length ? values[0] : "";
        }
      });
    });
  }
  document.addEventListener("htmx:historyRestore", function () { syncFiltersWithAddress(); showFilterCount(); });

  // On a phone the list's filters fold behind their summary, so the first results are on the
  // first screen; the page is sent with them open, so they still work without JavaScript.
  // From a tablet up they are always open (the summary is hidden there).
  var phone = window.matchMedia("(max-width: 47.99rem)");
  function foldFilters() {
    document.querySelectorAll("details[data-fold-on-phones]").forEach(function (panel) {
      panel.open = !phone.matches || panel.hasAttribute("data-has-errors");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", foldFilters);
  else foldFilters();
  phone.addEventListener("change", foldFilters);

  // The filter summary says how many filters the results in view use.
  function showFilterCount() {
    var results = document.getElementById("results");
    var count = document.querySelector("details[data-fold-on-phones] .filter-count");
    if (!results || !count) return;
    var n = parseInt(results.getAttribute("data-filters-in-use") || "0", 10);
    count.textContent = n ? " (" + n + " active)" : "";
  }

  // Pagination links and filter chips inside the results move focus to the results heading
  // after the swap; taking a chip away or sorting by a column header also sets the filter
  // controls to the view shown, and a sorted header keeps the focus.
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var chip = elt && elt.closest && elt.closest(".chips");
    var column = elt && elt.getAttribute && elt.getAttribute("data-sort-column");
    if (chip || column) {
      syncFiltersWithAddress(new URL(event.detail.requestConfig.path, window.location.href).search);
    }
    if (event.detail.target && event.detail.target.id === "results") showFilterCount();
    if (column) {
      var header = document.querySelector("#results [data-sort-column='" + column + "']");
      if (header) {
        // htmx binds swapped-in content only when it settles; bind the focused header now so an
        // Enter pressed at once sorts in place rather than loading a new page.
        if (window.htmx) htmx.process(header);
        header.focus();
      }
      return;
    }
    if (elt && elt.closest && (elt.closest(".pagination") || chip)) {
      var count = document.querySelector("#results .results-count");
      if (count) {
        count.setAttribute("tabindex", "-1");
        count.focus();
      }
    }
  });
  // Passkeys (WebAuthn): signing in with one ([data-passkey-login]) and adding one on the security
  // page ([data-passkey-register]). The server gives the options as JSON and checks the answer;
  // the boxes stay hidden where the browser cannot use passkeys.
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: "The server did not answer as expected (" + response.status + "). Try again." };
      });
    });
  }

  function passkeyCeremony(box, run) {
    var button = box.querySelector("[data-passkey-button]");
    var message = box.querySelector("[data-passkey-error]");
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      message.textContent = "";
      postJson(box.getAttribute("data-options-url"))
        .then(function (options) {
          if (options.error) throw new Error(options.error);
          return run(options);
        })
        .then(function (answer) {
          return postJson(box.getAttribute("data-url"), answer);
        })
        .then(function (result) {
          if (result.redirect) {
            var target = new URL(result.redirect, window.location.href);
            if (target.pathname + target.search === window.location.pathname + window.location.search) {
              window.location.hash = target.hash;  // the same page: load it afresh to show the change
              window.location.reload();
            } else {
              window.location.assign(target.href);
            }
            return;
          }
          throw new Error(result.error || "That did not work. Try again.");
        })
        .catch(function (error) {
          message.textContent = error && error.name === "NotAllowedError"
            ? "The passkey was not used (cancelled, or it took too long). Try again."
            : (error && error.message) || "That did not work. Try again.";
          button.disabled = false;
          button.removeAttribute("aria-busy");
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON &&
      PublicKeyCredential.parseCreationOptionsFromJSON;
    if (!supported) return;
    document.querySelectorAll("[data-passkey-login]").forEach(function (box) {
      passkeyCeremony(box, function (options) {
        return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) })
          .then(function (credential) { return { credential: credential.toJSON() }; });
      });
    });
    document.querySelectorAll("[data-passkey-register]").forEach(function (box) {
      passkeyCeremony(box, function (options) {
        var name = box.querySelector("[data-passkey-name]");
        return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
          .then(function (credential) { return { credential: credential.toJSON(), name: name ? name.value : "" }; });
      });
    });
  });

  // A table wider than its box scrolls sideways: say so, and fade the edge that has more, so
  // nobody takes the visible columns for all of them. Checked again as the window or the box changes.
  function markScrollingTables(root) {
    (root || document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.dataset.scrollWatched) return;
      wrap.dataset.scrollWatched = "1";
      var hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.textContent = "Scroll sideways for more columns \u2192";
      hint.hidden = true;
      wrap.parentNode.insertBefore(hint, wrap);
      function update() {
        var more = wrap.scrollWidth > wrap.clientWidth + 1;
        var atEnd = wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1;
        hint.hidden = !more;
        wrap.classList.toggle("scrolls-more", more && !atEnd);
        if (more && !wrap.hasAttribute("tabindex")) wrap.setAttribute("tabindex", "0");  // scrollable by keyboard
      }
      wrap.addEventListener("scroll", update, { passive: true });
      if (window.ResizeObserver) new ResizeObserver(update).observe(wrap);
      update();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { markScrollingTables(document); });
  document.addEventListener("htmx:load", function (event) { markScrollingTables(event.target); });

  // On a phone the sections scroll sideways in one row: bring the current one into view.
  document.addEventListener("DOMContentLoaded", function () {
    var row = document.querySelector(".site-header .nav-links");
    var current = row && row.querySelector('[aria-current="page"]');
    if (!current || row.scrollWidth <= row.clientWidth) return;
    var item = current.parentElement;
    row.scrollLeft = Math.max(0, item.offsetLeft - (row.clientWidth - item.offsetWidth) / 2);
  });
})();
