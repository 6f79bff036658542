// Starts this phone's figures (a module of its own; the page allows no inline script).
import init from "/community/pkg/community.js";
init();
