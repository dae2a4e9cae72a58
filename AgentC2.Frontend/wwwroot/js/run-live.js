// Follows a running run on its page: steps are appended as the agent takes them, and the status, output and
// token usage are filled in when the run ends. The page works without this script (it shows a Refresh link).
const run = document.getElementById("run");

if (run && run.dataset.live === "true") {
  const steps = document.getElementById("steps");
  const seen = new Set([...steps.querySelectorAll("[data-step]")].map((li) => li.dataset.step));
  const after = run.dataset.lastStep || "0";
  const source = new EventSource(`${run.dataset.events}?after=${encodeURIComponent(after)}`);

  source.addEventListener("step", (event) => {
    const step = JSON.parse(event.data);
    if (seen.has(String(step.number))) return;
    seen.add(String(step.number));
    steps.append(renderStep(step));
    text("run-steps", String(step.number));
    addUsage(step.usage);
  });

  source.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    source.close();
    const badge = document.querySelector("#run-status .badge");
    badge.textContent = status.status;
    badge.dataset.status = status.status;
    badge.className = `badge status-${status.status}`;
    text("run-output", status.output ?? "—");
    text("run-error", status.error ?? "");
    text("run-steps", String(status.stepsCompleted));
    const usage = status.usage;
    if (usage) text("run-usage", `${usage.totalTokens} (${usage.inputTokens} in, ${usage.outputTokens} out)`);
    if (status.finishedAt) text("run-finished", status.finishedAt.replace("T", " ").replace(/\.\d+/, ""));
    text("live-note", `The run ${status.status}.`);
    document.querySelector("form.inline-form")?.remove();
  });

  source.onerror = () => {
    // EventSource reconnects by itself (with Last-Event-ID); say so while it does.
    text("live-note", "Reconnecting to the live view…");
  };
  source.onopen = () => text("live-note", "Live: steps appear as the agent takes them.");
}

// The header's tokens while the run goes on: the steps' usage added as they arrive (the run's total comes at its end).
function addUsage(usage) {
  const header = document.getElementById("run-usage");
  if (!header || !usage) return;
  for (const [key, field] of [["input", "inputTokens"], ["output", "outputTokens"], ["total", "totalTokens"]]) {
    header.dataset[key] = String(Number(header.dataset[key] || 0) + (usage[field] ?? 0));
  }
  header.textContent = `${header.dataset.total} (${header.dataset.input} in, ${header.dataset.output} out)`;
}

function text(id, value) {
  const element = document.getElementById(id);
  if (element) element.textContent = value;
}

function renderStep(step) {
  const li = element("li", "step");
  li.dataset.step = String(step.number);
  const head = element("p", "step-head");
  head.append(element("strong", "", `Step ${step.number}`), " ",
    element("span", "muted", `${step.modelTier} tier · ${step.usage.totalTokens} tokens · ${Math.round(step.durationMs)} ms`));
  li.append(head);
  for (const message of step.messages) {
    if (message.text) li.append(messageLine(`message role-${message.role}`, message.role, message.text));
    for (const call of message.toolCalls ?? []) {
      const line = messageLine("message tool-call", "tool call", "");
      line.append(element("code", "", call.name));
      if (call.arguments && Object.keys(call.arguments).length > 0) line.append(" ", element("code", "tool-arguments", JSON.stringify(call.arguments)));
      li.append(line);
    }
    for (const result of message.toolResults ?? []) {
      li.append(messageLine("message tool-result", "tool result", result.result ?? ""));
      for (const item of result.content ?? []) li.append(renderContent(item));
    }
  }
  return li;
}

// A non-text item of a tool result, as the server-rendered page shows it.
function renderContent(item) {
  const figure = element("figure", "tool-content");
  figure.dataset.type = item.type;
  const summary = item.omitted
    ? `${item.type} ${item.mimeType ?? ""} not kept: ${item.omitted}`
    : `${item.type}${item.mimeType ? " " + item.mimeType : ""}${item.size != null ? `, ${item.size} bytes` : ""}${item.uri ? " · " + item.uri : ""}`;
  if (item.type === "image" && item.data && /^image\/(png|jpeg|gif|webp)$/.test(item.mimeType ?? "")) {
    const image = document.createElement("img");
    image.src = `data:${item.mimeType};base64,${item.data}`;
    image.alt = `Image returned by the tool (${summary})`;
    figure.append(image);
  } else if (item.text != null) {
    figure.append(element("pre", "prewrap", item.text));
  }
  figure.append(element("figcaption", "muted", summary));
  return figure;
}

function messageLine(className, role, value) {
  const line = element("p", className);
  line.append(element("span", "role", role), ` ${value}`);
  return line;
}

function element(tag, className, value) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (value !== undefined) node.textContent = value;
  return node;
}
