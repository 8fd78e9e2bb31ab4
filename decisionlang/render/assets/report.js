/* The board report's only script, inlined at render time. The report reads fully without it:
   it adds a subject filter, opens every collapsed detail before printing, and writes a status
   line (used by the browser test) only when it ran without an error. */
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (event) {
    errors.push(String(event.message));
  });

  function each(selector, action) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), action);
  }

  function setUpPrinting() {
    window.addEventListener("beforeprint", function () {
      each("details:not([open])", function (details) {
        details.setAttribute("data-closed", "");
        details.open = true;
      });
    });
    window.addEventListener("afterprint", function () {
      each("details[data-closed]", function (details) {
        details.removeAttribute("data-closed");
        details.open = false;
      });
    });
  }

  function setUpFilter() {
    var box = document.getElementById("subject-filter");
    if (!box) {
      return;
    }
    var input = box.querySelector("input");
    var count = box.querySelector("output");
    var articles = document.querySelectorAll("article.subject");
    box.hidden = false;
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(articles, function (article) {
        var text = article.getAttribute("data-search") || "";
        var match = words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        article.hidden = !match;
        shown += match ? 1 : 0;
      });
      count.textContent = shown + " of " + articles.length + " subjects shown";
    });
  }

  function reportStatus() {
    var status = document.getElementById("report-status");
    if (!status) {
      return;
    }
    var charts = document.querySelectorAll("svg[role=img]").length;
    status.setAttribute("data-charts", String(charts));
    if (errors.length) {
      status.setAttribute("data-status", "error");
      status.textContent = "Script error: " + errors.join("; ");
      return;
    }
    status.setAttribute("data-status", "ok");
    status.textContent = "Interactive helpers active; " + charts + " charts.";
  }

  try {
    setUpPrinting();
    setUpFilter();
  } catch (error) {
    errors.push(String(error && error.message ? error.message : error));
  }
  reportStatus();
})();
