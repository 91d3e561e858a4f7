// Starts GOV.UK Frontend's components (error summary focus, details, tabs...).
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
