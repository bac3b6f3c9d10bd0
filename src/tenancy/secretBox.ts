/**
 * Encrypts secrets at rest (AES-256-GCM). The key comes from the configured master key or from a
 * key file generated once in the data directory (mode 0600). A stored secret looks like
 * `v1:<iv>:<tag>:<ciphertext>` (base64url), so a future key rotation can add `v2`.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.#key = key;
  }

  /** Any passphrase works as a master key; it is stretched to 32 bytes with SHA-256. */
  static fromMasterKey(masterKey: string): SecretBox {
    return new SecretBox(createHash('sha256').update(masterKey, 'utf8').digest());
  }

  /** Reads `<dataDir>/master.key`, creating it with 32 random bytes on first use. */
  static fromKeyFile(dataDir: string): SecretBox {
    const file = join(dataDir, 'master.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      // wx: if another process created it a moment ago, keep theirs.
      try {
        writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return new SecretBox(key);
  }

  static forConfig(config: { masterKey?: string | undefined; dataDir: string }): SecretBox {
    return config.masterKey
      ? SecretBox.fromMasterKey(config.masterKey)
      : SecretBox.fromKeyFile(config.dataDir);
  }

  /**
   * A box with its own key for one purpose (HKDF-SHA256 of this key, RFC 5869), so that a value
   * sealed for that purpose never opens as anything else, and vice versa.
   */
  derive(purpose: string): SecretBox {
    return new SecretBox(Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), purpose, 32)));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join(':');
  }

  /** Throws when the value was sealed with another key or was tampered with. */
  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined)
      throw new Error('unknown sealed secret format');
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    // Node accepts GCM tags as short as 4 bytes unless told otherwise; a truncated tag would make a
    // forgery cheap for values that come from outside (STS tokens), so insist on the full 16.
    if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Error('unknown sealed secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, ivBytes, { authTagLength: 16 });
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
