/** Base error for everything Duet reports to a user: a stable `code`, an actionable message, an optional cause. */
export class DuetError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where in a definition file a problem is (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A problem in an assistant definition file; the message starts with `file:line:col`. */
export class DefinitionError extends DuetError {
  readonly location: SourceLocation;
  readonly problem: string;

  constructor(location: SourceLocation, problem: string, options?: { cause?: unknown }) {
    super('DEFINITION_INVALID', `${location.file}:${location.line}:${location.column}: ${problem}`, options);
    this.location = location;
    this.problem = problem;
  }
}

/** A model folder that is missing files, is corrupt, or was written by another format version. */
export class ModelLoadError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_LOAD_FAILED', message, options);
  }
}

/** A dataset name or folder that cannot be used. */
export class DatasetError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATASET_INVALID', message, options);
  }
}

/** A configuration value that breaks an invariant (e.g. dModel not divisible by nHeads). */
export class ConfigError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Why a store cannot be used: the file is not a database, is locked, cannot be opened or written, or is too new. */
/** STORE_AUTH: a PostgreSQL server refused the login or a privilege (SQLite stores never raise it). */
export type StoreErrorCode = 'STORE_CORRUPT' | 'STORE_LOCKED' | 'STORE_UNAVAILABLE' | 'STORE_AUTH' | 'STORE_VERSION' | 'STORE_CLOSED';

/** A store (database file) that cannot be read or written; the message names the file and what to do. */
export class StoreError extends DuetError {
  declare readonly code: StoreErrorCode;
  /** The database file concerned (':memory:' for in-memory stores; the URL, password hidden, for PostgreSQL). */
  readonly file: string;

  constructor(code: StoreErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.file = file;
  }
}

/** A Hugging Face checkpoint that Duet cannot import; the message starts with the file concerned and says what is wrong. */
export class CheckpointImportError extends DuetError {
  /** The file (or folder) the problem is in. */
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_IMPORT_FAILED', `${file}: ${problem}`, options);
    this.file = file;
    this.problem = problem;
  }
}

/** Input a model cannot take: token ids outside its vocabulary, a sequence longer than its positions, a head it lacks. */
export class ModelInputError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_INPUT_INVALID', message, options);
  }
}

/** An inference engine that cannot run here (e.g. onnxruntime-node not installed), or cannot run this model. */
export class EngineUnavailableError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENGINE_UNAVAILABLE', message, options);
  }
}
