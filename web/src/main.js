// Entry point of the console bundle: mounts the app on #app.
import { h, render } from "preact";
import { App } from "./app.js";

render(h(App, null), document.getElementById("app"));
