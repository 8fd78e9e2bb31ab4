/* The board report's only script, inlined at render time. The summaries, charts and the subject
   index read without it. It opens a subject's justification (kept as data in the page, see
   `details_data` in render/html.py) into the index, adds the search and the verdict filter, prints
   the opened subjects (every subject when the report is small), and writes a status line (used by
   the browser test) only when it ran without an error. */
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (event) {
    errors.push(String(event.message));
  });
  window.addEventListener("unhandledrejection", function (event) {
    errors.push(String(event.reason && event.reason.message ? event.reason.message : event.reason));
  });

  function each(selector, action) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), action);
  }

  /* ---- the subjects' details, by position in the index */

  var source = null; // the data's script element
  var parsed = null; // its JSON, {chunk, encoding, chunks}, parsed when first needed
  var decoded = []; // chunk number -> list of HTML fragments, once decoded
  var rows = []; // the index rows, in order
  var position = {}; // row id -> position

  function readDetails() {
    var data = document.getElementById("subject-details");
    var index = document.getElementById("subject-index");
    if (!data || !index) {
      return false;
    }
    source = data;
    rows = Array.prototype.slice.call(index.tBodies[0].rows);
    rows.forEach(function (row, at) {
      position[row.id] = at;
    });
    return true;
  }

  function inflate(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text().then(JSON.parse);
  }

  function details() {
    if (parsed === null) {
      parsed = JSON.parse(source.textContent);
    }
    return parsed;
  }

  /* the fragment now when its chunk is plain or already decoded, else null */
  function fragmentNow(at) {
    var number = Math.floor(at / details().chunk);
    if (!decoded[number] && details().encoding === "json") {
      decoded[number] = details().chunks[number];
    }
    return decoded[number] ? decoded[number][at % details().chunk] : null;
  }

  function fragment(at) {
    var now = fragmentNow(at);
    if (now !== null) {
      return Promise.resolve(now);
    }
    var number = Math.floor(at / details().chunk);
    return inflate(details().chunks[number]).then(function (list) {
      decoded[number] = list;
      return list[at % details().chunk];
    });
  }

  function detailRow(row) {
    var next = row.nextElementSibling;
    return next && next.classList.contains("detail") ? next : null;
  }

  function insertDetail(row, html, printed) {
    var detail = document.createElement("tr");
    detail.className = "detail";
    if (printed) {
      detail.setAttribute("data-printed", "");
    }
    var cell = document.createElement("td");
    cell.colSpan = row.cells.length;
    cell.innerHTML = html;
    detail.appendChild(cell);
    row.parentNode.insertBefore(detail, row.nextSibling);
    return detail;
  }

  function setOpen(row, open) {
    row.classList.toggle("open", open);
    row.querySelector("a").setAttribute("aria-expanded", open ? "true" : "false");
  }

  function openSubject(row, scroll) {
    var shown = detailRow(row);
    if (shown) {
      shown.hidden = false;
      shown.removeAttribute("data-printed");
      setOpen(row, true);
      return Promise.resolve(shown);
    }
    return fragment(position[row.id]).then(function (html) {
      var detail = detailRow(row) || insertDetail(row, html, false);
      detail.hidden = row.hidden;
      setOpen(row, true);
      if (scroll) {
        row.scrollIntoView();
      }
      return detail;
    });
  }

  function closeSubject(row) {
    var shown = detailRow(row);
    if (shown) {
      shown.hidden = true;
    }
    setOpen(row, false);
  }

  function openFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (Object.prototype.hasOwnProperty.call(position, id)) {
      openSubject(rows[position[id]], true).catch(function (error) {
        errors.push(String(error && error.message ? error.message : error));
        reportStatus();
      });
    }
  }

  function setUpSubjects() {
    if (!readDetails()) {
      return;
    }
    document.getElementById("subject-index").addEventListener("click", function (event) {
      var name = event.target.closest("th > a");
      var row = name ? name.closest("tr") : null;
      if (!row || !Object.prototype.hasOwnProperty.call(position, row.id) || rows[position[row.id]] !== row) {
        return; // a link in an opened subject's details, not a subject of the index
      }
      event.preventDefault();
      if (row.classList.contains("open")) {
        closeSubject(row);
      } else {
        history.replaceState(null, "", "#" + row.id);
        openSubject(row, false);
      }
    });
    window.addEventListener("hashchange", openFromHash);
    openFromHash();
  }

  /* ---- search and verdict filter over the index */

  function setUpFilter() {
    var box = document.getElementById("subject-filter");
    if (!box || !rows.length) {
      return;
    }
    var input = box.querySelector("input[type=search]");
    var boxes = box.querySelectorAll("input[type=checkbox]");
    var count = box.querySelector("output");
    var texts = null; // each row's text, read at the first search
    box.hidden = false;
    function apply() {
      if (texts === null) {
        texts = rows.map(function (row) {
          return row.textContent.toLowerCase();
        });
      }
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var verdicts = {};
      Array.prototype.forEach.call(boxes, function (checkbox) {
        verdicts[checkbox.value] = checkbox.checked;
      });
      var shown = 0;
      rows.forEach(function (row, at) {
        var text = texts[at];
        var match =
          verdicts[row.className.split(" ")[0]] !== false &&
          words.every(function (word) {
            return text.indexOf(word) !== -1;
          });
        if (row.hidden === match) {
          row.hidden = !match; // only rows that change: 10,000 rows restyle slowly
        }
        var detail = detailRow(row);
        if (detail) {
          detail.hidden = !match || !row.classList.contains("open");
        }
        shown += match ? 1 : 0;
      });
      count.textContent = shown + " of " + rows.length + " subjects shown";
    }
    input.addEventListener("input", apply);
    Array.prototype.forEach.call(boxes, function (checkbox) {
      checkbox.addEventListener("change", apply);
    });
  }

  /* ---- printing: folded details open; every subject when its details can be read at once */

  function setUpPrinting() {
    window.addEventListener("beforeprint", function () {
      each("details:not([open])", function (folded) {
        folded.setAttribute("data-closed", "");
        folded.open = true;
      });
      if (!source || details().encoding !== "json") {
        return; // a large report prints the subjects opened, the others as their index row
      }
      rows.forEach(function (row, at) {
        if (!row.hidden && !detailRow(row)) {
          var html = fragmentNow(at);
          if (html !== null) {
            insertDetail(row, html, true);
          }
        }
      });
    });
    window.addEventListener("afterprint", function () {
      each("details[data-closed]", function (folded) {
        folded.removeAttribute("data-closed");
        folded.open = false;
      });
      each("tr.detail[data-printed]", function (detail) {
        detail.parentNode.removeChild(detail);
      });
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
    setUpSubjects();
    setUpFilter();
    setUpPrinting();
  } catch (error) {
    errors.push(String(error && error.message ? error.message : error));
  }
  reportStatus();
})();
