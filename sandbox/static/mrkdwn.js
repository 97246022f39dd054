// Slack's mrkdwn, turned into DOM nodes. Text from messages only ever becomes text nodes
// (textContent); no string from a message is parsed as HTML anywhere on this page.
//
// What Slack itself does, in order: `<…>` sequences are controls (links, mentions, dates),
// `&lt; &gt; &amp;` are the only entities, *bold* _italic_ ~strike~ `code` ```pre``` format,
// and a line starting with `>` (sent as `&gt;`) is a quote.

const EMOJI = {
  "+1": "👍", alarm_clock: "⏰", arrows_counterclockwise: "🔄", bell: "🔔", bust_in_silhouette: "👤",
  busts_in_silhouette: "👥", calendar: "📆", clock1: "🕐", clock9: "🕘", coffee: "☕", date: "📅",
  electric_plug: "🔌", eyes: "👀", gear: "⚙️", green_circle: "🟢", heavy_check_mark: "✔️",
  hourglass: "⌛", hourglass_flowing_sand: "⏳", information_source: "ℹ️", key: "🔑",
  large_green_circle: "🟢", link: "🔗", lock: "🔒", mag: "🔍", mailbox: "📫", memo: "📝",
  movie_camera: "🎥", no_bell: "🔕", no_entry: "⛔", pencil2: "✏️", point_right: "👉",
  red_circle: "🔴", repeat: "🔁", rocket: "🚀", speech_balloon: "💬", sparkles: "✨",
  spiral_calendar_pad: "🗓️", spiral_calendar: "🗓️", stopwatch: "⏱️", sun_with_face: "🌞", sunny: "☀️",
  sunrise: "🌅", tada: "🎉", thumbsup: "👍", video_camera: "📹", warning: "⚠️", wave: "👋",
  white_check_mark: "✅", white_circle: "⚪", x: "❌", zzz: "💤", wastebasket: "🗑️",
  crescent_moon: "🌙", city_sunrise: "🌇", busts: "👥", calendar_spiral: "🗓️", inbox_tray: "📥",
};

const ENTITIES = { lt: "<", gt: ">", amp: "&" };

export function decodeEntities(text) {
  return text.replace(/&(lt|gt|amp);/g, (_, name) => ENTITIES[name]);
}

export function emojify(text) {
  return text.replace(/:([a-z0-9_+'-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function textNode(raw) {
  return document.createTextNode(emojify(decodeEntities(raw)));
}

// The page decides where a link may go (same host, or a stop page for the outside world).
let linkPolicy = (url) => url;
export function setLinkPolicy(policy) {
  linkPolicy = policy;
}

export function safeHref(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:" && url.protocol !== "mailto:") return null;
  return linkPolicy(url.href);
}

export function link(rawUrl, label) {
  const href = safeHref(rawUrl);
  if (href === null) return el("span", "mk-link-broken", label);
  const a = el("a", "mk-link", label);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.title = rawUrl;
  return a;
}

// --- <!date^…> ---------------------------------------------------------------------------
const MONTHS_LONG = { month: "long" };
const MONTHS_SHORT = { month: "short" };

function ordinal(day) {
  const lang = (navigator.language || "en").toLowerCase();
  if (!lang.startsWith("en")) return String(day);
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return day + ({ 1: "st", 2: "nd", 3: "rd" }[day % 10] || "th");
}

function part(date, options) {
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

function daysFromToday(date) {
  const start = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return Math.round((start(date) - start(new Date())) / 86400000);
}

function relative(date) {
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const steps = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                 ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(seconds, "second");
}

export function formatDate(unixSeconds, template) {
  const date = new Date(unixSeconds * 1000);
  const day = date.getDate();
  const year = date.getFullYear();
  const month = part(date, MONTHS_LONG);
  const plain = {
    date_num: `${year}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
    date: `${month} ${ordinal(day)}, ${year}`,
    date_short: `${part(date, MONTHS_SHORT)} ${day}, ${year}`,
    date_long: `${part(date, { weekday: "long" })}, ${month} ${ordinal(day)}, ${year}`,
  };
  const pretty = { 0: "today", 1: "tomorrow", "-1": "yesterday" }[daysFromToday(date)];
  const values = {
    ...plain,
    date_pretty: pretty ?? plain.date,
    date_short_pretty: pretty ?? plain.date_short,
    date_long_pretty: pretty ?? plain.date_long,
    time: part(date, { hour: "numeric", minute: "2-digit" }),
    time_secs: part(date, { hour: "numeric", minute: "2-digit", second: "2-digit" }),
    ago: relative(date),
  };
  return template.replace(/\{([a-z_]+)\}/g, (whole, name) => values[name] ?? whole);
}

function dateToken(body, label) {
  // body: date^UNIX^{format}[^link]
  const [, unix, template, linkUrl] = body.split("^");
  const seconds = Number(unix);
  if (!Number.isFinite(seconds) || template === undefined) return textNode(label ?? "");
  const shown = formatDate(seconds, template);
  const node = linkUrl ? link(decodeEntities(linkUrl), shown) : el("span", null, shown);
  node.classList.add("mk-date");
  node.dataset.unix = String(seconds);
  node.title = new Date(seconds * 1000).toString();
  return node;
}

// --- <…> controls --------------------------------------------------------------------------
let knownUsers = {};
export function setKnownUsers(users) {
  knownUsers = users;
}

function control(inner) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? decodeEntities(inner.slice(bar + 1)) : null;
  if (target.startsWith("!date^")) return dateToken(target.slice(1), label);
  if (/^!(here|channel|everyone)$/.test(target)) return el("span", "mk-mention mk-broadcast", `@${target.slice(1)}`);
  if (target.startsWith("!subteam^")) return el("span", "mk-mention", label || "@group");
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return el("span", "mk-mention", `@${knownUsers[id] || label || id}`);
  }
  if (target.startsWith("#")) return el("span", "mk-mention", `#${label || target.slice(1)}`);
  if (target.startsWith("!")) return textNode(label || "");
  const url = decodeEntities(target);
  return link(url, label ?? url);
}

// --- inline formatting -------------------------------------------------------------------
const TOKEN = new RegExp(
  [
    "```([\\s\\S]+?)```", // 1: preformatted
    "`([^`\\n]+)`", // 2: code
    "<([^<>\\n]+)>", // 3: a control
    "(?<![A-Za-z0-9])([*_~])(?![\\s*_~])([^\\n]*?[^\\s])\\4(?![A-Za-z0-9])", // 4: marker, 5: inside
  ].join("|"),
  "g",
);
const STYLE = { "*": "strong", _: "em", "~": "s" };

function inline(text, out) {
  let last = 0;
  const matches = [...text.matchAll(TOKEN)];
  for (const m of matches) {
    if (m.index > last) out.push(textNode(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(el("pre", "mk-pre", decodeEntities(m[1].replace(/^\n/, ""))));
    else if (m[2] !== undefined) out.push(el("code", "mk-code", decodeEntities(m[2])));
    else if (m[3] !== undefined) out.push(control(m[3]));
    else {
      const children = [];
      inline(m[5], children);
      out.push(el(STYLE[m[4]], null, ...children));
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(textNode(text.slice(last)));
  return out;
}

/** mrkdwn text → a <span> (white-space: pre-wrap keeps the line breaks). */
export function renderMrkdwn(text) {
  const root = el("span", "mk");
  const lines = String(text ?? "").split("\n");
  let run = [];
  let quoted = false;
  const flush = () => {
    if (!run.length) return;
    const body = run.join("\n");
    if (quoted) root.append(el("blockquote", "mk-quote", ...inline(body, [])));
    else {
      const previous = root.lastChild;
      if (previous && previous.nodeName !== "BLOCKQUOTE") root.append(document.createTextNode("\n"));
      root.append(...inline(body, []));
    }
    run = [];
  };
  for (const line of lines) {
    const quote = /^(&gt;|>) ?/.exec(line);
    if (Boolean(quote) !== quoted) {
      flush();
      quoted = Boolean(quote);
    }
    run.push(quote ? line.slice(quote[0].length) : line);
  }
  flush();
  return root;
}

/** plain_text: literal, with :emoji: turned into emoji unless `emoji` is false. */
export function renderPlain(text, emoji = true) {
  const raw = String(text ?? "");
  return el("span", "pt", emoji ? emojify(raw) : raw);
}
