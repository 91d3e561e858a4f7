// Runs axe-core (loaded just before this, by the same init script) on every document
// the browser tests open, once it has loaded and again after htmx swaps new content in,
// and reports each run to the test through the binding the fixture exposes. The page's
// CSP is left as it is: an init script is not a <script> element, so script-src does
// not apply to it.
(() => {
  if (window.top !== window || document.contentType !== "text/html") return;
  const axe = window.axe;
  // A page polled by htmx swaps every few seconds: a few re-runs cover what it shows.
  const MOST_RERUNS = 5;
  let queue = Promise.resolve();
  let reruns = 0;
  let pending = null;

  function summary(results) {
    return results.violations.map((rule) => ({
      id: rule.id,
      impact: rule.impact,
      help: rule.help,
      helpUrl: rule.helpUrl,
      targets: rule.nodes.map((node) => node.target.join(" ")),
    }));
  }

  function check() {
    queue = queue.then(async () => {
      let report;
      try {
        report = { violations: summary(await axe.run(document, { resultTypes: ["violations"] })) };
      } catch (error) {
        report = { error: String(error) };
      }
      window.__axeReport(location.href, report);
      return report;
    });
    return queue;
  }

  // The fixture calls this at the end of a test to check the page as it is left.
  Object.defineProperty(window, "__axeCheck", { value: check });
  window.addEventListener("load", () => check());
  document.addEventListener("htmx:afterSettle", () => {
    if (reruns >= MOST_RERUNS) return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      reruns += 1;
      check();
    }, 300);
  });
})();
