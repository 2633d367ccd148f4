// Fills in the dashboard's summary (counts, chart, phase choices, "of N") when its scan
// finishes after the table was sent: see src/web/dashboard/summary.rs. Without JavaScript
// the page offers a link that reloads it, and then it has the counts.
(function () {
  "use strict";
  var slot = document.getElementById("summary-slot");
  if (!slot) {
    return;
  }
  function unavailable() {
    var status = slot.querySelector(".counting");
    if (status) {
      status.textContent =
        "The counts are not available right now. The list below still works; reload the page to try again.";
    }
    slot.removeAttribute("aria-busy");
  }
  fetch(slot.getAttribute("data-src"), {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  })
    .then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.text();
    })
    .then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var frag = doc.getElementById("summary-fragment");
      var section = frag && frag.querySelector("section, p.notice");
      if (!section) {
        throw new Error("no summary in the answer");
      }
      slot.replaceWith(document.importNode(section, true));
      var select = document.getElementById("f-phase");
      var options = frag.querySelector("#phase-options");
      if (select && options) {
        var current = select.value;
        var seen = {};
        Array.prototype.forEach.call(select.options, function (o) {
          seen[o.value] = true;
        });
        Array.prototype.forEach.call(options.content.children, function (o) {
          if (!seen[o.value]) {
            select.appendChild(document.importNode(o, true));
          }
        });
        select.value = current;
      }
      var fill = { matching: frag.getAttribute("data-matching"), "last-page": frag.getAttribute("data-last-page") };
      Object.keys(fill).forEach(function (name) {
        if (!fill[name]) {
          return;
        }
        document.querySelectorAll('[data-fill="' + name + '"]').forEach(function (e) {
          e.textContent = " of " + fill[name];
        });
      });
    })
    .catch(unavailable);
})();
