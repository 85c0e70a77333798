import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RocketMQError } from '../common/errors.js';
import { parseJson } from '../protocol/fastjson.js';

/**
 * A broker config file (consumerOffset.json, subscriptionGroup.json) handled the way Java's ConfigManager does:
 * written to `<file>.tmp`, the previous version copied to `<file>.bak`, then the temp file renamed over the file; on
 * load a missing or unreadable file falls back to the `.bak` copy.
 */
export class JsonConfigFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /**
   * The parsed content (fastjson-tolerant), or undefined when neither the file nor its backup exists. A file that
   * does not parse, with no usable backup, fails with CONFIG_INVALID.
   */
  async load(): Promise<unknown> {
    let firstError: unknown;
    for (const candidate of [this.path, `${this.path}.bak`]) {
      let text: string;
      try {
        text = await readFile(candidate, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        firstError ??= err;
        continue;
      }
      if (text.trim() === '') continue;
      try {
        return parseJson(text);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) {
      throw new RocketMQError('CONFIG_INVALID', `${this.path} (and its .bak) cannot be read`, { cause: firstError });
    }
    return undefined;
  }

  /** Writes `text` atomically; writes are serialised so the file always ends with the latest text. */
  save(text: string): Promise<void> {
    const next = this.writing.then(() => this.write(text));
    this.writing = next.catch(() => {});
    return next;
  }

  private async write(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, text, 'utf8');
    try {
      await copyFile(this.path, `${this.path}.bak`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await rename(tmp, this.path);
  }
}
