/* ipywidgets 8 typesets widget labels with the MathJax 2 API, MathJax.Hub.Queue(["Typeset", MathJax.Hub, el]).
 * The book serves MathJax 3, which has no Hub: this maps the call to MathJax 3's typesetPromise. The Hub is
 * (re)attached whenever window.MathJax is assigned, because MathJax 3 replaces its configuration object. */
(function () {
  "use strict";
  function typeset(args) {
    var el = Array.isArray(args) && args.length > 2 ? args[2] : null;
    var tries = 0;
    (function go() {
      var M = window.MathJax;
      if (M && M.startup && M.startup.promise && typeof M.typesetPromise === "function") {
        M.startup.promise
          .then(function () { return M.typesetPromise(el ? [el] : undefined); })
          .catch(function (e) { console.warn("MathJax typeset of a widget label failed:", e); });
      } else if (tries++ < 400) {
        setTimeout(go, 25);
      }
    })();
  }
  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) typeset(arguments[i]);
    },
  };
  function attach(v) {
    if (v && typeof v === "object" && !v.Hub) {
      try {
        Object.defineProperty(v, "Hub", { value: hub, enumerable: false, configurable: true, writable: true });
      } catch (e) { /* frozen object: nothing to do */ }
    }
    return v;
  }
  var current = attach(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (v) { current = attach(v); },
  });
})();
