// Demo page for the SageMaker proxy: plain JavaScript, no build step.
"use strict";

const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const API_URL_KEY = "sagemaker-proxy.apiUrl";
const API_KEY_KEY = "sagemaker-proxy.apiKey";
const DEFAULT_API_URL = "http://127.0.0.1:8000";

const $ = (id) => document.getElementById(id);
const apiUrlInput = $("api-url");
const statusLine = $("status");
const results = $("results");

const apiKeyInput = $("api-key");

apiUrlInput.value = localStorage.getItem(API_URL_KEY) || DEFAULT_API_URL;
apiUrlInput.addEventListener("change", () => {
  localStorage.setItem(API_URL_KEY, apiUrlInput.value.trim());
});
apiKeyInput.value = localStorage.getItem(API_KEY_KEY) || "";
apiKeyInput.addEventListener("change", () => {
  localStorage.setItem(API_KEY_KEY, apiKeyInput.value.trim());
});

// Tabs: one flower, or a batch pasted as CSV.
for (const [tabId, formId] of [["tab-record", "record-form"], ["tab-batch", "batch-form"]]) {
  $(tabId).addEventListener("click", () => {
    for (const [otherTab, otherForm] of [["tab-record", "record-form"], ["tab-batch", "batch-form"]]) {
      $(otherTab).setAttribute("aria-selected", String(otherTab === tabId));
      $(otherForm).hidden = otherForm !== formId;
    }
    clearMessages();
  });
}

// A value the user typed: a number when it reads as one, else the text itself, so that
// the API (the one validator) says what is wrong with it.
function readValue(text) {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

function featureLabel(name) {
  return name.replace("_", " ");
}

function clearMessages() {
  statusLine.textContent = "";
  statusLine.classList.remove("error");
  results.replaceChildren();
  for (const name of FEATURES) {
    $(`${name}-error`).textContent = "";
    $(name).removeAttribute("aria-invalid");
  }
  $("batch-errors").replaceChildren();
  $("batch-csv").removeAttribute("aria-invalid");
}

function showError(message) {
  statusLine.textContent = message;
  statusLine.classList.add("error");
}

function addBatchError(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("batch-errors").append(item);
  $("batch-csv").setAttribute("aria-invalid", "true");
}

async function predict(body, submitButton) {
  const base = apiUrlInput.value.trim().replace(/\/+$/, "");
  submitButton.disabled = true;
  statusLine.textContent = "Asking the model…";
  try {
    let response;
    try {
      const headers = { "Content-Type": "application/json" };
      const apiKey = apiKeyInput.value.trim();
      if (apiKey) headers["x-api-key"] = apiKey;
      response = await fetch(`${base}/predict`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
    } catch {
      // fetch gives no detail on purpose: a refused connection and a CORS refusal look alike.
      showError(
        `Could not reach the API at ${base}. Is it running, and does its stage allow ` +
          `this page's origin (${window.location.origin}) in CORS_ALLOW_ORIGINS?`,
      );
      return null;
    }
    const requestId = response.headers.get("X-Request-Id");
    let answer = null;
    try {
      answer = await response.json();
    } catch {
      // API Gateway's own errors may not be JSON; the status still says what happened.
    }
    if (response.ok) {
      statusLine.textContent = "";
      return answer;
    }
    const retryAfter = response.headers.get("Retry-After");
    showError(
      `${response.status}: ${(answer && answer.Message) || response.statusText}` +
        (retryAfter ? ` Retry in ${retryAfter} s.` : "") +
        (requestId ? ` (request id ${requestId})` : ""),
    );
    return { problems: (answer && answer.Errors) || [] };
  } finally {
    submitButton.disabled = false;
  }
}

function renderPrediction(prediction, title) {
  const card = document.createElement("article");
  card.className = "prediction";
  const heading = document.createElement("h2");
  heading.textContent = title ? `${title}: ${prediction.label}` : prediction.label;
  heading.dataset.label = prediction.label;
  card.append(heading);
  for (const [label, probability] of Object.entries(prediction.probabilities)) {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.label = label;
    const name = document.createElement("span");
    name.textContent = label;
    const track = document.createElement("div");
    track.className = "bar-track";
    const fill = document.createElement("div");
    fill.className = "bar-fill";
    fill.style.width = `${(probability * 100).toFixed(1)}%`;
    track.append(fill);
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = `${(probability * 100).toFixed(1)}%`;
    row.append(name, track, value);
    card.append(row);
  }
  results.append(card);
}

$("record-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const record = {};
  for (const name of FEATURES) {
    const value = readValue($(name).value);
    if (value !== undefined) record[name] = value;
  }
  const answer = await predict(record, $("predict"));
  if (answer && answer.predictions) {
    renderPrediction(answer.predictions[0]);
  } else if (answer) {
    for (const problem of answer.problems) {
      const name = FEATURES.find((feature) => problem.field === feature);
      if (name) {
        $(`${name}-error`).textContent = problem.reason;
        $(name).setAttribute("aria-invalid", "true");
      }
    }
  }
});

// "instances[2].sepal_width" -> line 3 (of the non-empty lines sent), sepal width.
function batchProblem(problem, lineNumbers) {
  const match = /^instances\[(\d+)\](?:\.(\w+))?/.exec(problem.field);
  if (!match) return `${problem.field}: ${problem.reason}`;
  const line = lineNumbers[Number(match[1])];
  return match[2]
    ? `Line ${line}, ${featureLabel(match[2])}: ${problem.reason}`
    : `Line ${line}: ${problem.reason}`;
}

$("batch-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const instances = [];
  const lineNumbers = [];
  const lines = $("batch-csv").value.split(/\r?\n/);
  let firstLine = true;
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const isHeader = firstLine && line.split(",").every((cell) => Number.isNaN(Number(cell)));
    firstLine = false;
    if (isHeader) return;
    const cells = line.split(",");
    if (cells.length !== FEATURES.length) {
      addBatchError(`Line ${index + 1}: expected ${FEATURES.length} values, found ${cells.length}.`);
      return;
    }
    const record = {};
    FEATURES.forEach((name, column) => {
      const value = readValue(cells[column]);
      if (value !== undefined) record[name] = value;
    });
    instances.push(record);
    lineNumbers.push(index + 1);
  });
  if ($("batch-errors").children.length > 0) return;
  if (instances.length === 0) {
    addBatchError("Paste at least one line.");
    return;
  }
  const answer = await predict({ instances }, $("predict-batch"));
  if (answer && answer.predictions) {
    answer.predictions.forEach((prediction, index) =>
      renderPrediction(prediction, `Line ${lineNumbers[index]}`),
    );
  } else if (answer) {
    for (const problem of answer.problems) addBatchError(batchProblem(problem, lineNumbers));
  }
});
