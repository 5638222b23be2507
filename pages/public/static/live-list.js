// Keeps an open ticket list current (docs/live.md): the rows it shows follow
// their tickets (held, sold, a new price), and new listings appear at the top
// of the newest first page, or are counted in a notice on any other page, so
// a list being read never jumps. Without this script the page is as served.
(() => {
  const list = document.querySelector("[data-live-list]");
  if (!list || !("WebSocket" in window) || !window.Live) return;
  const notice = list.querySelector("[data-testid=new-tickets]");
  const inline = list.hasAttribute("data-inline");
  const unseen = new Set(); // new listings this page does not show yet
  const ids = () => [...list.querySelectorAll("tr[data-ticket]")].map((row) => row.dataset.ticket);
  const path = () => {
    const query = new URLSearchParams({ ids: ids().join(","), since: list.dataset.since });
    if (list.dataset.q) query.set("q", list.dataset.q);
    return list.dataset.liveList + "?" + query;
  };

  const update = (ticket) => {
    const row = list.querySelector(`tr[data-ticket="${ticket.id}"]`);
    if (!row || ticket.version < Number(row.dataset.version)) return; // older than shown
    row.dataset.version = ticket.version;
    row.querySelector("[data-field=price]").textContent = Live.money(ticket.priceCents);
    const state = row.querySelector("[data-field=state]");
    state.textContent = "";
    if (ticket.state !== "available") {
      const badge = document.createElement("span");
      badge.className = Live.statusClass(ticket.state);
      badge.dataset.testid = "ticket-status";
      badge.textContent = Live.label(ticket.state);
      state.append(badge);
    }
  };

  // The newest first page loads itself again: the server renders the rows.
  let loading = false;
  let again = false;
  const reload = async () => {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const rows = page.querySelector("[data-live-rows]");
      const served = page.querySelector("[data-live-list]");
      if (response.ok && rows && served) {
        list.querySelector("[data-live-rows]").replaceWith(document.adoptNode(rows));
        list.dataset.since = served.dataset.since;
        unseen.clear();
        const open = socket();
        if (open && open.readyState === WebSocket.OPEN) {
          open.send(JSON.stringify({ type: "watch", ids: ids() }));
        }
      }
    } catch (e) {
      // The next listing tries again.
    } finally {
      loading = false;
      if (again) { again = false; reload(); }
    }
  };

  const listed = (ticket) => {
    if (ids().includes(ticket.id) || unseen.has(ticket.id)) return;
    unseen.add(ticket.id);
    if (inline) return reload();
    const n = unseen.size;
    notice.querySelector("a").textContent = n === 1 ? "1 new ticket" : `${n} new tickets`;
    notice.hidden = false;
  };

  const socket = Live.open(path, (message) => {
    if (message.type === "ticket") update(message.ticket);
    if (message.type === "listed") listed(message.ticket);
  });
})();
