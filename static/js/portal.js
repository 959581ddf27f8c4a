// Our own small script (everything works without it; htmx makes it faster where it runs).
//
// htmx swaps successful answers, form errors (422) and "someone changed this first" (409, with the
// part of the page as it is now). When a request fails in another way (a full upload refused with
// 413, too many requests 429, a server error, or no network at all), nothing on the page would
// change: say so in the page's alert region instead.
(function () {
  "use strict";

  // Words that are true only where this script runs (".js-only": "this page then takes you…").
  document.documentElement.classList.add("js");

  function messageFor(status) {
    var region = document.getElementById("request-problem");
    if (!region) return null;
    var key = status === 0 ? "offline" : String(status);
    return region.getAttribute("data-message-" + key) || region.getAttribute("data-message-other");
  }

  // A 503 that names what did not happen ("your feedback was not sent"; errors.py) says it in
  // its answer's [data-problem]; the page keeps the form as it was typed, to send again.
  function ownMessage(xhr) {
    if (!xhr || xhr.status !== 503 || !xhr.responseText || !window.DOMParser) return null;
    var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var problem = answer.querySelector("[data-problem]");
    return problem && problem.textContent.trim() ? problem.textContent.trim() : null;
  }

  function show(status, message) {
    var region = document.getElementById("request-problem");
    message = message || messageFor(status);
    if (!region || !message) return;
    region.textContent = message;
    region.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    show(xhr ? xhr.status : 0, ownMessage(xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    show(0);
  });
  // The moderation queue: after an action (or a 409 saying who acted first) the next item takes
  // focus, and with an item focused "a" publishes or approves it and "r" moves to its reason.
  // Without this script the forms post normally and the queue reloads.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || target.id.indexOf("moderation-item-") !== 0) return;
    var done = document.getElementById(target.id);
    if (!done || !done.hasAttribute("data-moderation-done")) return;
    var next = done.nextElementSibling;
    while (next && next.hasAttribute("data-moderation-done")) next = next.nextElementSibling;
    if (!next) done.setAttribute("tabindex", "-1");
    (next || done).focus();
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var active = document.activeElement;
    if (!active || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.isContentEditable) return;
    var item = active.closest && active.closest(".moderation-item");
    if (!item) return;
    if (event.key === "a") {
      var button = item.querySelector('button[data-shortcut="a"]');
      if (button) { event.preventDefault(); button.click(); }
    } else if (event.key === "r") {
      var reason = item.querySelector("[data-reason]");
      if (reason) {
        event.preventDefault();
        var details = reason.closest("details");
        if (details) details.open = true;
        reason.focus();
      }
    }
  });

  // A 503 that carries the part of the page to show (HX-Reswap: publishing failed, and the panel
  // says so beside the tick) is swapped like a 422; any other 503 gets the message above.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 503 && xhr.getResponseHeader("HX-Reswap")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a form came back with mistakes (GOV.UK's pattern): focus moves to its error summary,
  // which is scrolled into view, so that the person hears and sees what to correct even when the
  // summary is far above the button they pressed. A full page does it with autofocus.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.isConnected) target = document.getElementById(event.detail.target && event.detail.target.id);
    // An error summary, or a refusal that says why nothing was done (role=alert, autofocus).
    var which = ".error-summary, [role=alert][autofocus]";
    var summary = target && (target.matches(which) ? target : target.querySelector(which));
    if (!summary) return;
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "start" });
  });

  // Plain forms that take a few seconds (rendering and signing a PDF) and lead to another page:
  // while the request runs the button is disabled and the form's indicator says it is working,
  // so that it is not pressed twice. (htmx forms do it with hx-disabled-elt and hx-indicator.)
  // Without this script a second press reaches the server, which finds the work done (409).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-working")) return;
    if (form.classList.contains("htmx-request")) {
      event.preventDefault();
      return;
    }
    form.classList.add("htmx-request");
    form.setAttribute("aria-busy", "true");
    // After the submission has started, so that the button's own name and value are still sent.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  // Coming back with the browser's back button may show the page as it was left: working.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-working].htmx-request").forEach(function (form) {
      form.classList.remove("htmx-request");
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
    });
  });

  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-problem");
    if (region) {
      region.hidden = true;
      region.textContent = "";
    }
  });
})();
