/* Search as you type for inputs tied to a <datalist> (venue, body, official): an ARIA 1.2
   combobox (WAI-ARIA Authoring Practices, "list autocomplete") built over the datalist, which
   stays the fallback without JavaScript. Typing filters the options by code or name (any part,
   any case); ArrowDown/ArrowUp move; Enter or Tab takes the highlighted option; Escape closes.
   Enter with no list open submits the form as usual. */
(function () {
  "use strict";
  var counter = 0;

  function enhance(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var options = Array.prototype.map.call(list.options, function (o) {
      return { value: o.value, label: o.textContent.trim() };
    });
    var id = input.id || ("combo-" + (++counter));
    var box = document.createElement("ul");
    box.id = id + "-listbox";
    box.className = "combo-list";
    box.setAttribute("role", "listbox");
    box.hidden = true;
    var wrap = document.createElement("div");
    wrap.className = "combo";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(box);
    input.removeAttribute("list");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", box.id);
    var shown = [], active = -1;

    function close() {
      box.hidden = true; shown = []; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(box.children, function (li, k) {
        li.setAttribute("aria-selected", k === i ? "true" : "false");
      });
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", box.children[i].id);
        box.children[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function pick(i) {
      input.value = shown[i].value;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function open() {
      var q = input.value.trim().toLocaleLowerCase();
      shown = options.filter(function (o) {
        return !q || o.value.toLocaleLowerCase().indexOf(q) >= 0
          || o.label.toLocaleLowerCase().indexOf(q) >= 0;
      }).slice(0, 20);
      box.innerHTML = "";
      shown.forEach(function (o, k) {
        var li = document.createElement("li");
        li.id = box.id + "-" + k;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var code = document.createElement("span");
        code.className = "combo-code";
        code.textContent = o.value;
        li.appendChild(code);
        li.appendChild(document.createTextNode(" " + o.label));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(k); });
        box.appendChild(li);
      });
      var exact = shown.length === 1 && shown[0].value === input.value.trim();
      if (!shown.length || exact) { close(); return; }
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(q ? 0 : -1);
    }

    input.addEventListener("input", open);
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (e) {
      var isOpen = !box.hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!isOpen) { open(); if (shown.length) highlight(0); return; }
        highlight(Math.min(active + 1, shown.length - 1));
      } else if (e.key === "ArrowUp" && isOpen) {
        e.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (e.key === "Enter" && isOpen && active >= 0) {
        e.preventDefault();
        pick(active);
      } else if (e.key === "Tab" && isOpen && active >= 0) {
        pick(active);  // and let Tab move on
      } else if (e.key === "Escape" && isOpen) {
        e.preventDefault();
        close();
      }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-combobox] input[list]"), enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}());
