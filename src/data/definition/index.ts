/** Assistant definitions: Duet YAML, Rasa import, inline slot annotations. */
export {
  AnnotationError,
  formatAnnotatedExample,
  parseAnnotatedExample,
  type AnnotatedExample,
  type AnnotationWarning,
} from './annotations.js';
export { definitionToExamples, enumValueIndex } from './definition-examples.js';
export {
  loadDefinition,
  parseDefinition,
  type DefinitionSource,
  type ParseDefinitionOptions,
} from './load-definition.js';
export { importRasa, isRasaDocument } from './rasa-import.js';
export { SLOT_TYPES, definitionFileSchema, type DefinitionFile } from './schema.js';
export { PERSONA_STYLES, DEFAULT_PERSONA_STYLE, MAX_PERSONA_FACTS, fillPersona } from './persona.js';
