/**
 * Workload files (bench/workloads/*.json): a name, a description, and mqbench options under the same names as the
 * flags (camelCase: `topicPrefix`), e.g. `{ "name": "max-rate", "description": "…", "topics": 1, "queues": 16 }`.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { RocketMQError } from '../common/errors.js';
import { type BenchOptions, validatePartialOptions } from './options.js';

/** A parsed workload file. */
export interface Workload {
  name: string;
  description: string;
  options: Partial<BenchOptions>;
}

/** Parses workload JSON text; `source` names the file in errors. Throws RocketMQError INVALID_PARAMETER. */
export function parseWorkload(text: string, source: string): Workload {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RocketMQError('INVALID_PARAMETER', `${source}: not JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RocketMQError('INVALID_PARAMETER', `${source}: a workload is a JSON object`);
  }
  const { description, ...rest } = json as Record<string, unknown>;
  if (description !== undefined && typeof description !== 'string') {
    throw new RocketMQError('INVALID_PARAMETER', `${source}: description must be a string`);
  }
  const options = validatePartialOptions(rest, `${source}: `);
  const name = options.name ?? basename(source).replace(/\.json$/, '');
  return { name, description: description ?? '', options: { ...options, name } };
}

/** Reads and parses a workload file. */
export async function loadWorkload(file: string): Promise<Workload> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new RocketMQError('INVALID_PARAMETER', `cannot read workload ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseWorkload(text, file);
}
