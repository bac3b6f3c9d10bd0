/**
 * The carrier's number plan: personas in order, first match wins. Files loaded by the user come
 * before the built-in set, so a file can take over a built-in number; numbers nobody claims get 404.
 */
import { calledNumberForms } from './numberPattern.js';
import type { Persona } from './personaSchema.js';

export class PersonaDirectory {
  readonly #personas: readonly Persona[];

  constructor(personas: readonly Persona[]) {
    this.#personas = personas;
  }

  /** A directory of `first` then `rest` (persona names must stay unique: later duplicates are dropped). */
  static layered(first: readonly Persona[], rest: readonly Persona[]): PersonaDirectory {
    const names = new Set(first.map((p) => p.name));
    return new PersonaDirectory([...first, ...rest.filter((p) => !names.has(p.name))]);
  }

  get personas(): readonly Persona[] {
    return this.#personas;
  }

  /** The persona for a called number (as it came in the Request-URI), if any. */
  route(calledNumber: string): Persona | undefined {
    const forms = calledNumberForms(calledNumber);
    return this.#personas.find((p) => p.numbers.some((n) => forms.some((f) => n.matches(f))));
  }

  byName(name: string): Persona | undefined {
    return this.#personas.find((p) => p.name === name);
  }
}
