// The sandbox's Slack-like page: a channel, the app's Home and Messages tabs, a message box.
// The server signs everything for the bot; this page only shows what came back, and it
// builds every message with DOM calls (see mrkdwn.js), never with innerHTML.

import { renderBlocks } from "./blockkit.js";
import { renderMrkdwn, setKnownUsers, setLinkPolicy } from "./mrkdwn.js";

const COMMANDS = ["/zoom meetings", "/zoom meetings today", "/zoom status", "/zoom digest 08:30", "/zoom help",
                  "/zoom disconnect"];
const HOME_PATIENCE_MS = 4000;
const LOCAL = new Set(["127.0.0.1", "localhost", location.hostname]);

const $ = (id) => document.getElementById(id);
const ui = {
  view: "channel", // "channel" or "app"
  tab: "messages", // the app's tab: "home" or "messages"
  version: null,
  shown: new Map(), // entry id → { rev, node }
  unread: 0,
  home: { published: -1, openedAt: 0, handled: true, last: null },
  config: null,
};

// Links to this machine open as they are; anything else would need the network.
setLinkPolicy((href) => {
  const url = new URL(href);
  if (url.protocol === "mailto:") return null;
  return LOCAL.has(url.hostname) ? url.href : `/outside?url=${encodeURIComponent(url.href)}`;
});

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 7000);
}

function clock(seconds) {
  return new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(new Date(seconds * 1000));
}

// --- messages ------------------------------------------------------------------------------
function surfaceFor(entry) {
  const surface = { state: {} };
  surface.act = (action) => click({ surface: "message", entry: entry.id, action, state: surface.state });
  return surface;
}

function messageNode(entry) {
  const mine = entry.author === "you";
  const note = entry.author === "sandbox";
  const name = mine ? (ui.config?.user.real_name || "you") : note ? "sandbox" : "zoombot";
  const meta = el("div", "meta", el("span", "name", name));
  if (!mine && !note) meta.append(el("span", "app-tag", "APP"));
  meta.append(el("time", null, clock(entry.at)));
  if (entry.meta) meta.append(el("span", "via", entry.meta));
  else if (!mine && !note) meta.append(el("span", "via", entry.via));

  const content = el("div", "content");
  if (mine) content.append(el("span", "typed", entry.text));
  else if (Array.isArray(entry.blocks) && entry.blocks.length) content.append(renderBlocks(entry.blocks, surfaceFor(entry)));
  else content.append(renderMrkdwn(entry.text));

  const body = el("div", "body", meta, content);
  if (entry.ephemeral && !note) body.append(el("div", "ephemeral", "Only visible to you"));
  if (!mine && !note) {
    const json = el("pre", "json-body", JSON.stringify({ text: entry.text, blocks: entry.blocks ?? undefined }, null, 2));
    body.append(el("details", "json", el("summary", null, "Block Kit JSON"), json));
  }
  const avatar = el("div", `avatar ${mine ? "avatar-you" : note ? "avatar-note" : "avatar-bot"}`,
    mine ? (ui.config?.user.real_name || "Y")[0] : note ? "i" : "z");
  const node = el("article", `message ${note ? "note" : ""} ${mine ? "mine" : ""}`, avatar, body);
  node.dataset.entry = entry.id;
  node.dataset.author = entry.author;
  node.dataset.via = entry.via;
  return node;
}

function showEntries(entries) {
  const lists = { channel: $("messages-channel"), dm: $("messages-dm") };
  const stuck = Object.fromEntries(Object.entries(lists).map(([key, list]) =>
    [key, list.scrollHeight - list.scrollTop - list.clientHeight < 80]));
  for (const entry of entries) {
    const known = ui.shown.get(entry.id);
    if (known && known.rev === entry.rev) continue;
    if (entry.deleted) {
      known?.node.remove();
      ui.shown.set(entry.id, { rev: entry.rev, node: null });
      continue;
    }
    const node = messageNode(entry);
    if (known?.node) known.node.replaceWith(node);
    else {
      lists[entry.conversation].append(node);
      const dmHidden = !(ui.view === "app" && ui.tab === "messages");
      if (!known && entry.conversation === "dm" && entry.author === "zoombot" && dmHidden) ui.unread += 1;
    }
    ui.shown.set(entry.id, { rev: entry.rev, node });
  }
  for (const [key, list] of Object.entries(lists)) if (stuck[key]) list.scrollTop = list.scrollHeight;
  showBadge();
}

function showBadge() {
  const badge = $("badge");
  badge.hidden = ui.unread === 0;
  badge.textContent = String(ui.unread);
}

async function click(request) {
  try {
    const answer = await api("/api/action", request);
    if (answer.problem) toast(answer.problem);
  } catch (error) {
    toast(`The click did not reach the sandbox: ${error.message}`);
  }
  poll.now();
}

// --- Home tab ------------------------------------------------------------------------------
function showHome(home) {
  const box = $("home");
  const { view, published } = home;
  if (view && published !== ui.home.published) {
    ui.home.published = published;
    const surface = { state: {} };
    surface.act = (action) => click({ surface: "home", action, state: surface.state });
    box.replaceChildren(el("div", "home-view", renderBlocks(view.blocks, surface)));
    box.dataset.published = String(published);
    return;
  }
  if (view) return;
  const waited = Date.now() - ui.home.openedAt;
  const empty = !ui.home.handled || waited > HOME_PATIENCE_MS;
  const text = empty ? "The bot published no Home view yet" : "Opening zoombot's Home…";
  if (box.dataset.placeholder === text) return;
  box.dataset.placeholder = text;
  const detail = !ui.home.handled
    ? "zoombot did not handle app_home_opened (it answered HTTP 404), and sent no views.publish."
    : empty ? "zoombot got app_home_opened but called no views.publish for you." : "";
  box.replaceChildren(el("div", "home-empty", el("p", "home-empty-title", text), el("p", "hint", detail)));
  if (!empty) setTimeout(() => showHome(ui.home.last ?? { view: null, published: 0 }), HOME_PATIENCE_MS + 100);
}

async function openHome() {
  ui.home.openedAt = Date.now();
  $("home").dataset.placeholder = "";
  if (ui.home.published < 0) showHome({ view: null, published: 0 });
  try {
    const answer = await api("/api/home", {});
    ui.home.handled = Boolean(answer.handled);
  } catch (error) {
    ui.home.handled = false;
    toast(`The Home tab could not be opened: ${error.message}`);
  }
  poll.now();
}

// --- navigation ----------------------------------------------------------------------------
function go(view, tab = ui.tab) {
  ui.view = view;
  ui.tab = tab;
  const inApp = view === "app";
  $("nav-channel").classList.toggle("active", !inApp);
  $("nav-app").classList.toggle("active", inApp);
  $("title").textContent = inApp ? "zoombot" : "# general";
  $("tabs").hidden = !inApp;
  $("tab-home").setAttribute("aria-selected", String(inApp && tab === "home"));
  $("tab-messages").setAttribute("aria-selected", String(inApp && tab === "messages"));
  $("home").hidden = !(inApp && tab === "home");
  $("messages-channel").hidden = inApp;
  $("messages-dm").hidden = !(inApp && tab === "messages");
  $("composer-area").hidden = inApp && tab === "home";
  $("message-box").placeholder = inApp ? "Message zoombot (try /zoom status)" : "Message #general (try /zoom meetings)";
  if (inApp && tab === "messages") {
    ui.unread = 0;
    showBadge();
    const list = $("messages-dm");
    list.scrollTop = list.scrollHeight;
  }
  if (inApp && tab === "home") openHome();
}

// --- typing --------------------------------------------------------------------------------
async function send(text) {
  if (!text.trim()) return;
  const conversation = ui.view === "app" ? "dm" : "channel";
  try {
    apply(await api("/api/command", { text, conversation }));
  } catch (error) {
    toast(`The message did not reach the sandbox: ${error.message}`);
  }
}

function setUpComposer() {
  const box = $("message-box");
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = box.value;
    box.value = "";
    send(text);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  for (const command of COMMANDS) {
    const chip = el("button", "chip", command);
    chip.type = "button";
    chip.addEventListener("click", () => {
      box.value = command;
      box.focus();
    });
    $("chips").append(chip);
  }
}

async function sendDigest() {
  try {
    const answer = await api("/api/digest", {});
    if (!answer.available) {
      $("digest-note").textContent = answer.note;
      toast(answer.note);
      return;
    }
    go("app", "messages");
    if (answer.note) toast(answer.note);
  } catch (error) {
    toast(`The digest could not be sent: ${error.message}`);
  }
  poll.now();
}

// --- polling -------------------------------------------------------------------------------
function apply(state) {
  if (state.version === ui.version) return;
  ui.version = state.version;
  showEntries(state.entries);
  ui.home.last = state.home;
  if (ui.view === "app" && ui.tab === "home") showHome(state.home);
  else if (state.home.view && state.home.published !== ui.home.published) showHome(state.home);
}

function poll() {
  clearTimeout(poll.timer);
  api("/api/state").then(apply, () => {}).finally(() => {
    poll.timer = setTimeout(poll, document.hidden ? 1500 : 300);
  });
}
poll.now = () => poll();

async function start() {
  setUpComposer();
  $("nav-channel").addEventListener("click", () => go("channel"));
  $("nav-app").addEventListener("click", () => go("app", ui.tab));
  $("tab-home").addEventListener("click", () => go("app", "home"));
  $("tab-messages").addEventListener("click", () => go("app", "messages"));
  $("digest-now").addEventListener("click", sendDigest);
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    ui.config = await api("/api/hello", { timezone });
    $("who").textContent = `${ui.config.user.real_name} · ${ui.config.user.zoom_email}`;
    setKnownUsers({ [ui.config.user.id]: ui.config.user.name });
    if (!ui.config.digest) $("digest-note").textContent = "This version of zoombot has no digest yet.";
  } catch (error) {
    toast(`The sandbox is not answering: ${error.message}`);
  }
  go("channel");
  document.body.dataset.ready = "true";
  poll();
  $("message-box").focus();
}

start();
