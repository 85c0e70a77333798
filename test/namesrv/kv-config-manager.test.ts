import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvConfigManager } from '../../src/namesrv/kv-config-manager.js';

describe('KvConfigManager', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'namesrv-kv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('persists puts and deletes, and a new manager loads them', async () => {
    const path = join(dir, 'sub', 'kvConfig.json');
    const changes: string[] = [];
    const kv = new KvConfigManager({ path, onChange: (ns, key) => changes.push(`${ns}/${key}`) });
    await kv.load();
    await kv.put('ORDER_TOPIC_CONFIG', 'T1', 'broker-a:4');
    await kv.put('ns', 'k1', 'v1');
    await kv.put('ns', 'k2', 'v2');
    await kv.delete('ns', 'k1');
    await kv.delete('ns', 'missing');
    expect(changes).toEqual(['ORDER_TOPIC_CONFIG/T1', 'ns/k1', 'ns/k2', 'ns/k1']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      configTable: { ORDER_TOPIC_CONFIG: { T1: 'broker-a:4' }, ns: { k2: 'v2' } },
    });

    const again = new KvConfigManager({ path });
    await again.load();
    expect(again.get('ns', 'k2')).toBe('v2');
    expect(again.get('ns', 'k1')).toBeUndefined();
    expect(again.list('ORDER_TOPIC_CONFIG')).toEqual(new Map([['T1', 'broker-a:4']]));
    expect(again.list('none')).toBeUndefined();
  });

  it('starts empty without a file, and rejects a file that is not the expected JSON', async () => {
    const path = join(dir, 'kvConfig.json');
    const kv = new KvConfigManager({ path });
    await kv.load();
    expect(kv.list('ns')).toBeUndefined();
    await writeFile(path, 'not json');
    await expect(new KvConfigManager({ path }).load()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await writeFile(path, '{"other":1}');
    await expect(new KvConfigManager({ path }).load()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
