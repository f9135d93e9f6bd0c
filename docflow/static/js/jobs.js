// Background-job progress without a reload: every element with data-job-id polls its
// data-job-url (GET /jobs/<id>, JSON) and shows the status, the error, the download link and,
// for a failed job, a retry button (POST /jobs/<id>/retry with the page's CSRF token).
// Without JavaScript the server-rendered state, refresh link and retry form still work.
(function () {
  "use strict";
  if (window.docflowJobs) { return; }  // the macro may include this script more than once
  var started = {};

  function setText(el, selector, text) {
    var target = el.querySelector(selector);
    if (target) { target.textContent = text; }
    return target;
  }

  function render(el, job) {
    var status = el.querySelector("[data-job-status]");
    if (status) {
      status.textContent = job.label;
      status.setAttribute("data-job-status", job.status);
    }
    var refresh = el.querySelector(".job-refresh");
    if (refresh) { refresh.hidden = true; }
    var error = setText(el, ".job-error", job.status === "failed" ? (job.error || "") : "");
    if (error) { error.hidden = job.status !== "failed"; }
    var result = el.querySelector(".job-result");
    if (result) {
      result.textContent = "";
      if (job.download) {
        var link = document.createElement("a");
        link.className = "job-download";
        link.href = job.download;
        link.textContent = job.labels.download;
        result.appendChild(link);
      }
    }
    renderOutcome(el, job, job.result && typeof job.result === "object" ? job.result : {});
    var form = el.querySelector(".job-retry");
    if (job.status === "failed" && job.retry) {
      if (!form) {
        form = document.createElement("form");
        form.className = "inline-form job-retry";
        form.method = "post";
        var button = document.createElement("button");
        button.type = "submit";
        button.className = "button";
        form.appendChild(button);
        el.appendChild(form);
      }
      form.action = job.retry;
      form.querySelector("button").textContent = job.labels.retry;
      form.onsubmit = function (event) { event.preventDefault(); retry(el, form); };
    } else if (form) {
      form.remove();
    }
  }

  // A job may report progress {done, total}, progress_text, a message and lines (texts) in its
  // result.
  function renderOutcome(el, job, result) {
    var bar = el.querySelector(".job-bar");
    if (bar) {
      bar.hidden = !result.progress;
      if (result.progress) {
        bar.max = Math.max(1, result.progress.total || 0);
        bar.value = result.progress.done || (job.status === "done" ? bar.max : 0);
      }
    }
    var counted = setText(el, ".job-progress-text", result.progress_text || "");
    if (counted) { counted.hidden = !result.progress_text; }
    var message = setText(el, ".job-message", result.message || "");
    if (message) { message.hidden = !result.message; }
    var list = el.querySelector(".job-lines");
    if (list) {
      var lines = Array.isArray(result.lines) ? result.lines : [];
      if (list.children.length !== lines.length) {
        list.textContent = "";
        lines.forEach(function (line) {
          var item = document.createElement("li");
          item.textContent = line;
          list.appendChild(item);
        });
      }
      list.hidden = !lines.length;
    }
  }

  function retry(el, form) {
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": el.getAttribute("data-csrf-token")}
    }).then(function (response) {
      return response.json().catch(function () { return null; });
    }).then(function (job) {
      if (job && job.status) { render(el, job); }
      poll(el, 1000);
    }).catch(function () {
      if (button) { button.disabled = false; }
    });
  }

  function poll(el, delay) {
    var url = el.getAttribute("data-job-url");
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"},
                cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (job) {
        render(el, job);
        if (!job.finished) {
          window.setTimeout(function () { poll(el, Math.min(delay * 1.5, 5000)); }, delay);
        }
      })
      .catch(function () {  // offline or signed out: slow down, the refresh link still works
        var refresh = el.querySelector(".job-refresh");
        if (refresh) { refresh.hidden = false; }
        window.setTimeout(function () { poll(el, Math.min(delay * 2, 30000)); }, delay * 2);
      });
  }

  function start() {
    var elements = document.querySelectorAll("[data-job-id][data-job-url]");
    for (var i = 0; i < elements.length; i++) {
      var id = elements[i].getAttribute("data-job-id");
      if (started[id]) { continue; }
      started[id] = true;
      poll(elements[i], 1000);
    }
  }

  window.docflowJobs = {start: start};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
