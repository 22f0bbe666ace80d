/**
 * The page served at `/`. A placeholder until the web chat page lands: it names the assistant and
 * points at the API. `buildApp({ page })` takes any `ChatPage`, so the real page replaces this
 * module without touching the server.
 */

/** What the server knows when it renders the page. */
export interface ChatPageInfo {
  assistantName: string;
  modelId: string;
}

/** A static page: rendered once when the app is built. */
export interface ChatPage {
  contentType: string;
  render(info: ChatPageInfo): string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The placeholder page. */
export const placeholderPage: ChatPage = {
  contentType: 'text/html; charset=utf-8',
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
