/* The problem page's lifecycle diagram (bpmn-js navigated viewer, served from /vendor/).
 *
 * Reads the instance's position from <script type="application/json" id="diagram-state"> (element
 * ids done, current and waiting timers, computed by the engine: engine/instance_position.py), loads
 * the viewer, draws the XML of the version the instance runs (data-xml-url), marks the elements
 * (rf-done, rf-current, rf-waiting, rf-active) and puts an overlay on each current step and timer.
 * The server-rendered list of steps stays on the page, folded, as the diagram's text alternative;
 * if anything fails, the diagram is hidden and the list stays open.
 */
(function () {
  "use strict";

  function loadViewer(url) {
    if (window.BpmnJS) {
      return Promise.resolve(window.BpmnJS);
    }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = function () {
        if (window.BpmnJS) {
          resolve(window.BpmnJS);
        } else {
          reject(new Error("bpmn-js did not load"));
        }
      };
      script.onerror = function () { reject(new Error("cannot load " + url)); };
      document.head.appendChild(script);
    });
  }

  function fetchXml(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("diagram: HTTP " + response.status);
        }
        return response.text();
      });
  }

  function badge(className, text) {
    var element = document.createElement("div");
    element.className = className;
    element.textContent = text; // text only: nothing from the data is parsed as HTML
    return element;
  }

  function mark(viewer, state) {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    function known(id) { return Boolean(registry.get(id)); }

    (state.completed || []).filter(known).forEach(function (id) { canvas.addMarker(id, "rf-done"); });
    (state.active || []).filter(known).forEach(function (id) { canvas.addMarker(id, "rf-active"); });
    (state.current || []).forEach(function (item) {
      if (!known(item.id)) { return; }
      canvas.addMarker(item.id, "rf-current");
      overlays.add(item.id, "rf-current", {
        position: { top: -14, left: -6 },
        html: badge("rf-overlay-current", item.label)
      });
    });
    (state.waiting || []).forEach(function (item) {
      if (!known(item.id)) { return; }
      canvas.addMarker(item.id, "rf-waiting");
      overlays.add(item.id, "rf-waiting", {
        position: { bottom: -4, left: -20 },
        html: badge("rf-overlay-timer", item.label)
      });
    });
  }

  // On a phone the whole diagram fitted is too small to read: show the current step at a readable
  // scale instead (the viewer pans and zooms for the rest).
  var NARROW = 640;
  var READABLE_SCALE = 0.8;

  function focusOnNarrowScreens(viewer, container, state) {
    var registry = viewer.get("elementRegistry");
    var first = (state.current || []).map(function (item) { return registry.get(item.id); }).filter(Boolean)[0];
    if (!first || container.clientWidth >= NARROW) {
      return;
    }
    var canvas = viewer.get("canvas");
    if (canvas.zoom() < READABLE_SCALE) {
      canvas.zoom(READABLE_SCALE);
      canvas.scrollToElement(first, { top: 60, bottom: 60, left: 40, right: 40 });
    }
  }

  function start() {
    var container = document.getElementById("problem-diagram");
    var data = document.getElementById("diagram-state");
    if (!container || !data) {
      return;
    }
    var state = JSON.parse(data.textContent);
    var steps = document.getElementById("diagram-steps");
    container.hidden = false;
    container.setAttribute("aria-busy", "true");
    Promise.all([loadViewer(container.dataset.viewerUrl), fetchXml(container.dataset.xmlUrl)])
      .then(function (loaded) {
        var viewer = new loaded[0]({ container: container });
        return viewer.importXML(loaded[1]).then(function () {
          mark(viewer, state);
          var canvas = viewer.get("canvas");
          canvas.zoom("fit-viewport", "auto");
          focusOnNarrowScreens(viewer, container, state);
          container.classList.add("diagram-drawn");
          container.removeAttribute("aria-busy");
          if (steps) {
            steps.open = false; // the list stays as the diagram's text alternative, folded
          }
        });
      })
      .catch(function (error) {
        container.hidden = true;
        container.removeAttribute("aria-busy");
        var note = document.createElement("p");
        note.className = "diagram-failed muted";
        note.textContent = container.dataset.failed || "";
        container.parentNode.insertBefore(note, container);
        if (window.console) {
          console.warn("problem diagram:", error);
        }
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
