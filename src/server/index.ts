/** The HTTP channel: an OpenAI-compatible API, a Rasa REST webhook and an events feed over one assistant. */
export { buildApp, type AppDeps } from './app.js';
export { DEFAULT_LIMITS, DEFAULT_USER, type ServerLimits, type ServedAssistant } from './context.js';
export { ApiError, type OpenAiErrorBody, type ApiErrorType } from './errors.js';
export { CHAT_PAGE_CSP, placeholderPage, webChatPage, type ChatPage, type ChatPageInfo } from './chat-page.js';
export { approximateTokens } from './tokens.js';
