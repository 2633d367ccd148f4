// The dashboard's summary (counts, chart, phase choices, "of N") without a reload:
// - when its scan finishes after the table was sent (see src/web/dashboard/summary.rs), it is
//   fetched from the slot's data-src and filled in;
// - when Filevine tells the app that projects of this org changed (webhooks, see
//   src/web/live.rs), "N projects changed · Refresh" appears, and Refresh fetches the counts
//   and chart again in place.
// Without JavaScript the page offers a link that reloads it, and then it has the counts.
(function () {
  "use strict";
  var area = document.getElementById("summary-area");

  function fetchSummary(src) {
    return fetch(src, {
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
        return { frag: frag, section: document.importNode(section, true) };
      });
  }

  // The phase choices and "of N" the summary brings along.
  function fillIn(frag) {
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
  }

  var slot = document.getElementById("summary-slot");
  if (slot) {
    fetchSummary(slot.getAttribute("data-src"))
      .then(function (got) {
        slot.replaceWith(got.section);
        fillIn(got.frag);
      })
      .catch(function () {
        var status = slot.querySelector(".counting");
        if (status) {
          status.textContent =
            "The counts are not available right now. The list below still works; reload the page to try again.";
        }
        slot.removeAttribute("aria-busy");
      });
  }

  var notice = document.getElementById("live-notice");
  if (!notice || !area || !window.EventSource) {
    return;
  }
  var changed = 0;
  var count = notice.querySelector(".live-count");
  var source = new EventSource(notice.getAttribute("data-live"));
  source.addEventListener("projects-changed", function (e) {
    var n = 0;
    try {
      n = JSON.parse(e.data).projects || 0;
    } catch (ignored) {
      n = 0;
    }
    changed += n > 0 ? n : 1;
    count.textContent = changed === 1 ? "1 project changed" : changed + " projects changed";
    notice.hidden = false;
  });
  notice.querySelector(".live-refresh").addEventListener("click", function () {
    fetchSummary(notice.getAttribute("data-src"))
      .then(function (got) {
        area.replaceChildren(got.section);
        fillIn(got.frag);
        changed = 0;
        notice.hidden = true;
      })
      .catch(function () {
        count.textContent = "The counts could not be refreshed; reload the page";
      });
  });
})();
