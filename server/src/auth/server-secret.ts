import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** Bytes of a generated secret (256 bits). */
const SECRET_BYTES = 32;

/**
 * The key of the server's HMACs (request hashes of the idempotency table). It must not live in
 * the database, so that a backup of the database alone never carries it: LODESTONE_SECRET when
 * set, else a random key kept in `<database>.secret` (mode 0600, created once), else (an
 * in-memory database) a random key for this process.
 */
export function serverSecret(databasePath: string, configured: string | undefined): Buffer {
  if (configured !== undefined && configured !== '') return Buffer.from(configured, 'utf8');
  if (databasePath === ':memory:') return randomBytes(SECRET_BYTES);
  const file = `${databasePath}.secret`;
  try {
    return decode(readFileSync(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(SECRET_BYTES);
  try {
    // 'wx': two processes starting at once cannot both write one; the loser reads the winner's.
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${secret.toString('base64url')}\n`);
    } finally {
      closeSync(fd);
    }
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return decode(readFileSync(file, 'utf8'), file);
  }
}

function decode(text: string, file: string): Buffer {
  const secret = Buffer.from(text.trim(), 'base64url');
  if (secret.length < 16) throw new Error(`${file} holds no usable secret (expected ${SECRET_BYTES} random bytes, base64url); delete it to generate a new one`);
  return secret;
}

/** Lowercase hex HMAC-SHA256 of a UTF-8 string under the server secret. */
export function hmacHex(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(value, 'utf8').digest('hex');
}
