// Starts GOV.UK Frontend's components (error summary focus, details, tabs, the service
// navigation's menu on a phone...), the radios that reveal more questions and the
// tables' narrow-screen behaviour.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initReveals } from "./reveal.mjs";
import { initTables } from "./tables.mjs";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
initReveals();
initTables();
