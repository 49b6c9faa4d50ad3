// Preloaded into the peer gateway (`node --import ./loopback.mjs …`): its server listens on every
// interface by default; the benchmark keeps everything on loopback.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number") {
    if (typeof args[1] === "function") args.splice(1, 0, "127.0.0.1");
    else if (args[1] === undefined || args[1] === null) args[1] = "127.0.0.1";
  } else if (args[0] && typeof args[0] === "object" && args[0].port !== undefined && !args[0].host) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
