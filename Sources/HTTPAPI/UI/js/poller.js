// A page's periodic refresh: it runs only while the page is shown (pages start it in
// enter and stop it in leave), so hidden pages cost the appliance nothing.

/** {start, stop} around setInterval(tick, intervalMs); start restarts. */
export function poller(intervalMs, tick) {
  let timer = null;
  return {
    start() {
      clearInterval(timer);
      timer = setInterval(tick, intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}
