// Block Kit → DOM, the way Slack lays it out, closely enough to judge a message by.
// Interactive elements report to `surface.act(action)` with the element's fields, and keep
// the current value of every input in `surface.state` (Slack's state.values).

import { link, renderMrkdwn, renderPlain, safeHref } from "./mrkdwn.js";

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

export function renderText(obj) {
  if (!obj || typeof obj !== "object") return el("span");
  if (obj.type === "mrkdwn") return renderMrkdwn(obj.text);
  return renderPlain(obj.text, obj.emoji !== false);
}

function plainOf(obj) {
  return obj && typeof obj === "object" ? String(obj.text ?? "") : "";
}

function remember(surface, blockId, el_, value) {
  if (!el_.action_id) return;
  surface.state[blockId] = surface.state[blockId] || {};
  surface.state[blockId][el_.action_id] = { type: el_.type, ...value };
}

function sameOption(a, b) {
  return a && b && a.value === b.value;
}

// --- a confirmation dialog, as Slack shows for elements with `confirm` -----------------------
function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  return new Promise((resolve) => {
    const dialog = el("dialog", "bk-confirm");
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const deny = el("button", "bk-button", plainOf(confirm.deny) || "Cancel");
    const ok = el("button", `bk-button bk-${confirm.style === "danger" ? "danger" : "primary"}`,
      plainOf(confirm.confirm) || "Yes");
    deny.type = ok.type = "button";
    deny.addEventListener("click", () => done(false));
    ok.addEventListener("click", () => done(true));
    dialog.append(el("h2", null, plainOf(confirm.title) || "Are you sure?"), el("div", "bk-confirm-text",
      renderText(confirm.text)), el("div", "bk-confirm-buttons", deny, ok));
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

// --- elements ----------------------------------------------------------------------------
function button(element, blockId, surface) {
  const href = element.url ? safeHref(element.url) : null;
  const node = el(href ? "a" : "button", `bk-button${element.style ? ` bk-${element.style}` : ""}`,
    renderPlain(plainOf(element.text), element.text?.emoji !== false));
  if (href) {
    node.href = href;
    node.target = "_blank";
    node.rel = "noopener noreferrer";
    node.title = element.url;
  } else {
    node.type = "button";
  }
  node.dataset.actionId = element.action_id || "";
  node.addEventListener("click", async (event) => {
    const action = { type: "button", action_id: element.action_id, block_id: blockId, text: element.text,
                     value: element.value, url: element.url, style: element.style };
    if (element.confirm) {
      event.preventDefault();
      if (!(await confirmFirst(element.confirm))) return;
      if (href) window.open(href, "_blank", "noopener");
    }
    // Slack opens a URL button's link and sends block_actions too.
    surface.act(action);
  });
  return node;
}

function optionsOf(element) {
  const groups = element.option_groups || [{ options: element.options || [] }];
  return groups.map((group) => ({ label: group.label ? plainOf(group.label) : null, options: group.options || [] }));
}

function select(element, blockId, surface, { overflow = false } = {}) {
  const node = el("select", overflow ? "bk-overflow" : "bk-select");
  node.dataset.actionId = element.action_id || "";
  const all = [];
  const first = el("option", null, overflow ? "⋯" : plainOf(element.placeholder) || "Select an item");
  first.value = "";
  first.disabled = !overflow;
  node.append(first);
  for (const group of optionsOf(element)) {
    const parent = group.label ? el("optgroup") : node;
    if (group.label) {
      parent.label = group.label;
      node.append(parent);
    }
    for (const option of group.options) {
      const item = el("option", null, renderPlain(plainOf(option.text)).textContent);
      item.value = String(all.length);
      all.push(option);
      parent.append(item);
    }
  }
  const initial = all.findIndex((option) => sameOption(option, element.initial_option));
  node.value = initial >= 0 ? String(initial) : "";
  if (!overflow) remember(surface, blockId, element, { selected_option: initial >= 0 ? all[initial] : null });
  node.addEventListener("change", () => {
    const chosen = all[Number(node.value)] ?? null;
    if (overflow) node.value = "";
    else remember(surface, blockId, element, { selected_option: chosen });
    surface.act({ type: element.type, action_id: element.action_id, block_id: blockId, selected_option: chosen,
                  placeholder: element.placeholder, initial_option: element.initial_option });
  });
  return node;
}

function picker(element, blockId, surface, inputType, field, initial) {
  const node = el("input", "bk-picker");
  node.type = inputType;
  node.dataset.actionId = element.action_id || "";
  if (element[initial]) node.value = element[initial];
  remember(surface, blockId, element, { [field]: element[initial] ?? null });
  node.addEventListener("change", () => {
    remember(surface, blockId, element, { [field]: node.value || null });
    surface.act({ type: element.type, action_id: element.action_id, block_id: blockId, [field]: node.value || null,
                  [initial]: element[initial] });
  });
  // A timepicker with a `timezone` reads its time in that zone; Slack says so under it.
  if (!element.timezone) return node;
  return el("span", "bk-picker-with-zone", node, el("span", "bk-hint", String(element.timezone)));
}

function choices(element, blockId, surface, multiple) {
  const node = el("div", multiple ? "bk-checkboxes" : "bk-radios");
  node.dataset.actionId = element.action_id || "";
  const name = `r${Math.random().toString(36).slice(2)}`;
  const options = element.options || [];
  const initial = multiple ? element.initial_options || [] : element.initial_option ? [element.initial_option] : [];
  const inputs = options.map((option) => {
    const input = el("input");
    input.type = multiple ? "checkbox" : "radio";
    input.name = name;
    input.checked = initial.some((chosen) => sameOption(chosen, option));
    const label = el("label", "bk-choice", input, el("span", null, renderText(option.text)));
    if (option.description) label.append(el("span", "bk-choice-description", renderText(option.description)));
    node.append(label);
    return input;
  });
  const current = () => options.filter((_, i) => inputs[i].checked);
  const value = () => (multiple ? { selected_options: current() } : { selected_option: current()[0] ?? null });
  remember(surface, blockId, element, value());
  for (const input of inputs) {
    input.addEventListener("change", () => {
      remember(surface, blockId, element, value());
      surface.act({ type: element.type, action_id: element.action_id, block_id: blockId, ...value() });
    });
  }
  return node;
}

function textInput(element, blockId, surface) {
  const node = el(element.multiline ? "textarea" : "input", "bk-input");
  node.dataset.actionId = element.action_id || "";
  node.placeholder = plainOf(element.placeholder);
  node.value = element.initial_value ?? "";
  remember(surface, blockId, element, { value: node.value || null });
  node.addEventListener("input", () => remember(surface, blockId, element, { value: node.value || null }));
  if (element.dispatch_action) {
    node.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey) return;
      event.preventDefault();
      surface.act({ type: element.type, action_id: element.action_id, block_id: blockId, value: node.value });
    });
  }
  return node;
}

function imagePlaceholder(alt, className) {
  // Images would come from the network, which the sandbox never reaches: show their alt text.
  return el("span", className, `🖼 ${alt || "image"}`);
}

function element(item, blockId, surface) {
  switch (item?.type) {
    case "button": return button(item, blockId, surface);
    case "static_select": return select(item, blockId, surface);
    case "overflow": return select(item, blockId, surface, { overflow: true });
    case "timepicker": return picker(item, blockId, surface, "time", "selected_time", "initial_time");
    case "datepicker": return picker(item, blockId, surface, "date", "selected_date", "initial_date");
    case "checkboxes": return choices(item, blockId, surface, true);
    case "radio_buttons": return choices(item, blockId, surface, false);
    case "plain_text_input": return textInput(item, blockId, surface);
    case "image": return imagePlaceholder(item.alt_text, "bk-image-element");
    default: return el("span", "bk-unsupported", `[${item?.type || "element"} is not shown in the sandbox]`);
  }
}

// --- blocks --------------------------------------------------------------------------------
function section(block, blockId, surface) {
  const main = el("div", "bk-section-main");
  if (block.text) main.append(el("div", "bk-section-text", renderText(block.text)));
  if (Array.isArray(block.fields)) {
    main.append(el("div", "bk-fields", ...block.fields.map((field) => el("div", "bk-field", renderText(field)))));
  }
  const node = el("div", "bk-section", main);
  if (block.accessory) node.append(el("div", "bk-accessory", element(block.accessory, blockId, surface)));
  return node;
}

function richText(block) {
  const node = el("div", "bk-rich-text");
  const inlineOf = (part) => {
    let out;
    if (part.type === "link") out = link(part.url, part.text || part.url);
    else if (part.type === "user") out = el("span", "mk-mention", `@${part.user_id}`);
    else if (part.type === "broadcast") out = el("span", "mk-mention mk-broadcast", `@${part.range}`);
    else if (part.type === "emoji") out = renderPlain(`:${part.name}:`);
    else out = el("span", null, String(part.text ?? ""));
    const style = part.style || {};
    if (style.code) out = el("code", "mk-code", out);
    if (style.bold) out = el("strong", null, out);
    if (style.italic) out = el("em", null, out);
    if (style.strike) out = el("s", null, out);
    return out;
  };
  for (const child of block.elements || []) {
    const parts = (child.elements || []).map(inlineOf);
    if (child.type === "rich_text_list") {
      const list = el(child.style === "ordered" ? "ol" : "ul");
      for (const item of child.elements || []) list.append(el("li", null, ...(item.elements || []).map(inlineOf)));
      node.append(list);
    } else if (child.type === "rich_text_preformatted") node.append(el("pre", "mk-pre", ...parts));
    else if (child.type === "rich_text_quote") node.append(el("blockquote", "mk-quote", ...parts));
    else node.append(el("div", "mk", ...parts));
  }
  return node;
}

function block(item, index, surface) {
  const blockId = item.block_id || `sbx${index}`;
  let node;
  switch (item.type) {
    case "header":
      node = el("div", "bk-header", renderText(item.text));
      break;
    case "section":
      node = section(item, blockId, surface);
      break;
    case "context":
      node = el("div", "bk-context", ...(item.elements || []).map((part) =>
        part.type === "image" ? imagePlaceholder(part.alt_text, "bk-context-image") : el("span", "bk-context-part", renderText(part))));
      break;
    case "divider":
      node = el("hr", "bk-divider");
      break;
    case "actions":
      node = el("div", "bk-actions", ...(item.elements || []).map((part) => element(part, blockId, surface)));
      break;
    case "image":
      node = el("figure", "bk-image", ...(item.title ? [el("figcaption", null, renderText(item.title))] : []),
        imagePlaceholder(item.alt_text, "bk-image-alt"));
      break;
    case "input":
      node = el("label", "bk-input-block", el("span", "bk-input-label", renderText(item.label)),
        element(item.element, blockId, surface), ...(item.hint ? [el("span", "bk-hint", renderText(item.hint))] : []));
      break;
    case "rich_text":
      node = richText(item);
      break;
    default:
      node = el("div", "bk-unsupported", `[a ${item.type || "untyped"} block is not shown in the sandbox]`);
  }
  node.classList.add("bk-block");
  node.dataset.blockType = item.type || "";
  node.dataset.blockId = blockId;
  return node;
}

/** Blocks → one element. `surface` = { act(action), state: {} }; state is filled in here. */
export function renderBlocks(blocks, surface) {
  const root = el("div", "bk");
  (Array.isArray(blocks) ? blocks : []).forEach((item, index) => {
    if (item && typeof item === "object") root.append(block(item, index, surface));
  });
  return root;
}
