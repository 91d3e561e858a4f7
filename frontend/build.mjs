// Builds the committed static assets from the npm packages: GOV.UK Frontend's
// CSS (compiled with our settings), its JavaScript, fonts-free assets, htmx,
// Chart.js and Leaflet; and axe-core for the browser tests. Run with `npm install && npm run build`.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const out = "brokerage/static";

// The source maps are not shipped, so the references to them go too: Django's
// manifest storage (collectstatic in production) fails on a reference it cannot find.
function copyScript(from, to) {
  writeFileSync(to, readFileSync(from, "utf8").replace(/\/\/# sourceMappingURL=\S+\s*$/, ""));
}

const nm = "node_modules";
mkdirSync(`${out}/govuk`, { recursive: true });
mkdirSync(`${out}/vendor`, { recursive: true });

const css = sass.compile("frontend/application.scss", {
  loadPaths: [`${nm}/govuk-frontend/dist`],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "slash-div"],
});
writeFileSync(`${out}/govuk/application.css`, css.css);
copyScript(`${nm}/govuk-frontend/dist/govuk/govuk-frontend.min.js`, `${out}/govuk/govuk-frontend.min.js`);
cpSync(`${nm}/govuk-frontend/dist/govuk/assets/images`, `${out}/govuk/assets/images`, { recursive: true });
cpSync(`${nm}/govuk-frontend/dist/govuk/assets/manifest.json`, `${out}/govuk/assets/manifest.json`);
copyScript(`${nm}/htmx.org/dist/htmx.min.js`, `${out}/vendor/htmx.min.js`);
copyScript(`${nm}/chart.js/dist/chart.umd.min.js`, `${out}/vendor/chart.umd.min.js`);
copyScript(`${nm}/leaflet/dist/leaflet.js`, `${out}/vendor/leaflet.js`);
cpSync(`${nm}/leaflet/dist/leaflet.css`, `${out}/vendor/leaflet.css`);
// leaflet.css refers to these (layer control, markers).
cpSync(`${nm}/leaflet/dist/images`, `${out}/vendor/images`, { recursive: true });
// axe-core is for the browser tests only (tests/browser/conftest.py runs it on every
// page they visit): it is committed beside them, never served, so CI needs no npm.
mkdirSync("tests/browser/vendor", { recursive: true });
cpSync(`${nm}/axe-core/axe.min.js`, "tests/browser/vendor/axe.min.js");
cpSync(`${nm}/axe-core/LICENSE`, "tests/browser/vendor/axe-core.LICENSE");
console.log("built", out);
