/** The npm `espeak-ng` package ships no types: its default export is an Emscripten module factory. */
declare module 'espeak-ng' {
  const factory: (options: object) => Promise<unknown>;
  export default factory;
}
