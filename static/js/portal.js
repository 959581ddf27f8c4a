// Our own small script (everything works without it; htmx makes it faster where it runs).
//
// htmx swaps only successful answers and form errors (422). When a request fails in another way
// (a full upload refused with 413, too many requests 429, a conflict 409, a server error, or no
// network at all), nothing on the page would change: say so in the page's alert region instead.
(function () {
  "use strict";

  function messageFor(status) {
    var region = document.getElementById("request-problem");
    if (!region) return null;
    var key = status === 0 ? "offline" : String(status);
    return region.getAttribute("data-message-" + key) || region.getAttribute("data-message-other");
  }

  function show(status) {
    var region = document.getElementById("request-problem");
    var message = messageFor(status);
    if (!region || !message) return;
    region.textContent = message;
    region.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    show(event.detail.xhr ? event.detail.xhr.status : 0);
  });
  document.addEventListener("htmx:sendError", function () {
    show(0);
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-problem");
    if (region) {
      region.hidden = true;
      region.textContent = "";
    }
  });
})();
