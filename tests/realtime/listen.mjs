// A stock socket.io-client as a separate process, for the cluster tier (tests/cluster): connects
// to URL with TOKEN over WebSocket, prints "connected", then one JSON line per contact_created
// event until it has N of them or 20 s passed, and exits.
// usage: node tests/realtime/listen.mjs URL TOKEN N
import { io } from "socket.io-client";

const [url, token, n] = process.argv.slice(2);
const want = Number(n);
let got = 0;
const s = io(url, { transports: ["websocket"], auth: { token }, reconnection: false });
const done = (code) => { s.close(); process.exit(code); };
setTimeout(() => done(got === want ? 0 : 1), 20000);
s.on("connect", () => console.log("connected"));
s.on("connect_error", (e) => { console.log("connect_error " + e.message); done(2); });
s.on("contact_created", (data) => {
  console.log(JSON.stringify(data));
  if (++got === want) done(0);
});
