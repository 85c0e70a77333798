import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKnownRequestCode, RequestCode, requestCodeName } from '../../src/protocol/request-code.js';

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = resolve(here, '../../../shared/reference/java-schema/common.protocol.RequestCode.schema');

/** `Field NAME : public int VALUE` lines of the Java schema snapshot. */
function javaRequestCodes(): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(schemaPath, 'utf8').split('\n')) {
    const m = /^Field (\w+) : public int (-?\d+)\s*$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('RequestCode', () => {
  it('has every code of the Java schema snapshot with the same value', () => {
    const java = javaRequestCodes();
    expect(java.size).toBeGreaterThan(90);
    const ours = RequestCode as Record<string, number>;
    for (const [name, value] of java) expect({ name, value: ours[name] }).toEqual({ name, value });
  });

  it('has the 5.x codes of reference §2.1', () => {
    expect(RequestCode.UPDATE_AND_CREATE_TOPIC_LIST).toBe(18);
    expect(RequestCode.GET_TIMER_CHECK_POINT).toBe(60);
    expect(RequestCode.REGISTER_TOPIC_IN_NAMESRV).toBe(217);
    expect(RequestCode.GET_TOPIC_CONFIG).toBe(351);
    expect(RequestCode.LITE_PULL_MESSAGE).toBe(361);
    expect(RequestCode.RECALL_MESSAGE).toBe(370);
    expect(RequestCode.QUERY_ASSIGNMENT).toBe(400);
    expect(RequestCode.UPDATE_AND_CREATE_STATIC_TOPIC).toBe(513);
    expect(RequestCode.GET_BROKER_MEMBER_GROUP).toBe(901);
    expect(RequestCode.BROKER_HEARTBEAT).toBe(904);
    expect(RequestCode.RESET_MASTER_FLUSH_OFFSET).toBe(908);
    expect(RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET).toBe(1001);
    expect(RequestCode.RAFT_BROKER_HEART_BEAT_EVENT_REQUEST).toBe(1018);
    expect(RequestCode.SET_COMMITLOG_READ_MODE).toBe(2004);
    expect(RequestCode.AUTH_LIST_ACL).toBe(3010);
    expect(RequestCode.POP_MESSAGE).toBe(200050);
    expect(RequestCode.BATCH_ACK_MESSAGE).toBe(200151);
    expect(RequestCode.POP_ROLLBACK).toBe(200056);
  });

  it('has no two names with the same value', () => {
    const values = Object.values(RequestCode);
    expect(new Set(values).size).toBe(values.length);
  });

  it('names codes, and unknown codes', () => {
    expect(requestCodeName(10)).toBe('SEND_MESSAGE');
    expect(requestCodeName(310)).toBe('SEND_MESSAGE_V2');
    expect(requestCodeName(200050)).toBe('POP_MESSAGE');
    expect(requestCodeName(9999)).toBe('UNKNOWN(9999)');
    expect(isKnownRequestCode(105)).toBe(true);
    expect(isKnownRequestCode(16)).toBe(false);
  });
});
