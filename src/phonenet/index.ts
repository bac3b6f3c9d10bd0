/** The virtual phone network: a loopback SIP carrier whose numbers are scripted personas. */

export { AMD_PERSONAS, BUILTIN_NUMBERS, BUILTIN_PERSONAS_YAML, builtinPersonas } from './builtinPersonas.js';
export { CallArchive, findArchivedCall, listArchive, readTimelineFile } from './callArchive.js';
export { CallTimeline, type TimelineEvent, type TimelineEventType } from './callTimeline.js';
export {
  Carrier,
  type CarrierCallInfo,
  type CarrierEvents,
  type CarrierOptions,
  type PromptSource,
  type RefusedCall,
} from './carrier.js';
export { NumberPattern } from './numberPattern.js';
export type { PersonaCallOutcome, PersonaCallResult } from './personaCall.js';
export { PersonaDirectory } from './personaDirectory.js';
export {
  loadPersonaFile,
  PersonaFileError,
  type PersonaFileIssue,
  parsePersonaText,
  parseYamlWithSchema,
} from './personaFile.js';
export { type Persona, personaBodySchema, type Step, toPersona } from './personaSchema.js';
export { type ExpectedOutcome, type PersonaSummary, summarizePersona } from './personaSummary.js';
export { CachedVoice, type PersonaVoice } from './personaVoice.js';
export { type PhonenetConfig, parsePortRange, phonenetConfigSchema } from './phonenetConfig.js';
export {
  EnergyDetector,
  Segmenter,
  type SpeechDetector,
  type SpeechEdge,
  vadDetector,
} from './speechDetector.js';
export { TtsPersonaVoice } from './speechVoice.js';
export { SyntheticVoice } from './syntheticVoice.js';
