// Starts the account page (a module of its own; the page allows no inline script).
import init from "/account/pkg/account.js";
init();
