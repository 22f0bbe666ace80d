/** Conversation corpora: loaders for the dialogue datasets and the pretraining corpus built from them. */
export { CHATTERBOT_LICENCE, loadChatterbot, parseChatterbotYaml } from './chatterbot.js';
export {
  DAILYDIALOG_LICENCE,
  OVERLAP_UTTERANCE_CHARS,
  OVERLAP_WINDOW,
  cleanDailyDialog,
  loadDailyDialog,
  overlapIndex,
  overlapKeys,
  overlaps,
  parseDailyDialogLine,
  readDailyDialogSplit,
  type DailyDialogCorpus,
  type DailyDialogSplit,
  type DailyDialogStats,
  type Dialogue,
} from './dailydialog.js';
export { detokenise, looseKey } from './detokenise.js';
export { MICROSOFT_CHITCHAT_LICENCE, loadMicrosoftChitchat, parseQna, parseQueriesTsv, type MicrosoftChitchat, type QaPair } from './microsoft-chitchat.js';
export {
  MAX_CONTEXT_TURNS,
  dialoguePairs,
  loadPretrainingCorpus,
  sampleInOrder,
  type PretrainingCorpus,
  type PretrainingCorpusOptions,
  type PretrainingPair,
  type PretrainingSource,
} from './pretraining.js';
export { SGD_LICENCE, loadSgdDialogues, parseSgdDialogues, type SgdDialogue, type SgdSplit, type SgdTurn } from './sgd.js';
export {
  TOPICAL_CHAT_LICENCE,
  TOPICAL_CHAT_SPLITS,
  loadTopicalChat,
  parseTopicalChat,
  type TopicalChatConversation,
  type TopicalChatSplit,
  type TopicalChatTurn,
} from './topical-chat.js';
