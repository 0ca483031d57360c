// Live figures: regions of a page marked `data-live` (a journey's graph and counts, a
// campaign's results) are fetched again every few seconds and replaced, so counts move while
// the page is open. Without JavaScript the page shows the figures of when it was loaded.
(function () {
  "use strict";
  var regions = document.querySelectorAll("[data-live][id]");
  if (!regions.length) {
    return;
  }
  var seconds = Number(document.body.getAttribute("data-live-seconds")) || 5;
  setInterval(function () {
    if (document.hidden) {
      return;
    }
    fetch(location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          var next = fresh.getElementById(region.id);
          if (next) {
            region.innerHTML = next.innerHTML;
          }
        });
      })
      .catch(function () {});
  }, seconds * 1000);
})();
