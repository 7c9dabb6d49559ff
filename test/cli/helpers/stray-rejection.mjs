// Preloaded with `node --import` by test/cli/errors.test.ts: once the wasm glue has installed its
// uncaughtException listener (the one that rethrows with its minified source), rejects a promise
// nobody awaits, the way a stray async failure inside a run would surface.
const timer = setInterval(() => {
  if (!process.listeners("uncaughtException").some((listener) => String(listener).includes("ExitStatus"))) return;
  clearInterval(timer);
  Promise.reject(new TypeError("stray failure after the backend is up"));
}, 5);
timer.unref();
