/** The slice of `alibabacloud-nls` (no bundled types) that the NLS adapters use. */
declare module 'alibabacloud-nls' {
  export interface NlsConfig {
    url: string;
    appkey: string;
    token: string;
  }
  export class SpeechTranscription {
    constructor(config: NlsConfig);
    on(event: string, handler: (msg: string) => void): void;
    start(params: object, enablePing?: boolean, pingInterval?: number): Promise<string>;
    close(params?: object): Promise<string>;
    sendAudio(data: Buffer): boolean;
    shutdown(): void;
  }
  export class SpeechSynthesizer {
    constructor(config: NlsConfig, enableRealTime?: boolean);
    on(event: string, handler: (msg: string | Buffer) => void): void;
    start(params: object, enablePing?: boolean, pingInterval?: number): Promise<string>;
    shutdown(): void;
  }
}
