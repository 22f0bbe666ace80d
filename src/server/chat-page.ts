/**
 * The page served at `/`: a web chat over the server's own API. One self-contained HTML document
 * (inline CSS and JS, no build step, no external requests). `buildApp({ page })` takes any
 * `ChatPage`, so an embedder can serve its own page instead; `placeholderPage` is a plain one.
 *
 * The page streams each reply from `POST /v1/chat/completions` (`stream: true`, read with fetch and
 * a ReadableStream), shows what Duet understood (the `duet` field of the last chunk) in a debug
 * panel the user opens, and shows due reminders and timers from `GET /v1/events` (read with fetch
 * too, so an API key can go in a header). Every text from the user or the server is inserted with
 * `textContent` or as a text node, never parsed as HTML; the Content-Security-Policy sent with the
 * page allows only its own inline script and style (by hash) and requests to its own origin.
 */
import { createHash } from 'node:crypto';

/** What the server knows when it renders the page. */
export interface ChatPageInfo {
  assistantName: string;
  modelId: string;
}

/** A static page: rendered once when the app is built. */
export interface ChatPage {
  contentType: string;
  /** Response headers sent with the page (a Content-Security-Policy, for one). */
  headers?: Readonly<Record<string, string>>;
  render(info: ChatPageInfo): string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Headers every page gets: no sniffing, no referrer, no framing. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** The placeholder page: names the assistant and points at the API. */
export const placeholderPage: ChatPage = {
  contentType: 'text/html; charset=utf-8',
  headers: { ...COMMON_HEADERS, 'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" },
  render({ assistantName, modelId }) {
    const name = escapeHtml(assistantName);
    return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name}</title></head>
<body>
<h1>${name}</h1>
<p>This Duet server speaks the OpenAI chat API (model <code>${escapeHtml(modelId)}</code>):</p>
<ul>
<li><code>POST /v1/chat/completions</code>, <code>GET /v1/models</code></li>
<li><code>GET /v1/events</code>: due reminders and timers (server-sent events)</li>
<li><code>POST /webhooks/rest/webhook</code>: Rasa REST channel</li>
</ul>
</body>
</html>
`;
  },
};

const STYLE = String.raw`
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1d1d1f; --muted: #5f6368; --user: #dbeafe; --bot: #ececec; --notice: #fff4c2; --error: #fde2e1; --line: #c8c8c8; }
@media (prefers-color-scheme: dark) { :root { --bg: #17181a; --fg: #ececec; --muted: #a0a4aa; --user: #1e3a5f; --bot: #2a2b2e; --notice: #4a3f10; --error: #5c1f1c; --line: #444; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); display: flex; flex-direction: column; height: 100vh; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; flex: 1 1 auto; }
header .meta, #status { color: var(--muted); font-size: .85rem; }
#status { margin: 0 1rem .5rem; min-height: 1em; }
main { flex: 1 1 auto; display: flex; min-height: 0; }
#chat { flex: 1 1 auto; display: flex; flex-direction: column; min-width: 0; }
#transcript { list-style: none; margin: 0; padding: 1rem; overflow-y: auto; flex: 1 1 auto; display: flex; flex-direction: column; gap: .5rem; }
.msg { max-width: 75ch; padding: .45rem .75rem; border-radius: .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg .who { display: block; font-size: .75rem; color: var(--muted); }
.msg .text { margin: 0; }
.msg.user { align-self: flex-end; background: var(--user); }
.msg.bot { align-self: flex-start; background: var(--bot); }
.msg.notice { align-self: center; background: var(--notice); }
.msg.error { align-self: flex-start; background: var(--error); }
.msg[aria-busy="true"] .text::after { content: "\2026"; color: var(--muted); }
#composer { display: flex; gap: .5rem; padding: .75rem 1rem; border-top: 1px solid var(--line); }
#composer input { flex: 1 1 auto; }
input, button { font: inherit; padding: .4rem .6rem; }
#debug { flex: 0 0 22rem; max-width: 40vw; border-left: 1px solid var(--line); overflow-y: auto; padding: .5rem 1rem; font-size: .85rem; }
#debug h2 { font-size: 1rem; }
#debug-log { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: .75rem; }
#debug dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .6rem; margin: 0; }
#debug dt { color: var(--muted); }
#debug dd { margin: 0; overflow-wrap: anywhere; }
#key-form { display: flex; gap: .4rem; align-items: center; font-size: .85rem; }
#key-form input { width: 14rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
`;

// Browser code, kept to what every current browser runs without a build step. It never builds HTML
// from strings: elements are created and text goes in with textContent or text nodes.
const SCRIPT = String.raw`
(function () {
  'use strict';
  var byId = function (id) { return document.getElementById(id); };
  var transcript = byId('transcript');
  var form = byId('composer');
  var input = byId('message');
  var sendButton = byId('send');
  var debugToggle = byId('debug-toggle');
  var debugPanel = byId('debug');
  var debugLog = byId('debug-log');
  var keyForm = byId('key-form');
  var keyInput = byId('api-key');
  var keyClear = byId('api-key-clear');
  var statusLine = byId('status');
  var assistantName = document.body.getAttribute('data-assistant') || 'Assistant';
  var USER_ITEM = 'duet.user';
  var KEY_ITEM = 'duet.apiKey';
  var DEBUG_ITEM = 'duet.debug';
  var USER_ID = /^[A-Za-z0-9._@:+-]{1,128}$/;

  function store(kind) {
    try { return window[kind] || null; } catch (e) { return null; }
  }
  function getItem(kind, name) {
    var s = store(kind);
    try { return s ? s.getItem(name) : null; } catch (e) { return null; }
  }
  function setItem(kind, name, value) {
    var s = store(kind);
    try { if (s) { if (value === null) s.removeItem(name); else s.setItem(name, value); } } catch (e) { /* private mode */ }
  }

  // A stable user id per browser: the conversation, reminders and lists are this user's.
  function newUserId() {
    var bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return 'web-' + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  var user = getItem('localStorage', USER_ITEM);
  if (!user || !USER_ID.test(user)) {
    user = newUserId();
    setItem('localStorage', USER_ITEM, user);
  }
  byId('user-id').textContent = user;

  function apiKey() { return getItem('sessionStorage', KEY_ITEM) || ''; }
  // With a key the key says who the user is (naming another user would be refused); without, the header does.
  function requestHeaders(json) {
    var headers = {};
    if (json) headers['content-type'] = 'application/json';
    var key = apiKey();
    if (key) headers.authorization = 'Bearer ' + key;
    else headers['x-duet-user'] = user;
    return headers;
  }

  function setStatus(text) { statusLine.textContent = text; }

  function addMessage(kind, who, text) {
    var item = document.createElement('li');
    item.className = 'msg ' + kind;
    var label = document.createElement('span');
    label.className = 'who';
    label.textContent = who;
    var body = document.createElement('p');
    body.className = 'text';
    body.textContent = text;
    item.appendChild(label);
    item.appendChild(body);
    transcript.appendChild(item);
    transcript.scrollTop = transcript.scrollHeight;
    return item;
  }

  // Reads server-sent events from a fetch response, calling onEvent({ event, data, id }) for each.
  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    for (;;) {
      var result = await reader.read();
      if (result.done) break;
      buffer += decoder.decode(result.value, { stream: true }).replace(/\r\n?/g, '\n');
      var end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        var block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        var event = { event: 'message', data: '', id: '' };
        var data = [];
        block.split('\n').forEach(function (line) {
          if (line === '' || line.charAt(0) === ':') return;
          var colon = line.indexOf(':');
          var field = colon < 0 ? line : line.slice(0, colon);
          var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'event') event.event = value;
          else if (field === 'id') event.id = value;
        });
        if (data.length === 0) continue;
        event.data = data.join('\n');
        onEvent(event);
      }
    }
  }

  function errorMessage(body, status) {
    try {
      var parsed = typeof body === 'string' ? JSON.parse(body) : body;
      if (parsed && parsed.error && parsed.error.message) return String(parsed.error.message);
    } catch (e) { /* not JSON */ }
    return 'The server answered ' + status + '.';
  }

  function showUnderstanding(text, duet) {
    var entry = document.createElement('li');
    var list = document.createElement('dl');
    function row(term, value) {
      var dt = document.createElement('dt');
      dt.textContent = term;
      var dd = document.createElement('dd');
      dd.textContent = value;
      dd.className = 'debug-' + term;
      list.appendChild(dt);
      list.appendChild(dd);
    }
    var slots = duet.slots ? Object.keys(duet.slots).map(function (k) { return k + ' = ' + duet.slots[k]; }) : [];
    var action = duet.action;
    row('message', text);
    row('intent', String(duet.intent));
    row('confidence', typeof duet.confidence === 'number' ? duet.confidence.toFixed(3) : String(duet.confidence));
    row('slots', slots.length ? slots.join('; ') : 'none');
    row('action', action ? action.skill + ' (' + action.status + ')' + (action.args && Object.keys(action.args).length ? ' ' + JSON.stringify(action.args) : '') : 'none');
    entry.appendChild(list);
    debugLog.insertBefore(entry, debugLog.firstChild);
  }

  var busy = false;
  async function send(text) {
    busy = true;
    sendButton.disabled = true;
    form.setAttribute('aria-busy', 'true');
    addMessage('user', 'You', text);
    var item = addMessage('bot', assistantName, '');
    var body = item.querySelector('.text');
    item.setAttribute('aria-busy', 'true');
    var failure = null;
    var understood = null;
    try {
      var response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: requestHeaders(true),
        body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: text }] }),
      });
      if (!response.ok) {
        failure = errorMessage(await response.text(), response.status);
        if (response.status === 401) failure += ' (Enter an API key above.)';
      } else {
        await readEvents(response, function (event) {
          if (event.event === 'error') { failure = errorMessage(event.data, 'an error'); return; }
          if (event.data === '[DONE]') return;
          var chunk;
          try { chunk = JSON.parse(event.data); } catch (e) { return; }
          var choice = chunk.choices && chunk.choices[0];
          var piece = choice && choice.delta && choice.delta.content;
          // Each piece is a text node of its own: streamed in, never parsed as HTML.
          if (piece) {
            body.appendChild(document.createTextNode(piece));
            transcript.scrollTop = transcript.scrollHeight;
          }
          if (chunk.duet) understood = chunk.duet;
        });
      }
    } catch (err) {
      failure = 'Could not reach the server: ' + (err && err.message ? err.message : String(err));
    }
    item.removeAttribute('aria-busy');
    if (failure !== null) {
      if (body.textContent === '') {
        item.className = 'msg error';
        body.textContent = failure;
      } else {
        addMessage('error', 'Error', failure);
      }
    }
    if (understood) showUnderstanding(text, understood);
    busy = false;
    sendButton.disabled = false;
    form.removeAttribute('aria-busy');
    input.focus();
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = '';
    send(text);
  });

  function setDebug(open) {
    debugPanel.hidden = !open;
    debugToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    debugToggle.textContent = open ? 'Hide understanding' : 'Show understanding';
    setItem('localStorage', DEBUG_ITEM, open ? '1' : null);
  }
  debugToggle.addEventListener('click', function () { setDebug(debugPanel.hidden); });
  setDebug(getItem('localStorage', DEBUG_ITEM) === '1');

  // Due reminders and timers: the events feed, read with fetch so that a key can go in a header;
  // it reconnects after a drop, waiting longer after each failure.
  var feed = null;
  var failures = 0;
  function connectEvents() {
    if (feed) feed.abort();
    var controller = new AbortController();
    feed = controller;
    document.body.setAttribute('data-events', 'connecting');
    fetch('/v1/events', { headers: requestHeaders(false), signal: controller.signal, cache: 'no-store' })
      .then(async function (response) {
        if (!response.ok) throw new Error(errorMessage(await response.text(), response.status));
        return readEvents(response, function (event) {
          if (event.event === 'ready') {
            failures = 0;
            document.body.setAttribute('data-events', 'open');
            setStatus('Notifications on.');
            return;
          }
          if (event.event !== 'reminder' && event.event !== 'timer') return;
          var notice;
          try { notice = JSON.parse(event.data); } catch (e) { return; }
          addMessage('notice', event.event === 'timer' ? 'Timer' : 'Reminder', String(notice.text));
        });
      })
      .then(function () { return null; }, function (err) { return err; })
      .then(function (err) {
        if (feed !== controller || controller.signal.aborted) return;
        document.body.setAttribute('data-events', 'closed');
        failures = Math.min(failures + 1, 6);
        var wait = Math.min(30, Math.pow(2, failures - 1));
        setStatus((err ? 'Notifications off: ' + err.message : 'Notifications disconnected.') + ' Retrying in ' + wait + ' s.');
        setTimeout(function () { if (feed === controller) connectEvents(); }, wait * 1000);
      });
  }

  keyInput.value = apiKey();
  keyForm.addEventListener('submit', function (e) {
    e.preventDefault();
    setItem('sessionStorage', KEY_ITEM, keyInput.value.trim() || null);
    failures = 0;
    connectEvents();
  });
  keyClear.addEventListener('click', function () {
    keyInput.value = '';
    setItem('sessionStorage', KEY_ITEM, null);
    failures = 0;
    connectEvents();
  });

  connectEvents();
  input.focus();
})();
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page allows its own inline script and style (by hash, so no injected script or style runs),
 * requests to its own origin only, nothing else: no external script, style, font, image or frame.
 */
export const CHAT_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The web chat page (the default page of `duet serve`). */
export const webChatPage: ChatPage = {
  contentType: 'text/html; charset=utf-8',
  headers: { ...COMMON_HEADERS, 'content-security-policy': CHAT_PAGE_CSP, 'cache-control': 'no-cache' },
  render({ assistantName, modelId }) {
    const name = escapeHtml(assistantName);
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-assistant="${name}">
<header>
<h1>${name}</h1>
<span class="meta">model <code>${escapeHtml(modelId)}</code> · you are <code id="user-id"></code></span>
<form id="key-form" aria-label="API key">
<label for="api-key">API key</label>
<input id="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="only if the server needs one">
<button type="submit">Use</button>
<button type="button" id="api-key-clear">Forget</button>
</form>
<button type="button" id="debug-toggle" aria-controls="debug" aria-expanded="false">Show understanding</button>
</header>
<main>
<section id="chat" aria-labelledby="transcript-title">
<h2 id="transcript-title" class="visually-hidden">Conversation</h2>
<ol id="transcript" role="log" aria-live="polite" aria-relevant="additions text" aria-labelledby="transcript-title"></ol>
<form id="composer">
<label for="message" class="visually-hidden">Message</label>
<input id="message" type="text" autocomplete="off" maxlength="4000" placeholder="Type a message, e.g. remind me to call mom in 10 minutes" required>
<button type="submit" id="send">Send</button>
</form>
<p id="status" class="meta" role="status"></p>
</section>
<aside id="debug" aria-labelledby="debug-title" hidden>
<h2 id="debug-title">What Duet understood</h2>
<ol id="debug-log" aria-live="polite"></ol>
</aside>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  },
};
