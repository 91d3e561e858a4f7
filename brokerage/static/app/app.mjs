// Starts GOV.UK Frontend's components (error summary focus, details, tabs, the service
// navigation's menu on a phone...) and the tables' narrow-screen behaviour.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initTables } from "./tables.mjs";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
initTables();
